// The actor a node mints dots under: `nodeId~epoch`. The epoch is bumped at every start and after a
// local commit fails once replication of that write had begun, so a dot whose local write may have
// been lost (crash, failed commit) is never minted again for a different value (as riak_kv's vnode
// epochs do). This is what lets a coordinator replicate a write while its own fsync is in progress.
import type { StorageEngine } from '@quorumkv/storage';

const SEPARATOR = '~';
const META_KEY = 'epoch';

/** The node id of an actor id (`n1~7` → `n1`); node ids never contain the separator. */
export function nodeOfActor(actor: string): string {
  const i = actor.lastIndexOf(SEPARATOR);
  return i < 0 ? actor : actor.slice(0, i);
}

export class ActorIdentity {
  private constructor(
    readonly nodeId: string,
    private epoch: number,
    private readonly storage: StorageEngine,
  ) {}

  /** Loads the stored epoch and starts the next one (persisted before the node serves). */
  static async start(nodeId: string, storage: StorageEngine): Promise<ActorIdentity> {
    const stored = storage.getMeta(META_KEY);
    const previous = stored && stored.length === 4 ? new DataView(stored.buffer, stored.byteOffset, 4).getUint32(0) : 0;
    const identity = new ActorIdentity(nodeId, previous + 1, storage);
    await identity.persist();
    return identity;
  }

  /** The actor id dots are minted under now. */
  get id(): string {
    return `${this.nodeId}${SEPARATOR}${this.epoch}`;
  }

  /** Moves to a new epoch (in memory at once; persisted best effort, a restart bumps it anyway). */
  bump(): void {
    this.epoch++;
    void this.persist().catch(() => undefined);
  }

  private persist(): Promise<void> {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, this.epoch);
    return this.storage.setMeta(META_KEY, bytes);
  }
}
