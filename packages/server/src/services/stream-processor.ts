// What the hot streams (Session, Replicate) share between their two paths: the raw Connect stream
// and connect-es (gRPC). A processor runs a stream's request messages under its budget; the paths
// only decode messages and carry responses.
import { MessageLimitError } from '@quorumkv/protocol';
import { NodeLimitExceededError, NodeMalformedRequestError } from '../errors/errors.js';
import type { RawStreamOutput, RawStreamSession } from '../http/raw-stream.js';

/** Where a stream processor sends its responses. */
export interface StreamSink<Res> {
  /** One response; it holds `heldBytes` of the stream's budget until the client has read it. */
  send(res: Res, heldBytes: number): void;
  /** Every request was answered after the client finished sending. */
  done(): void;
  /** The stream fails with `err`. */
  fail(err: unknown): void;
}

/** A stream's request handling, as both paths drive it. */
export interface StreamProcessor<Req> {
  /** Whether another request message may be read now. */
  readonly ready: boolean;
  /** A request message; `bytes`, its size on the wire when known. */
  message(req: Req, bytes?: number): void;
  /** Room was freed: start what waited for it. */
  pump(): void;
  end(): void;
}

/** A stream's request messages: their type, their limits, and how the raw path decodes them. */
export interface StreamMessages<Req> {
  /** e.g. `quorumkv.v1.SessionRequest`. */
  type: string;
  /** The name of the limit on one message's size, for LIMIT_EXCEEDED. */
  sizeLimit: string;
  /** The limit on the entries of one message (operations, items): its name, value and count. */
  countLimit: { name: string; max: number; count: (req: Req) => number };
  /** Decodes one message (throws MessageLimitError at once past `countLimit`). */
  decode: (data: Uint8Array) => Req;
  /** Checks a decoded message before it is run (throws the node's error to end the stream). */
  check?: (req: Req) => void;
}

/** Checks a message decoded by connect-es against the limit its decoding could not apply. */
export function checkCount<Req>(m: StreamMessages<Req>, req: Req): void {
  const n = m.countLimit.count(req);
  if (n > m.countLimit.max) throw new NodeLimitExceededError(m.countLimit.name, `message of ${n} entries exceeds the limit of ${m.countLimit.max}`);
  m.check?.(req);
}

/** The raw-path session of a processor: messages decoded and checked, then run. */
export function rawStreamSession<Req>(
  out: RawStreamOutput,
  processor: StreamProcessor<Req>,
  m: StreamMessages<Req>,
  oversize: RawStreamSession['oversize'],
): RawStreamSession {
  return {
    message(data) {
      let req: Req;
      try {
        req = m.decode(data);
      } catch (err) {
        if (err instanceof MessageLimitError) return out.finish(new NodeLimitExceededError(m.countLimit.name, err.message));
        return out.finish(new NodeMalformedRequestError(`malformed ${m.type}: ${(err as Error).message}`));
      }
      try {
        m.check?.(req);
      } catch (err) {
        return out.finish(err);
      }
      processor.message(req, data.length);
    },
    oversize,
    get ready() {
      return processor.ready;
    },
    wake: () => processor.pump(),
    end: () => processor.end(),
  };
}
