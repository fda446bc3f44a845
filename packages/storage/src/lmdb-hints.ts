/**
 * The hint store of the LMDB engine: writes kept for nodes that could not take them. Keys are
 * `[target length][target][u64 seq]` (see key-layout.ts), so one node's hints are one range in
 * arrival order and listing the nodes with hints is one seek per node.
 */
import type { Database } from 'lmdb';
import type { Hint, HintInput } from './engine.js';
import { CorruptRecordError, KeyTooLargeError } from './errors.js';
import { decodeHintKey, encodeHintKey, hintTargetPrefix, prefixEnd } from './key-layout.js';
import { encodeFrame, frameValue, verifyFrame } from './record-codec.js';
import { checkLimit } from './validation.js';

type Db = Database<Buffer, Buffer>;

/** What the engine lends its stores: durable-write waiting and space accounting. */
export interface WriteSupport {
  durable<T>(committed: Promise<T>): Promise<T>;
  admit(bytes: number): void;
}

export class LmdbHintStore {
  /** Next sequence number per target, loaded lazily from the last stored hint. */
  private readonly nextSeq = new Map<string, number>();

  constructor(
    private readonly db: Db,
    private readonly writes: WriteSupport,
    private readonly onCorrupt?: (error: CorruptRecordError) => void,
  ) {}

  async add(target: string, hint: HintInput): Promise<number> {
    const prefix = hintTargetPrefix(target);
    const id = this.allocate(target, prefix);
    const hintKey = encodeHintKey(prefix, id);
    const frame = encodeFrame(hintKey, { value: encodeHintBody(hint) });
    this.writes.admit(hintKey.length + frame.length + 16);
    await this.writes.durable(this.db.put(hintKey, frame));
    return id;
  }

  list(target: string, limit: number): Hint[] {
    checkLimit(limit);
    const prefix = hintTargetPrefix(target);
    const out: Hint[] = [];
    const damaged: Buffer[] = [];
    for (const { key, value } of this.db.getRange(range(prefix))) {
      const bad = verifyFrame(key, value);
      const body = bad === undefined ? decodeHintBody(frameValue(value)) : undefined;
      if (body === undefined) {
        // Skipped, not thrown: one damaged hint must not block delivery of the others.
        this.onCorrupt?.(new CorruptRecordError(new Uint8Array(0), key, bad ?? 'format'));
        damaged.push(Buffer.from(key));
        continue;
      }
      out.push({ id: decodeHintKey(key)!.seq, ...body });
      if (out.length === limit) break;
    }
    // Dropped once reported: it can never be delivered, and kept it would count as pending for
    // ever (the server reaps no key while a hint for one of its replicas is pending). Rare, so a
    // synchronous write; should it not reach the disk, the next listing finds it again.
    for (const key of damaged) this.db.removeSync(key);
    return out;
  }

  async ack(target: string, ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    const prefix = hintTargetPrefix(target);
    // batch(): all removals in one transaction, executed on lmdb-js's write thread.
    await this.writes.durable(
      this.db.batch(() => {
        for (const id of ids) void this.db.remove(encodeHintKey(prefix, id));
      }),
    );
  }

  /** O(hints): lmdb-js counts by walking the range. */
  count(target?: string): number {
    return target === undefined ? this.db.getCount() : this.db.getCount(range(hintTargetPrefix(target)));
  }

  /** One seek. */
  has(target?: string): boolean {
    const r = target === undefined ? {} : range(hintTargetPrefix(target));
    for (const _ of this.db.getKeys({ ...r, limit: 1 })) return true;
    return false;
  }

  targets(): string[] {
    const out: string[] = [];
    let start: Buffer | undefined = Buffer.alloc(0);
    while (start !== undefined) {
      let found: Buffer | undefined;
      for (const key of this.db.getKeys({ start, limit: 1 })) found = key;
      if (found === undefined) break;
      const decoded = decodeHintKey(found);
      const prefix = found.subarray(0, 1 + found[0]!);
      if (decoded !== undefined) out.push(decoded.target);
      // Jump past every hint of this target.
      start = prefixEnd(prefix);
    }
    return out;
  }

  private allocate(target: string, prefix: Buffer): number {
    let next = this.nextSeq.get(target);
    if (next === undefined) {
      next = 1;
      // A reverse range starts at its high end.
      const { start, end } = range(prefix);
      for (const key of this.db.getKeys({ start: end, end: start, reverse: true, limit: 1 })) {
        next = (decodeHintKey(key)?.seq ?? 0) + 1;
      }
    }
    this.nextSeq.set(target, next + 1);
    return next;
  }
}

function range(prefix: Buffer): { start: Buffer; end?: Buffer } {
  const end = prefixEnd(prefix);
  return end === undefined ? { start: prefix } : { start: prefix, end };
}

/** `[u8 bucket length][bucket][u16 key length][key][value]` */
function encodeHintBody(hint: HintInput): Buffer {
  if (hint.bucket.length > 255) throw new KeyTooLargeError('bucket', hint.bucket.length, 255);
  if (hint.key.length > 0xffff) throw new KeyTooLargeError('key', hint.key.length, 0xffff);
  const out = Buffer.allocUnsafe(3 + hint.bucket.length + hint.key.length + hint.value.length);
  out[0] = hint.bucket.length;
  out.set(hint.bucket, 1);
  let at = 1 + hint.bucket.length;
  out.writeUInt16BE(hint.key.length, at);
  at += 2;
  out.set(hint.key, at);
  out.set(hint.value, at + hint.key.length);
  return out;
}

function decodeHintBody(body: Uint8Array): HintInput | undefined {
  const bucketEnd = 1 + (body[0] ?? 0);
  if (bucketEnd + 2 > body.length) return undefined;
  const keyLength = (body[bucketEnd]! << 8) | body[bucketEnd + 1]!;
  const keyEnd = bucketEnd + 2 + keyLength;
  if (keyEnd > body.length) return undefined;
  return {
    bucket: body.slice(1, bucketEnd),
    key: body.slice(bucketEnd + 2, keyEnd),
    value: body.slice(keyEnd),
  };
}
