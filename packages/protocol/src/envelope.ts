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

/**
 * Largest message any QuorumKV stream accepts (64 MiB): the hard ceiling above every configured
 * limit, and the guard against corrupt length prefixes.
 */
export const MAX_ENVELOPE_BYTES = 64 * 1024 * 1024;

/** A message broke a size or count limit of its reader (too long, too many operations). */
export class MessageLimitError extends Error {
  override readonly name = 'MessageLimitError';
  constructor(
    /** What was counted: `"bytes"` of one message or `"operations"` in one message. */
    readonly unit: 'bytes' | 'operations',
    readonly actual: number,
    readonly limit: number,
  ) {
    super(`message of ${actual} ${unit} exceeds the limit of ${limit}`);
  }
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

/** One decoded envelope; `data` may be a view into a received chunk. */
export interface Envelope {
  flags: number;
  data: Uint8Array;
  /**
   * Set when the message was longer than the reader's limit and skipped: its declared length.
   * `data` then holds only its first {@link OVERSIZE_PREFIX_BYTES} bytes (enough to name the
   * operation it carried, so the sender can be answered without reading the rest into memory).
   */
  oversizeBytes?: number;
}

/** Bytes of a skipped (oversize) message kept for its reader. */
export const OVERSIZE_PREFIX_BYTES = 64;

export interface EnvelopeReaderOptions {
  /** Longest message returned (default {@link MAX_ENVELOPE_BYTES}). */
  maxMessageBytes?: number;
  /**
   * Messages longer than `maxMessageBytes` but at most this long are skipped: their bytes are
   * dropped as they arrive and the message is returned with `oversizeBytes` set. Longer ones throw
   * {@link MessageLimitError} at once. Default: `maxMessageBytes` (nothing is skipped).
   */
  skipMessagesUpToBytes?: number;
}

/**
 * Splits a byte stream into envelopes, across chunk boundaries. Feed every received chunk to
 * `append` and take complete envelopes with `next` (or do both with `push`). Chunks are kept by
 * reference until their bytes are consumed: callers must not reuse them. A message that spans
 * chunks is joined once, when its last byte arrives, so reassembly costs linear time; a message
 * inside one chunk is returned as a view of it.
 */
export class EnvelopeReader {
  private readonly chunks: Uint8Array[] = [];
  /** Index in `chunks` of the first chunk with unread bytes, and the offset of those in it. */
  private head = 0;
  private offset = 0;
  private buffered = 0;
  private readonly maxBytes: number;
  private readonly skipUpTo: number;
  /** While skipping an oversize message: its header and declared length, bytes left, the prefix kept. */
  private skipping: { flags: number; length: number; left: number; prefix: Uint8Array; kept: number } | undefined;

  constructor(options: EnvelopeReaderOptions = {}) {
    this.maxBytes = options.maxMessageBytes ?? MAX_ENVELOPE_BYTES;
    this.skipUpTo = Math.max(this.maxBytes, options.skipMessagesUpToBytes ?? this.maxBytes);
  }

  /** Appends a received chunk (kept by reference). */
  append(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /**
   * The next complete envelope, or undefined until more bytes arrive. Throws
   * {@link MessageLimitError} for a declared length past the limits.
   */
  next(): Envelope | undefined {
    if (this.skipping) return this.skip();
    if (this.buffered < HEADER_BYTES) return undefined;
    const flags = this.peek(0);
    const length = ((this.peek(1) << 24) | (this.peek(2) << 16) | (this.peek(3) << 8) | this.peek(4)) >>> 0;
    if (length > this.maxBytes) {
      if (length > this.skipUpTo) throw new MessageLimitError('bytes', length, this.maxBytes);
      this.consume(HEADER_BYTES);
      const prefix = new Uint8Array(Math.min(OVERSIZE_PREFIX_BYTES, length));
      this.skipping = { flags, length, left: length, prefix, kept: 0 };
      return this.skip();
    }
    if (this.buffered < HEADER_BYTES + length) return undefined;
    this.consume(HEADER_BYTES);
    return { flags, data: this.take(length) };
  }

  /** Appends a chunk and returns every envelope now complete. */
  push(chunk: Uint8Array): Envelope[] {
    this.append(chunk);
    const out: Envelope[] = [];
    for (let e = this.next(); e; e = this.next()) out.push(e);
    return out;
  }

  /** True when bytes of an unfinished envelope are buffered (or an oversize one is being skipped). */
  get midMessage(): boolean {
    return this.buffered > 0 || this.skipping !== undefined;
  }

  /** Bytes held: received and not yet returned in an envelope. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  private skip(): Envelope | undefined {
    const s = this.skipping!;
    while (s.left > 0 && this.buffered > 0) {
      const chunk = this.chunks[this.head]!;
      const n = Math.min(s.left, chunk.length - this.offset);
      if (s.kept < s.prefix.length) {
        const keep = Math.min(n, s.prefix.length - s.kept);
        s.prefix.set(chunk.subarray(this.offset, this.offset + keep), s.kept);
        s.kept += keep;
      }
      this.consume(n);
      s.left -= n;
    }
    if (s.left > 0) return undefined;
    this.skipping = undefined;
    return { flags: s.flags, data: s.prefix, oversizeBytes: s.length };
  }

  /** The byte `i` places past the read position (`i` < buffered). */
  private peek(i: number): number {
    let at = this.offset + i;
    for (let c = this.head; ; c++) {
      const chunk = this.chunks[c]!;
      if (at < chunk.length) return chunk[at]!;
      at -= chunk.length;
    }
  }

  /** Drops `n` buffered bytes (n <= buffered). */
  private consume(n: number): void {
    this.buffered -= n;
    let left = n;
    while (left > 0) {
      const chunk = this.chunks[this.head]!;
      const inChunk = chunk.length - this.offset;
      if (left < inChunk) {
        this.offset += left;
        return;
      }
      left -= inChunk;
      this.head++;
      this.offset = 0;
    }
    this.compact();
  }

  /** The next `n` bytes: a view when one chunk holds them all, else one copy joining the chunks. */
  private take(n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    const first = this.chunks[this.head]!;
    if (first.length - this.offset >= n) {
      const view = first.subarray(this.offset, this.offset + n);
      this.consume(n);
      return view;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[this.head]!;
      const part = Math.min(n - filled, chunk.length - this.offset);
      out.set(part === chunk.length ? chunk : chunk.subarray(this.offset, this.offset + part), filled);
      filled += part;
      this.consume(part);
    }
    return out;
  }

  /** Forgets consumed chunks (in one splice, not one shift per chunk). */
  private compact(): void {
    if (this.head === this.chunks.length) {
      this.chunks.length = 0;
      this.head = 0;
    } else if (this.head > 64) {
      this.chunks.splice(0, this.head);
      this.head = 0;
    }
  }
}

/**
 * Reads an end-of-stream message: undefined when it reports success, else its error, with the
 * error's JSON as sent (`json`, for connect-es's `errorFromJson`, which keeps the details).
 */
export function parseEndStream(data: Uint8Array): { code: string; message: string; json?: object } | undefined {
  try {
    const parsed = JSON.parse(getTextEncoding().decodeUtf8(data)) as { error?: { code?: string; message?: string } };
    if (!parsed.error) return undefined;
    return { code: parsed.error.code ?? 'unknown', message: parsed.error.message ?? '', json: parsed.error };
  } catch {
    return { code: 'internal', message: 'malformed end-of-stream message' };
  }
}
