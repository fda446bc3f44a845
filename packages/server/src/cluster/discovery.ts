// A node started with nothing but --seeds learns its cluster from any member: the cluster id, its
// definition's partitions and n, and the ring. It then enters gossip as a member that owns nothing
// (it forwards every request) until a join is committed for it.
import { AdminService } from '@quorumkv/protocol';
import { decodeRing, type Ring } from '@quorumkv/ring';
import type { PeerPool } from '../replication/peer-pool.js';

/** What a seed told a new node. */
export interface DiscoveredCluster {
  readonly clusterId: string;
  readonly partitions: number;
  readonly n: number;
  readonly ring: Ring;
  readonly ringBytes: Uint8Array;
}

/** The seeds could not be asked. */
export class DiscoveryError extends Error {
  override readonly name = 'DiscoveryError';
}

const ASK_TIMEOUT_MS = 2_000;
const RETRY_MS = 250;

/**
 * Asks the seeds in turn (until `timeoutMs`) for their status and ring; the first that answers both
 * wins. @throws DiscoveryError naming each seed's last failure
 */
export async function discoverCluster(seeds: readonly string[], pool: PeerPool, timeoutMs: number): Promise<DiscoveredCluster> {
  const until = Date.now() + timeoutMs;
  const failures = new Map<string, string>();
  for (;;) {
    for (const seed of seeds) {
      try {
        const admin = pool.client(seed, AdminService);
        const [status, ring] = await Promise.all([admin.status({}, { timeoutMs: ASK_TIMEOUT_MS }), admin.ring({}, { timeoutMs: ASK_TIMEOUT_MS })]);
        const bytes = ring.ring?.encoded;
        if (!bytes || bytes.length === 0) throw new Error('the seed sent no ring');
        return { clusterId: status.clusterId, partitions: status.partitionCount, n: status.n, ring: decodeRing(bytes), ringBytes: bytes };
      } catch (err) {
        failures.set(seed, err instanceof Error ? err.message : String(err));
      }
    }
    if (Date.now() >= until) {
      throw new DiscoveryError(`no seed answered within ${timeoutMs} ms: ${[...failures].map(([seed, why]) => `${seed}: ${why}`).join('; ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}
