// What a node's answer to one request was, read from whichever protocol it answered in: a result,
// a clear error (a Connect/gRPC code other than internal/unknown/data_loss, or an HTTP 4xx), an
// internal error (those codes or HTTP 5xx: the node's fault, never the caller's), a connection cut
// (reset), or nothing in time (timeout).
import { ENVELOPE_END_STREAM, EnvelopeReader, parseEndStream } from '@quorumkv/protocol';

/** The classes of answers. `unsent`: the fuzzer's own HTTP client refused to send the request. */
export type AnswerClass = 'ok' | 'error' | 'internal' | 'reset' | 'timeout' | 'unsent';

/** One classified answer; `code` is a Connect code name, `http-NNN`, or a socket error code. */
export interface Answer {
  readonly class: AnswerClass;
  readonly code: string;
  readonly message?: string;
}

const GRPC_CODES = ['ok', 'canceled', 'unknown', 'invalid_argument', 'deadline_exceeded', 'not_found', 'already_exists', 'permission_denied', 'resource_exhausted', 'failed_precondition', 'aborted', 'out_of_range', 'unimplemented', 'internal', 'unavailable', 'data_loss', 'unauthenticated'];
const NODE_FAULTS = new Set(['internal', 'unknown', 'data_loss']);
/**
 * 5xx statuses that refuse what the caller asked for, not a failure of the node: 505 is the
 * Connect protocol's answer to a bidi stream over HTTP/1.1 (it needs HTTP/2), 501 a method the
 * server does not implement.
 */
const CALLER_5XX = new Set(['http-501', 'http-505']);

/** An HTTP response as received. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly trailers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Uint8Array;
}

/** The class of an answer from its code. */
export function byCode(code: string, message?: string): Answer {
  const cls: AnswerClass = code === 'ok' ? 'ok' : NODE_FAULTS.has(code) || (/^http-5/.test(code) && !CALLER_5XX.has(code)) ? 'internal' : 'error';
  return message === undefined ? { class: cls, code } : { class: cls, code, message };
}

/** Reads the outcome of an RPC from its response, in the protocol its content type names. */
export function classifyResponse(res: RawResponse): Answer {
  const contentType = String(res.headers['content-type'] ?? '');
  if (contentType.startsWith('application/grpc-web')) return grpcWebAnswer(res);
  if (contentType.startsWith('application/grpc')) return grpcAnswer({ ...res.headers, ...res.trailers });
  if (contentType.startsWith('application/connect+')) return connectStreamAnswer(res);
  if (res.status === 200 && (contentType.startsWith('application/proto') || contentType.startsWith('application/json'))) return byCode('ok');
  if (contentType.startsWith('application/json')) {
    const end = parseJson(res.body) as { code?: string; message?: string } | undefined;
    if (typeof end?.code === 'string') return byCode(end.code, end.message);
  }
  return byCode(`http-${res.status}`, new TextDecoder().decode(res.body.subarray(0, 200)));
}

function grpcAnswer(fields: Readonly<Record<string, string | string[] | undefined>>): Answer {
  const status = fields['grpc-status'];
  if (status === undefined) return byCode('internal', 'no grpc-status');
  const message = fields['grpc-message'];
  return byCode(GRPC_CODES[Number(status)] ?? `grpc-${String(status)}`, message === undefined ? undefined : decodeURIComponent(String(message)));
}

function grpcWebAnswer(res: RawResponse): Answer {
  if (res.headers['grpc-status'] !== undefined) return grpcAnswer(res.headers);
  for (const [flags, data] of envelopes(res.body)) {
    if (!(flags & 0x80)) continue;
    const fields: Record<string, string> = {};
    for (const line of new TextDecoder().decode(data).split('\r\n')) {
      const at = line.indexOf(':');
      if (at > 0) fields[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
    }
    return grpcAnswer(fields);
  }
  return byCode('internal', 'grpc-web answer without trailers');
}

function connectStreamAnswer(res: RawResponse): Answer {
  if (res.status !== 200) return byCode(`http-${res.status}`);
  for (const [flags, data] of envelopes(res.body)) {
    if (!(flags & ENVELOPE_END_STREAM)) continue;
    const error = parseEndStream(data);
    return error ? byCode(error.code, error.message) : byCode('ok');
  }
  return byCode('internal', 'stream answer without end-stream message');
}

/** The envelopes of a body: [flags, data] (a last one cut short, or declared absurdly long, is left out). */
function envelopes(body: Uint8Array): [number, Uint8Array][] {
  const reader = new EnvelopeReader();
  reader.append(body);
  const out: [number, Uint8Array][] = [];
  try {
    for (let e = reader.next(); e; e = reader.next()) out.push([e.flags, e.data]);
  } catch {
    // MessageLimitError: what follows is not a response this protocol allows; the caller sees no end.
  }
  return out;
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}
