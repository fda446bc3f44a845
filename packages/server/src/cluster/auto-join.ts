// --auto-join: a node outside the ring asks the claimant to stage and commit its join, until it is
// named by a ring. Only a node that never was a member asks: once a leave ends, the ring no longer
// names the node for the few seconds before its process stops (hints handed over, old copies
// dropped, the final ring gossiped), and taking that for "not joined yet" staged its join again; the
// transition then waited for transfers to a node that had exited, and never ended. Having been a
// member is kept in storage, so a node that left and restarts does not join again by itself either.
import { allNodes, type Ring } from '@quorumkv/ring';
import type { StorageEngine } from '@quorumkv/storage';
import type { RingState } from './ring-state.js';

/** Storage meta set once a ring named this node among others (present: --auto-join asks no more). */
export const WAS_MEMBER_META = 'was-ring-member';

const SET = new Uint8Array([1]);

export interface AutoJoinDeps {
  selfId: string;
  ring: Pick<RingState, 'current' | 'onChange'>;
  store: Pick<StorageEngine, 'getMeta' | 'setMeta'>;
  /** Asks the claimant to stage and commit this node's join (errors are its own to log). */
  ask: () => Promise<void>;
  warn: (msg: string, fields: Record<string, unknown>) => void;
}

export class AutoJoin {
  private wasMember: boolean;
  private asking = false;

  constructor(private readonly d: AutoJoinDeps) {
    this.wasMember = d.store.getMeta(WAS_MEMBER_META) !== undefined;
    this.note(d.ring.current);
    d.ring.onChange((ring) => this.note(ring));
  }

  /** Asks once more, unless a request is out, the node is, or was, a member, or its ring is its own. */
  tick(): void {
    if (this.wasMember || this.asking || allNodes(this.d.ring.current).some((n) => n.id === this.d.selfId)) return;
    this.asking = true;
    void this.d.ask().finally(() => (this.asking = false));
  }

  /**
   * Notes membership of a ring that names this node among others: a node started alone holds a
   * one-node ring of its own, and may still take a cluster (cluster create) and join it.
   */
  private note(ring: Ring): void {
    const nodes = allNodes(ring);
    if (this.wasMember || nodes.length < 2 || !nodes.some((n) => n.id === this.d.selfId)) return;
    this.wasMember = true;
    this.d.store.setMeta(WAS_MEMBER_META, SET).catch((err: unknown) => this.d.warn('cannot note that this node is a ring member', { error: String(err) }));
  }
}
