// Protobuf field reading for the hand-written hot-path codecs, over @quorumkv/bytes's ByteReader
// (whose varint32/varint64 follow protobuf's rules). Plain functions rather than a subclass, so every
// reader in the process is one ByteReader shape and its methods stay monomorphic. Bytes fields come
// back as views into the input: its owner must not reuse it while they are alive.
import { BytesError, ByteReader } from '@quorumkv/bytes';
import { WIRE_LEN, WIRE_VARINT } from './wire-writer.js';
import { MessageLimitError } from '../envelope.js';

/** The bytes are not a valid encoding of the expected message. */
export class WireFormatError extends Error {
  override readonly name = 'WireFormatError';
}

/** `err` as the codecs report it: a byte-level failure becomes a WireFormatError (cause kept). */
export function wireFormatError(err: unknown): unknown {
  return err instanceof BytesError ? new WireFormatError(err.message, { cause: err }) : err;
}

/**
 * The entries of a message whose one known field is field 1, a repeated message read by `read`
 * (SessionRequest.ops, SessionResponse.results); other fields are skipped. More than `maxEntries`
 * throws {@link MessageLimitError} at once, before the rest is read.
 */
export function readRepeatedField1<T>(bytes: Uint8Array, read: (r: ByteReader) => T, maxEntries = Infinity): T[] {
  const out: T[] = [];
  const r = new ByteReader(bytes);
  try {
    while (!r.done) {
      const tag = readTag(r);
      if (tag === 0x0a) {
        if (out.length === maxEntries) throw new MessageLimitError('operations', out.length + 1, maxEntries);
        out.push(read(readNested(r)));
      } else skipField(r, tag);
    }
  } catch (err) {
    throw wireFormatError(err);
  }
  return out;
}

/** The next tag: field number times 8 plus wire type. */
export function readTag(r: ByteReader): number {
  const t = r.varint32();
  if (t >>> 3 === 0) throw new WireFormatError(`invalid field number 0 at byte ${r.pos}`);
  return t;
}

export function readBool(r: ByteReader): boolean {
  return r.varint32() !== 0;
}

/** An int64 varint (two's complement). */
export function readInt64(r: ByteReader): bigint {
  return BigInt.asIntN(64, r.varint64());
}

/** A bytes field, as a view into the input. */
export function readBytes(r: ByteReader): Uint8Array {
  return r.view(r.varint32());
}

/** A string field: proto3 strings must be valid UTF-8 (protobuf-es refuses them too). */
export function readString(r: ByteReader): string {
  return r.utf8(r.varint32());
}

/** A reader over a nested message's bytes; `r` moves past them. */
export function readNested(r: ByteReader): ByteReader {
  return r.sub(r.varint32());
}

/** Skips a field the codec does not know (or whose wire type is not the expected one). */
export function skipField(r: ByteReader, tag: number): void {
  switch (tag & 7) {
    case WIRE_VARINT:
      r.varint32();
      return;
    case 1:
      r.skip(8);
      return;
    case WIRE_LEN:
      r.skip(r.varint32());
      return;
    case 5:
      r.skip(4);
      return;
    case 3: {
      // A group: skip fields up to its end tag.
      for (;;) {
        const t = readTag(r);
        if ((t & 7) === 4) return;
        skipField(r, t);
      }
    }
    default:
      throw new WireFormatError(`unsupported wire type ${tag & 7}`);
  }
}
