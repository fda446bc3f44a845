// The node's hot streams (ReplicaService.Replicate, KvService.Session) in the Connect streaming
// protocol, served directly on the HTTP/2 stream instead of through connect-es: connect-es costs
// ~150 µs of CPU per message round trip here against ~20-35 µs for the same envelopes on the raw
// stream (docs/benchmarks.md). The wire format is unchanged, so any Connect client can call them;
// gRPC-protocol calls of the same methods still go through connect-es.
import type * as http2 from 'node:http2';
import type { ConnectError } from '@connectrpc/connect';
import { endStreamToJson } from '@connectrpc/connect/protocol-connect';
import { ENVELOPE_COMPRESSED, ENVELOPE_END_STREAM, EnvelopeReader, encodeEnvelope, type Envelope } from '@quorumkv/protocol';
import { toConnectError } from '../errors/connect-errors.js';
import { NodeMalformedRequestError } from '../errors/errors.js';

/** Where a stream handler writes. */
export interface RawStreamOutput {
  /** Sends a message already behind its envelope header (`frameEnvelope`). */
  sendFramed(framed: Uint8Array): void;
  /** Ends the response stream, with an error (any error the node raised) or successfully. */
  finish(error?: unknown): void;
}

/** One open stream, as a handler sees it. */
export interface RawStreamSession {
  /** A request message (valid during the call). */
  message(data: Uint8Array): void;
  /** The client finished sending; finish the response once outstanding work is done. */
  end(): void;
}

/** Opens a handler for one stream. */
export type RawStreamHandler = (out: RawStreamOutput) => RawStreamSession;

const OK_END = new TextEncoder().encode('{}');
const NO_METADATA = new Headers();

/** Connect's end-of-stream message for an error: code, message and details, as connect-es writes it. */
function endStreamOf(err: ConnectError): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(endStreamToJson(NO_METADATA, err, undefined)));
}

export const CONNECT_STREAM_CONTENT_TYPE = 'application/connect+proto';

/** Serves one HTTP/2 request whose path has a raw handler. */
export function serveRawStream(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse, handler: RawStreamHandler): void {
  let finished = false;
  res.writeHead(200, { 'content-type': CONNECT_STREAM_CONTENT_TYPE });
  const out: RawStreamOutput = {
    sendFramed: (framed) => {
      if (!finished && !res.writableEnded) res.write(framed);
    },
    finish: (error) => {
      if (finished) return;
      finished = true;
      if (!res.writableEnded) res.end(encodeEnvelope(error === undefined ? OK_END : endStreamOf(toConnectError(error)), ENVELOPE_END_STREAM));
    },
  };
  const session = handler(out);
  const reader = new EnvelopeReader();
  req.on('data', (chunk: Buffer) => {
    if (finished) return;
    let envelopes: Envelope[];
    try {
      envelopes = reader.push(chunk);
    } catch (err) {
      return out.finish(new NodeMalformedRequestError(err instanceof Error ? err.message : String(err)));
    }
    for (const e of envelopes) {
      // Compression is never negotiated here, so a compressed message breaks the protocol.
      if (e.flags & ENVELOPE_COMPRESSED) return out.finish(new NodeMalformedRequestError('compressed message: this node accepts no compression'));
      session.message(e.data);
      if (finished) return;
    }
  });
  req.on('end', () => {
    if (reader.midMessage) out.finish(new NodeMalformedRequestError('stream ended inside a message'));
    else session.end();
  });
  // A client that goes away takes its stream with it; nothing to answer.
  req.on('aborted', () => (finished = true));
  res.on('close', () => (finished = true));
}
