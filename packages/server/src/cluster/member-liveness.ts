// How a node reads gossip: the memberlist tuning derived from the configured gossip period, which
// peers routing may use, since when a peer has been gone, and the hook that hands a returning peer
// its hints. The real node (membership.ts, node.ts) and the whole-cluster simulation (sim/) both
// wire a memberlist with these, so the simulation runs the node's own reading of gossip.
import type { GossipConfig, Memberlist } from '@quorumkv/gossip';

/** How often a host ticks its memberlist (ClusterMembership's timer; the simulation rounds its ticks up to it). */
export const GOSSIP_TICK_MS = 50;

/**
 * Longest a starting node waits for gossip to hear of every ring node before it serves: routing
 * uses only nodes gossip knows, so a node that served at once would take its peers for down.
 */
export const JOIN_WAIT_MS = 3_000;

/** The memberlist tuning of a node whose gossip period (the SWIM probe interval) is `probeIntervalMs`. */
export function gossipConfigFor(probeIntervalMs: number): Partial<GossipConfig> {
  return {
    probeIntervalMs,
    probeTimeoutMs: Math.max(10, Math.floor(probeIntervalMs / 2)),
    gossipIntervalMs: Math.max(10, Math.floor(probeIntervalMs / 3)),
    pushPullIntervalMs: Math.max(1000, probeIntervalMs * 10),
    joinRetryIntervalMs: Math.max(200, probeIntervalMs),
  };
}

/**
 * Whether routing may use `nodeId`: gossip knows it alive or suspect. A suspect is only accused,
 * and is routed to until it is found dead (a node that cannot hear replies would otherwise push
 * writes to fallbacks with every accusation it makes); the replica channel's own failures take a
 * really unreachable node out at once. A node gossip has never heard of is not up.
 */
export function isRoutable(list: Memberlist, selfId: string, nodeId: string): boolean {
  if (nodeId === selfId) return true;
  const state = list.member(nodeId)?.state;
  return state === 'alive' || state === 'suspect';
}

/** Whether gossip has a record (in any state) of every one of `ids`: a starting node waits for that before it serves. */
export function knowsAll(list: Memberlist, selfId: string, ids: readonly string[]): boolean {
  return ids.every((id) => id === selfId || list.member(id) !== undefined);
}

/** Since when gossip has seen `nodeId` not alive (its state-change time), or undefined while it is alive or unknown. */
export function goneSinceMs(list: Memberlist, nodeId: string): number | undefined {
  const m = list.member(nodeId);
  return m && m.state !== 'alive' ? m.stateChangedAtMs : undefined;
}

/** Calls `deliver` whenever gossip sees a peer come back (`alive` after suspect or dead, or `joined`): its hints go at once. */
export function onPeerReturned(list: Memberlist, selfId: string, deliver: () => void): () => void {
  return list.on((e) => {
    if (e.type !== 'metadata' && e.member.id !== selfId && (e.type === 'alive' || e.type === 'joined')) deliver();
  });
}
