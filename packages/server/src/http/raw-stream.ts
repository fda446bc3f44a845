// The node's hot streams (ReplicaService.Replicate, KvService.Session) in the Connect streaming
// protocol, served directly on the HTTP/2 stream instead of through connect-es: connect-es costs
// ~150 µs of CPU per message round trip here against ~20-35 µs for the same envelopes on the raw
// stream (docs/benchmarks.md). The wire format is unchanged, so any Connect client can call them;
// gRPC-protocol calls of the same methods still go through connect-es.
//
// Back-pressure: a message is read only when the handler is ready for it (its stream budget has
// room, see stream-budget.ts). Otherwise the HTTP/2 stream is paused, so flow control stops the
// client once its window is used, and reading resumes when responses drain or work finishes.
import type * as http2 from 'node:http2';
import type { ConnectError } from '@connectrpc/connect';
import { endStreamToJson } from '@connectrpc/connect/protocol-connect';
import { ENVELOPE_COMPRESSED, ENVELOPE_END_STREAM, EnvelopeReader, MessageLimitError, encodeEnvelope } from '@quorumkv/protocol';
import { toConnectError } from '../errors/connect-errors.js';
import { NodeLimitExceededError, NodeMalformedRequestError } from '../errors/errors.js';
import { onceNextTurn } from './next-turn.js';
import { StreamBudget, type BudgetLimits, type ConnectionBudget } from './stream-budget.js';
import type { Caller } from '../security/access-policy.js';

/** Where a stream handler writes. */
export interface RawStreamOutput {
  /**
   * Sends a message already behind its envelope header (`frameEnvelope`); `heldBytes`, counted in
   * the stream's budget when its results came in, are released once the client has read it.
   */
  sendFramed(framed: Uint8Array, heldBytes: number): void;
  /** Ends the response stream, with an error (any error the node raised) or successfully. */
  finish(error?: unknown): void;
}

/** One open stream, as a handler sees it. */
export interface RawStreamSession {
  /** A request message (valid during the call). */
  message(data: Uint8Array): void;
  /**
   * A message longer than the path's limit, skipped without being read into memory: `prefix` holds
   * its first bytes, `bytes` its length. Answer what it carried with `err`, or end the stream with it.
   */
  oversize(prefix: Uint8Array, bytes: number, err: NodeLimitExceededError): void;
  /** Whether the handler takes another message now; while false the stream reads nothing. */
  readonly ready: boolean;
  /** Room was freed in the stream's budget: start work that waited for it. */
  wake(): void;
  /** The client finished sending; finish the response once outstanding work is done. */
  end(): void;
}

/** Opens a handler for one stream; it starts work only when `budget` lets it. */
export type RawStreamHandler = (out: RawStreamOutput, budget: StreamBudget, caller: Caller) => RawStreamSession;

/** A raw stream path: its handler and the limits of its messages. */
export interface RawStreamRoute {
  handler: RawStreamHandler;
  /** Longest message read; longer ones are skipped (up to `skipUpToBytes`) or end the stream. */
  maxMessageBytes: number;
  /** Messages longer than `maxMessageBytes` and at most this long are skipped and reported to `oversize`. */
  skipUpToBytes: number;
  /** The name of the message limit, for LIMIT_EXCEEDED errors. */
  limitName: string;
}

/** What every raw stream of a node shares. */
export interface RawStreamOptions {
  /** Per-stream limits. */
  limits: BudgetLimits;
  /** Result size assumed before any result is seen. */
  initialResultBytes: number;
}

const OK_END = new TextEncoder().encode('{}');
const NO_METADATA = new Headers();

/** Connect's end-of-stream message for an error: code, message and details, as connect-es writes it. */
function endStreamOf(err: ConnectError): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(endStreamToJson(NO_METADATA, err, undefined)));
}

export const CONNECT_STREAM_CONTENT_TYPE = 'application/connect+proto';

/** Serves one HTTP/2 request whose path has a raw handler, within `connection`'s budget. */
export function serveRawStream(
  req: http2.Http2ServerRequest,
  res: http2.Http2ServerResponse,
  route: RawStreamRoute,
  connection: ConnectionBudget,
  o: RawStreamOptions,
  caller: Caller,
): void {
  let finished = false;
  let paused = false;
  let pumping = false;
  let inputEnded = false;
  let endDelivered = false;
  res.writeHead(200, { 'content-type': CONNECT_STREAM_CONTENT_TYPE });
  const reader = new EnvelopeReader({ maxMessageBytes: route.maxMessageBytes, skipMessagesUpToBytes: route.skipUpToBytes });
  const budget = new StreamBudget(o.limits, connection, o.initialResultBytes, onceNextTurn(() => pump()));
  const out: RawStreamOutput = {
    sendFramed: (framed, heldBytes) => {
      if (finished || res.writableEnded) return budget.drained(heldBytes);
      res.write(framed, () => budget.drained(heldBytes));
    },
    finish: (error) => {
      if (finished) return;
      finished = true;
      if (!res.writableEnded) res.end(encodeEnvelope(error === undefined ? OK_END : endStreamOf(toConnectError(error)), ENVELOPE_END_STREAM));
    },
  };
  const session = route.handler(out, budget, caller);

  /** Hands buffered messages to the handler while it is ready, then pauses or resumes reading. */
  const pump = (): void => {
    if (finished || pumping) return;
    pumping = true;
    try {
      session.wake();
      while (!finished && session.ready) {
        const e = reader.next();
        if (!e) break;
        // Compression is never negotiated here, so a compressed message breaks the protocol.
        if (e.flags & ENVELOPE_COMPRESSED) out.finish(new NodeMalformedRequestError('compressed message: this node accepts no compression'));
        else if (e.oversizeBytes !== undefined)
          session.oversize(e.data, e.oversizeBytes, new NodeLimitExceededError(route.limitName, `message of ${e.oversizeBytes} bytes exceeds the limit of ${route.maxMessageBytes}`));
        else session.message(e.data);
      }
    } catch (err) {
      out.finish(err instanceof MessageLimitError ? new NodeLimitExceededError(route.limitName, err.message) : err);
    } finally {
      pumping = false;
    }
    if (finished) return;
    const wanted = session.ready;
    if (!wanted && !paused) {
      paused = true;
      req.pause();
    } else if (wanted && paused) {
      paused = false;
      req.resume();
    }
    if (inputEnded && wanted && !endDelivered) {
      endDelivered = true;
      if (reader.midMessage) out.finish(new NodeMalformedRequestError('stream ended inside a message'));
      else session.end();
    }
  };

  req.on('data', (chunk: Buffer) => {
    if (finished) return;
    reader.append(chunk);
    pump();
  });
  req.on('end', () => {
    inputEnded = true;
    pump();
  });
  // A client that goes away takes its stream with it; nothing to answer.
  req.on('aborted', () => (finished = true));
  res.on('close', () => {
    finished = true;
    budget.close();
  });
}

/** Answers a stream the caller may not open with the error at once; nothing it sends is read. */
export function refuseRawStream(res: http2.Http2ServerResponse, refusal: unknown): void {
  res.writeHead(200, { 'content-type': CONNECT_STREAM_CONTENT_TYPE });
  res.end(encodeEnvelope(endStreamOf(toConnectError(refusal)), ENVELOPE_END_STREAM));
}
