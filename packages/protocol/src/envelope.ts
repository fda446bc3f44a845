import { getTextEncoding } from '@bufbuild/protobuf/wire';

// Framing of the Connect streaming protocol (and gRPC's, which has the same envelope): each message
// is one flags byte, a 4-byte big-endian length and the message bytes. The node's hot streams
// (ReplicaService.Replicate, KvService.Session) speak it directly on HTTP/2 streams; this module is
// the one place that knows the layout. Pure: Uint8Array only, so browsers and tests can use it.

/** The message is compressed (QuorumKV never compresses; a peer that does gets an error). */
export const ENVELOPE_COMPRESSED = 0b01;
/** Connect's end-of-stream message: JSON `{}` or `{"error": {...}}`, last on a response stream. */
export const ENVELOPE_END_STREAM = 0b10;

const HEADER_BYTES = 5;

/** Largest message accepted from a peer (64 MiB): a guard against corrupt length prefixes. */
export const MAX_ENVELOPE_BYTES = 64 * 1024 * 1024;

/** A stream's bytes did not hold valid envelopes. */
export class EnvelopeError extends Error {
  override readonly name = 'EnvelopeError';
}

/** Frames one message. */
export function encodeEnvelope(message: Uint8Array, flags = 0): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + message.length);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, message.length);
  out.set(message, HEADER_BYTES);
  return out;
}

/** Bytes an envelope header takes: encoders that leave this much room let {@link frameEnvelope} skip a copy. */
export const ENVELOPE_HEADER_BYTES = HEADER_BYTES;

/** Writes the envelope header into the first {@link ENVELOPE_HEADER_BYTES} of `buf`, which holds the message after them. */
export function frameEnvelope(buf: Uint8Array, flags = 0): Uint8Array {
  buf[0] = flags;
  new DataView(buf.buffer, buf.byteOffset, HEADER_BYTES).setUint32(1, buf.length - HEADER_BYTES);
  return buf;
}

/** One decoded envelope; `data` may be a view into the received chunk. */
export interface Envelope {
  flags: number;
  data: Uint8Array;
}

/**
 * Splits a byte stream into envelopes, across chunk boundaries. Feed every received chunk to
 * `push`; it returns the complete envelopes so far (views into the chunks where possible).
 */
export class EnvelopeReader {
  private pending: Uint8Array = new Uint8Array(0);

  push(chunk: Uint8Array): Envelope[] {
    let buf = this.pending.length === 0 ? chunk : concat(this.pending, chunk);
    const out: Envelope[] = [];
    while (buf.length >= HEADER_BYTES) {
      const length = new DataView(buf.buffer, buf.byteOffset + 1, 4).getUint32(0);
      if (length > MAX_ENVELOPE_BYTES) throw new EnvelopeError(`message of ${length} bytes exceeds ${MAX_ENVELOPE_BYTES}`);
      if (buf.length < HEADER_BYTES + length) break;
      out.push({ flags: buf[0]!, data: buf.subarray(HEADER_BYTES, HEADER_BYTES + length) });
      buf = buf.subarray(HEADER_BYTES + length);
    }
    // Keep the partial tail; copy it so the caller's chunk can be reused.
    this.pending = buf.length === 0 ? new Uint8Array(0) : buf.slice();
    return out;
  }

  /** True when bytes of an unfinished envelope are buffered. */
  get midMessage(): boolean {
    return this.pending.length > 0;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Reads an end-of-stream message: undefined when it reports success, else its error. */
export function parseEndStream(data: Uint8Array): { code: string; message: string } | undefined {
  try {
    const parsed = JSON.parse(getTextEncoding().decodeUtf8(data)) as { error?: { code?: string; message?: string } };
    if (!parsed.error) return undefined;
    return { code: parsed.error.code ?? 'unknown', message: parsed.error.message ?? '' };
  } catch {
    return { code: 'internal', message: 'malformed end-of-stream message' };
  }
}
