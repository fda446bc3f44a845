// After an ownership transition finishes, a node that is no longer a possible holder of a
// partition drops its copies of it. Left behind, they could come back: a later transition may make
// this node a source again, and its stale copy of a key whose tombstone was reaped meanwhile would
// revive the key. Records are removed with storage.reap (only if the bytes are still the ones
// scanned), so a write that lands meanwhile is kept.
import type { Ring } from '@quorumkv/ring';
import type { StorageEngine } from '@quorumkv/storage';
import { possibleHolders } from '../cluster/buckets.js';

const PAGE = 512;

/** Partitions `selfId` held copies of under `before` (or its target) and holds none of under `after`. */
export function partitionsLost(before: Ring, after: Ring, selfId: string): number[] {
  const lost: number[] = [];
  for (let p = 0; p < after.partitionCount; p++) {
    if (possibleHolders(before, p).includes(selfId) && !possibleHolders(after, p).includes(selfId)) lost.push(p);
  }
  return lost;
}

/** Drops every record of `partitions` here; returns how many were removed. */
export async function dropPartitions(storage: StorageEngine, partitions: readonly number[]): Promise<number> {
  let removed = 0;
  for (const partition of partitions) {
    for (;;) {
      const page = storage.scanPartition(partition, { limit: PAGE });
      if (page.items.length === 0) break;
      let progress = 0;
      for (const item of page.items) if (await storage.reap(item.bucket, item.key, item.record.value, partition)) progress++;
      removed += progress;
      // Every record of the page changed under us: leave them (they are new writes) for now.
      if (progress === 0) break;
    }
  }
  return removed;
}
