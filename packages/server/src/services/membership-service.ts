// MembershipService (internal): gossip messages as bytes, fed to the SWIM core. Messages of another
// cluster are dropped unread, counted, and answered FAILED_PRECONDITION (FOREIGN_CLUSTER); so are
// messages without a valid tag when the cluster has gossip keys, and (with mutual TLS) messages whose
// sender is not the node the caller's certificate names (both UNAUTHENTICATED).
import type { HandlerContext, ServiceImpl } from '@connectrpc/connect';
import { GossipCodecError } from '@quorumkv/gossip';
import type { MembershipService } from '@quorumkv/protocol';
import type { ClusterMembership, GossipEnvelope } from '../cluster/membership.js';
import { NodeArgumentError, NodeForeignClusterError, NodeIdentityMismatchError, NodeUnauthenticatedError } from '../errors/errors.js';
import type { NodeMetrics } from '../observability/metrics.js';
import { callerKey, claimRefusalOf } from '../security/access-policy.js';
import { guard } from './guard.js';

export function membershipService(m: ClusterMembership, metrics: NodeMetrics): Partial<ServiceImpl<typeof MembershipService>> {
  const receive = (req: GossipEnvelope, ctx: HandlerContext): Promise<Record<string, never>> =>
    guard(() => {
      const caller = ctx.values.get(callerKey);
      try {
        m.receive(req, (sourceId) => claimRefusalOf(caller, sourceId));
      } catch (err) {
        if (err instanceof GossipCodecError) throw new NodeArgumentError('message', err.message);
        if (err instanceof NodeForeignClusterError) metrics.foreignClusterMessages.labels('membership').inc();
        if (err instanceof NodeIdentityMismatchError) metrics.identityMismatches.labels('membership').inc();
        else if (err instanceof NodeUnauthenticatedError) metrics.gossipBadTags.inc();
        throw err;
      }
      return {};
    });
  return { ping: receive, pingReq: receive, pushPull: receive };
}
