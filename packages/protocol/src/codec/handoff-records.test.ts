import fc from 'fast-check';
import { MessageLimitError } from '../envelope.js';
import { packHandoffRecords, unpackHandoffRecords } from './handoff-records.js';
import { WireFormatError } from './wire-reader.js';

const enc = new TextEncoder();
const bytes = fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 127, maxLength: 130 }));
const bucket = fc.oneof(fc.constantFrom('default', 'ünï', '𝄞x'), fc.string({ minLength: 1, maxLength: 12 }));
const records = fc.array(fc.record({ bucket, key: bytes, record: bytes }), { maxLength: 20 });

describe('packed handoff records', () => {
  it('unpacks what was packed, in order, whatever the buckets, keys and records', () => {
    fc.assert(
      fc.property(records, (rs) => {
        const input = rs.map((r) => ({ ...r, bucketBytes: enc.encode(r.bucket) }));
        const out = unpackHandoffRecords(packHandoffRecords(input));
        expect(out.map((r) => ({ bucket: r.bucket, bucketBytes: [...r.bucketBytes], key: [...r.key], record: [...r.record] }))).toEqual(
          input.map((r) => ({ bucket: r.bucket, bucketBytes: [...r.bucketBytes], key: [...r.key], record: [...r.record] })),
        );
      }),
      { seed: 19, numRuns: 300 },
    );
  });

  it('refuses a truncated field, a bucket that is not UTF-8 and more records than the limit', () => {
    const one = { bucket: 'b', bucketBytes: enc.encode('b'), key: enc.encode('k'), record: enc.encode('rec') };
    const packed = packHandoffRecords([one, one]);
    for (let cut = 1; cut < packed.length; cut++) {
      // Cutting at a record boundary leaves whole records; anywhere else fails.
      if (cut === packed.length / 2) continue;
      expect(() => unpackHandoffRecords(packed.subarray(0, cut))).toThrow(WireFormatError);
    }
    expect(() => unpackHandoffRecords(packHandoffRecords([{ ...one, bucketBytes: new Uint8Array([0xff]) }]))).toThrow(WireFormatError);
    expect(() => unpackHandoffRecords(packed, 1)).toThrow(MessageLimitError);
    expect(unpackHandoffRecords(new Uint8Array(0))).toEqual([]);
  });
});
