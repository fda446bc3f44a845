/**
 * Node metadata in the LMDB engine (node id, cluster id, ring bytes), checksummed like records.
 * Names starting with NUL are reserved for the engine's own layout record.
 */
import type { Database } from 'lmdb';
import { CorruptRecordError, StorageArgumentError, LayoutMismatchError } from './errors.js';
import { FORMAT_VERSION, encodeFrame, frameValue, verifyFrame } from './record-codec.js';
import type { MetaEntry } from './engine.js';
import { prefixEnd } from './key-layout.js';
import type { WriteSupport } from './lmdb-hints.js';

type Db = Database<Buffer, Buffer>;

/** Where the engine records the layout the data was written with. */
const LAYOUT_NAME = '\u0000storage.layout';
const utf8 = new TextEncoder();

export class LmdbMetaStore {
  constructor(
    private readonly db: Db,
    private readonly writes: WriteSupport,
  ) {}

  get(name: string): Uint8Array | undefined {
    const key = Buffer.from(utf8.encode(name));
    const frame = this.db.getBinary(key);
    if (frame === undefined) return undefined;
    const bad = verifyFrame(key, frame);
    if (bad !== undefined) throw new CorruptRecordError(new Uint8Array(0), key, bad);
    return frameValue(frame);
  }

  list(prefix: string, onCorrupt?: (error: CorruptRecordError) => void): MetaEntry[] {
    const start = Buffer.from(utf8.encode(prefix));
    const end = prefixEnd(start);
    const out: MetaEntry[] = [];
    for (const { key, value } of this.db.getRange(end === undefined ? { start } : { start, end })) {
      if (key[0] === 0) continue; // reserved names
      const bad = verifyFrame(key, value);
      if (bad !== undefined) {
        onCorrupt?.(new CorruptRecordError(new Uint8Array(0), key, bad));
        continue;
      }
      out.push({ name: new TextDecoder().decode(key), value: frameValue(value) });
    }
    return out;
  }

  async set(name: string, value: Uint8Array): Promise<void> {
    if (name.startsWith('\u0000')) throw new StorageArgumentError('name', 'names starting with NUL are reserved');
    await this.write(name, value);
  }

  async delete(name: string): Promise<void> {
    if (name.startsWith('\u0000')) throw new StorageArgumentError('name', 'names starting with NUL are reserved');
    await this.writes.durable(this.db.remove(Buffer.from(utf8.encode(name))));
  }

  /**
   * Records the partition count on first open and refuses a different one later: the partition is
   * part of every stored key, so another count would make every existing record unreachable.
   */
  async checkLayout(partitionCount: number): Promise<void> {
    const wanted = `v${FORMAT_VERSION} partitions=${partitionCount}`;
    const stored = this.get(LAYOUT_NAME);
    if (stored === undefined) {
      await this.write(LAYOUT_NAME, utf8.encode(wanted));
      return;
    }
    const text = new TextDecoder().decode(stored);
    if (text !== wanted) throw new LayoutMismatchError('layout', text, wanted);
  }

  /**
   * Not charged to the space quota: metadata is a few small values (identity, ring, the epoch lease
   * that keeps this node's dots unique), and a full node must still be able to start and record it.
   */
  private async write(name: string, value: Uint8Array): Promise<void> {
    const key = Buffer.from(utf8.encode(name));
    await this.writes.durable(this.db.put(key, encodeFrame(key, { value })));
  }
}
