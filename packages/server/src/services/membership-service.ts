// MembershipService (internal): gossip messages as bytes, fed to the SWIM core.
import type { ServiceImpl } from '@connectrpc/connect';
import { GossipCodecError } from '@quorumkv/gossip';
import type { MembershipService } from '@quorumkv/protocol';
import type { ClusterMembership } from '../cluster/membership.js';
import { NodeArgumentError } from '../errors/errors.js';
import { guard } from './guard.js';

export function membershipService(m: ClusterMembership): Partial<ServiceImpl<typeof MembershipService>> {
  const receive = (req: { fromAddress: string; message: Uint8Array }): Promise<Record<string, never>> =>
    guard(() => {
      try {
        m.receive(req.fromAddress, req.message);
      } catch (err) {
        if (err instanceof GossipCodecError) throw new NodeArgumentError('message', err.message);
        throw err;
      }
      return {};
    });
  return { ping: receive, pingReq: receive, pushPull: receive };
}
