// The ring as clients see it (RingInfo), with liveness from gossip.
import { create } from '@bufbuild/protobuf';
import { Liveness, NodeInfoSchema, NodeState, RingInfoSchema, type NodeInfo, type RingInfo } from '@quorumkv/protocol';
import type { MemberInfo } from '@quorumkv/gossip';
import type { RingState } from '../cluster/ring-state.js';

export interface RingInfoSource {
  version(): number;
  ringInfo(): RingInfo;
  nodes(): NodeInfo[];
}

const liveness: Record<string, Liveness> = { alive: Liveness.ALIVE, suspect: Liveness.SUSPECT, dead: Liveness.DEAD, left: Liveness.LEFT };

export function ringInfoSource(ring: RingState, member: (id: string) => MemberInfo | undefined, selfId: string, defaultN: () => number): RingInfoSource {
  const nodes = (): NodeInfo[] =>
    ring.current.nodes.map((n) => {
      const m = member(n.id);
      return create(NodeInfoSchema, {
        id: n.id,
        address: ring.addressOf(n.id) ?? n.address,
        zone: n.zone,
        weight: n.weight,
        state: n.state === 'leaving' ? NodeState.LEAVING : NodeState.ACTIVE,
        liveness: n.id === selfId ? Liveness.ALIVE : m ? (liveness[m.state] ?? Liveness.UNSPECIFIED) : Liveness.UNSPECIFIED,
        incarnation: BigInt(m?.incarnation ?? 0),
      });
    });
  return {
    version: () => ring.current.version,
    nodes,
    ringInfo: () => {
      const r = ring.current;
      const index = new Map(r.nodes.map((n, i) => [n.id, i]));
      return create(RingInfoSchema, {
        version: BigInt(r.version),
        partitionCount: r.partitionCount,
        owners: r.owners.map((o) => index.get(o) ?? 0),
        nodes: nodes(),
        checksum: r.checksum,
        encoded: ring.bytes,
        defaultN: defaultN(),
      });
    },
  };
}
