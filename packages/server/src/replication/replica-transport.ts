// How the coordinator, read repair, hinted handoff and the reaper reach other replicas. The node's
// `ReplicaRouter` implements it over Connect streams; the deterministic simulation (src/sim)
// implements it over a simulated network, so both run the same logic.
import type { ReplicaItem, ReplicaItemResult } from '@quorumkv/protocol';

/** A replica item as a sender builds it (the transport assigns the id). */
export type ReplicaItemInput = Omit<ReplicaItem, 'id' | '$typeName'>;

/** The replica traffic of one node. */
export interface ReplicaTransport {
  /** Whether `nodeId` can take replica traffic now (membership says alive, its channel is usable). */
  isUp(nodeId: string): boolean;
  /**
   * Sends one item to `nodeId`; rejects when the peer cannot be reached. `routedBy`: the ring
   * version that chose `nodeId` (default: the node's ring when the item leaves); the message's
   * header names the oldest of its items', so the replica forwards a write routed by a ring older
   * than its own to the holders that ring missed (forwarding.ts).
   */
  send(nodeId: string, item: ReplicaItemInput, routedBy?: number): Promise<ReplicaItemResult>;
  /**
   * Offers a batch of hints to `nodeId` (`ReplicaService.DeliverHints`); results by item id.
   * Rejects when the peer cannot be reached or has not answered within `timeoutMs`.
   */
  deliverHints(nodeId: string, items: ReplicaItem[], options: { timeoutMs: number }): Promise<ReplicaItemResult[]>;
}
