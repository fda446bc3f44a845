// MembershipService (internal): gossip messages as bytes, fed to the SWIM core.
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import { GossipCodecError } from '@quorumkv/gossip';
import type { MembershipService } from '@quorumkv/protocol';
import type { ClusterMembership } from '../cluster/membership.js';

export function membershipService(m: ClusterMembership): Partial<ServiceImpl<typeof MembershipService>> {
  const receive = (req: { fromAddress: string; message: Uint8Array }): Record<string, never> => {
    try {
      m.receive(req.fromAddress, req.message);
    } catch (err) {
      if (err instanceof GossipCodecError) throw new ConnectError(`message: ${err.message}`, Code.InvalidArgument);
      throw err;
    }
    return {};
  };
  return { ping: receive, pingReq: receive, pushPull: receive };
}
