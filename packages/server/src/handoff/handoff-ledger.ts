// Ownership handoff, receiving side's record of what it holds complete: when the last message of a
// transfer is stored, the receiver notes (durably, in storage metadata) that it holds the partition
// for that transition. A node that drops its copies after a transition finishes asks each new holder
// for this note first (old-copies.ts): a finished ring alone is no proof that the data moved, since
// in the insecure mode anyone could have sent it, and in any mode a forged transfer report could
// have finished it.
import { partitionTransfers, type Ring } from '@quorumkv/ring';
import type { StorageEngine } from '@quorumkv/storage';
import { NodeArgumentError, NodeNotReadyError } from '../errors/errors.js';

const PREFIX = 'handoff-received:';
const HELD = new Uint8Array([1]);

function noteKey(since: number, partition: number): string {
  return `${PREFIX}${since}:${partition}`;
}

/**
 * Removes this node's notes that it holds any of `partitions` (for every transition): called before
 * their copies are dropped. A note kept past the drop would confirm, to a node asking with
 * `or_later` (or asking again about that transition), that this node holds data it no longer has,
 * e.g. once the partition comes back to it in a later change and its transfer has not arrived yet.
 */
export async function forgetReceived(storage: StorageEngine, partitions: readonly number[]): Promise<void> {
  const dropped = new Set(partitions);
  for (const { name } of storage.listMeta(PREFIX)) {
    const partition = Number(name.slice(name.lastIndexOf(':') + 1));
    if (dropped.has(partition)) await storage.deleteMeta(name);
  }
}

export interface HandoffLedgerDeps {
  selfId: string;
  storage: StorageEngine;
  ring: () => Ring;
}

export class HandoffLedger {
  constructor(private readonly d: HandoffLedgerDeps) {}

  /**
   * Checks a handoff message of `partition` for transition `since` before its records are stored.
   * @throws NodeNotReadyError when this node has no ring with that transition yet (it learns the
   *   ring by gossip, maybe after the first message: the sender retries), NodeArgumentError when
   *   the transition sends this node nothing of `partition`
   */
  admit(partition: number, since: number): void {
    const ring = this.d.ring();
    if (ring.transition?.since !== since) {
      throw new NodeNotReadyError(`a handoff for the ring change that began at version ${since}, and this node's ring (version ${ring.version}) is not in it`);
    }
    if (!Number.isInteger(partition) || partition >= ring.partitionCount || !partitionTransfers(ring, partition).some((t) => t.to === this.d.selfId)) {
      throw new NodeArgumentError('partition', `${partition} is not sent to ${this.d.selfId} in the ring change that began at version ${since}`);
    }
  }

  /** Notes, durably, that every record of `partition` for transition `since` is stored here. */
  complete(partition: number, since: number): Promise<void> {
    return this.d.storage.setMeta(noteKey(since, partition), HELD);
  }

  /** Which of `partitions` this node received complete in transition `since` (or, `orLater`, any that began at or after it). */
  held(since: number, partitions: readonly number[], orLater = false): number[] {
    if (!orLater) return partitions.filter((p) => this.d.storage.getMeta(noteKey(since, p)) !== undefined);
    const received = new Set<number>();
    for (const { name } of this.d.storage.listMeta(PREFIX)) {
      const [began, partition] = name.slice(PREFIX.length).split(':').map(Number);
      if (began !== undefined && partition !== undefined && began >= since) received.add(partition);
    }
    return partitions.filter((p) => received.has(p));
  }
}
