// Which peers can take replica traffic now, and the channel to each.
import type { ReplicaHeader, ReplicaItem, ReplicaItemResult } from '@quorumkv/protocol';
import { ReplicaService } from '@quorumkv/protocol';
import { PeerChannel, PeerUnavailableError, type PeerChannelOptions } from './peer-channel.js';
import type { PeerPool } from './peer-pool.js';
import type { ReplicaItemInput, ReplicaTransport } from './replica-transport.js';

export interface ReplicaRouterOptions extends Omit<PeerChannelOptions, 'header' | 'onHeader'> {
  header: () => ReplicaHeader;
  onHeader: (h: ReplicaHeader | undefined) => void;
}

/** Replica channels per peer, plus the liveness view routing uses. */
export class ReplicaRouter implements ReplicaTransport {
  private readonly channels = new Map<string, { address: string; channel: PeerChannel }>();

  constructor(
    private readonly pool: PeerPool,
    private readonly addressOf: (nodeId: string) => string | undefined,
    private readonly alive: (nodeId: string) => boolean,
    private readonly options: ReplicaRouterOptions,
  ) {}

  /** Gossip sees the node alive and its channel is not backing off after a failure. */
  isUp(nodeId: string): boolean {
    if (!this.alive(nodeId)) return false;
    const c = this.channels.get(nodeId);
    return c === undefined || c.channel.available;
  }

  /** Sends one item to `nodeId` over its channel. */
  send(nodeId: string, item: ReplicaItemInput, routedBy?: number): Promise<ReplicaItemResult> {
    const address = this.addressOf(nodeId);
    if (!address) return Promise.reject(new PeerUnavailableError(nodeId, 'unknown address'));
    let c = this.channels.get(nodeId);
    if (!c || c.address !== address) {
      c?.channel.close();
      c = {
        address,
        channel: new PeerChannel(nodeId, this.pool.client(address, ReplicaService), this.pool.rawStream(address, '/quorumkv.v1.ReplicaService/Replicate'), this.options),
      };
      this.channels.set(nodeId, c);
    }
    return c.channel.send(item, routedBy);
  }

  /** One unary `DeliverHints` call (hints are rare: no stream for them). */
  async deliverHints(nodeId: string, items: ReplicaItem[], { timeoutMs }: { timeoutMs: number }): Promise<ReplicaItemResult[]> {
    const address = this.addressOf(nodeId);
    if (!address) throw new PeerUnavailableError(nodeId, 'unknown address');
    const res = await this.pool.client(address, ReplicaService).deliverHints({ header: this.options.header(), items }, { timeoutMs });
    return res.results;
  }

  close(): void {
    for (const c of this.channels.values()) c.channel.close();
    this.channels.clear();
  }
}
