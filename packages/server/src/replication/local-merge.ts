// The one way a record this node did not coordinate reaches its store: replica writes, delivered
// hints and read repair all merge (DVVSet sync) with what is stored at that moment, in one
// transaction, and never overwrite. When the local record was absent or corrupt the incoming copy
// is stored as it is. Whenever a copy knows more of one of this node's epochs than the local record
// (always the case for a copy naming one into an absent slot), that epoch stops being trusted: the
// local record had lost some of this node's own dots for the key, the copy may lack some too (e.g.
// read repair after corruption brings `{a~E:2}` while another replica holds `a~E:3`; or a first
// stale hint naming no epoch of this node, then a second one bringing `{a~E:1}` while `a~E:2`
// exists elsewhere), and the coordinator mints the next dot of a trusted epoch from the local
// record alone.
import type { StorageEngine, StoredRecord, UpdateFn } from '@quorumkv/storage';
import type { ActorEpochs } from '../cluster/actor-epochs.js';
import { decodeStored, encodeRecord, mergeRecords, storedForm, type KeyRecord } from '../record/key-record.js';

export interface LocalMergeDeps {
  storage: StorageEngine;
  epochs: Pick<ActorEpochs, 'distrustCopy' | 'noteReaped' | 'distrustAfterLostRecord'>;
  /** Dead records become due for reaping this long after they died. */
  tombstoneGraceMs: number;
}

/** Where a record goes. */
export interface MergeTarget {
  bucket: Uint8Array;
  key: Uint8Array;
  partition: number | undefined;
  lww: boolean;
}

/** Merges `incoming` (encoded as `incomingBytes`) into the local record; resolves once durable. */
export function mergeIntoLocal(d: LocalMergeDeps, t: MergeTarget, incoming: KeyRecord, incomingBytes: Uint8Array): Promise<StoredRecord | undefined> {
  return d.storage.update(t.bucket, t.key, mergeStep(d, t, incoming, incomingBytes), t.partition);
}

/** The storage update step of {@link mergeIntoLocal} (also run for many records at once, by handoff). */
export function mergeStep(d: LocalMergeDeps, t: Omit<MergeTarget, 'partition'>, incoming: KeyRecord, incomingBytes: Uint8Array): UpdateFn {
  return (cur) => {
    // Retries, hints and repair echoes often bring exactly what is stored: nothing to merge.
    if (cur && Buffer.compare(cur.value, incomingBytes) === 0) return undefined;
    const local = decodeStored(cur);
    if (cur && !local) d.epochs.distrustAfterLostRecord();
    d.epochs.distrustCopy(incoming.context, local?.context, t);
    if (!local) {
      // No re-encoding: the received bytes are stored as they are.
      return storedForm(incoming, incomingBytes, d.tombstoneGraceMs);
    }
    const merged = mergeRecords(local, incoming, t.lww);
    const value = encodeRecord(merged);
    if (Buffer.compare(value, cur!.value) === 0) return undefined;
    return storedForm(merged, value, d.tombstoneGraceMs);
  };
}
