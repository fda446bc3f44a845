// HandoffRequest.packed_records: a handoff message's records as one bytes field rather than one
// ReplicaItem each. protobuf-es decoding and encoding of ~1,000 items per message cost more CPU than
// storing them; a packed field is read as one view, and its records are views into it.
//
// Layout: for each record, in order, three length-prefixed byte strings (an unsigned LEB128 varint
// length, then the bytes): the bucket (UTF-8), the key, the record (an encoded DVVSet).
import { ByteReader, ByteWriter, prefixedBytesSize } from '@quorumkv/bytes';
import { MessageLimitError } from '../envelope.js';
import { REPLICA_MAX_ITEMS_PER_MESSAGE } from './replica-codec.js';
import { wireFormatError } from './wire-reader.js';

/** One record of a handoff message. */
export interface HandoffRecord {
  /** Bucket name. */
  bucket: string;
  /** The bucket name's UTF-8 bytes (a view into the message when decoded). */
  bucketBytes: Uint8Array;
  /** Key bytes. */
  key: Uint8Array;
  /** Encoded DVVSet. */
  record: Uint8Array;
}

/** Most records in one handoff message, as for Replicate's items. */
export const HANDOFF_MAX_RECORDS_PER_MESSAGE = REPLICA_MAX_ITEMS_PER_MESSAGE;

/** Bytes {@link packHandoffRecords} makes of `records`. */
export function packedHandoffRecordsSize(records: readonly Pick<HandoffRecord, 'bucketBytes' | 'key' | 'record'>[]): number {
  let size = 0;
  for (const r of records) size += prefixedBytesSize(r.bucketBytes) + prefixedBytesSize(r.key) + prefixedBytesSize(r.record);
  return size;
}

/** The packed_records field of `records`. */
export function packHandoffRecords(records: readonly Pick<HandoffRecord, 'bucketBytes' | 'key' | 'record'>[]): Uint8Array {
  const w = new ByteWriter(new Uint8Array(packedHandoffRecordsSize(records)));
  for (const r of records) {
    w.prefixedBytes(r.bucketBytes);
    w.prefixedBytes(r.key);
    w.prefixedBytes(r.record);
  }
  return w.finish();
}

/**
 * The records of a packed_records field, as views into `bytes`.
 * @throws WireFormatError when the field is not a whole number of well-formed records (or a bucket
 *   is not UTF-8); MessageLimitError beyond `maxRecords`.
 */
export function unpackHandoffRecords(bytes: Uint8Array, maxRecords = HANDOFF_MAX_RECORDS_PER_MESSAGE): HandoffRecord[] {
  const out: HandoffRecord[] = [];
  const r = new ByteReader(bytes);
  let bucket = '';
  let bucketBytes: Uint8Array | undefined;
  try {
    while (!r.done) {
      if (out.length === maxRecords) throw new MessageLimitError('operations', out.length + 1, maxRecords);
      const b = r.prefixedView();
      // Records come in key order, so a message's records mostly share one bucket: decode it once.
      if (bucketBytes === undefined || !sameBytes(b, bucketBytes)) {
        bucket = new ByteReader(b).utf8(b.length);
        bucketBytes = b;
      }
      out.push({ bucket, bucketBytes: b, key: r.prefixedView(), record: r.prefixedView() });
    }
  } catch (err) {
    throw wireFormatError(err);
  }
  return out;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
