// Who this node is and which cluster it belongs to, kept in the data dir: the node id, the cluster's
// definition and its id. A new data dir takes them from the config (every founder derives the same
// definition and id); an existing one keeps what it holds, and the config must agree with it.
import { randomUUID } from 'node:crypto';
import { allNodes, decodeRing } from '@quorumkv/ring';
import type { StorageEngine } from '@quorumkv/storage';
import type { ServerConfig } from '../config/config-schema.js';
import type { DiscoveredCluster } from './discovery.js';
import { OLD_COPIES_BASE_META, OLD_COPIES_META } from '../handoff/old-copies.js';
import {
  checkOwnSettings,
  clusterIdOf,
  decodeDefinitionText,
  defineCluster,
  definitionOfRing,
  encodeDefinitionText,
  type ClusterDefinition,
  type OwnSettings,
} from './cluster-definition.js';

/** A data dir that belongs to another node than the config says. */
export class DataDirMismatchError extends Error {
  override readonly name = 'DataDirMismatchError';
}

/** What {@link establishIdentity} settles. */
export interface NodeIdentity {
  readonly nodeId: string;
  readonly clusterId: string;
  readonly definition: ClusterDefinition;
  /** The address this node gives peers: `--advertise`, else its `--initial-cluster` entry's, else `--listen`. */
  readonly advertise: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Reads or creates the node's identity. Throws DataDirMismatchError (another node's data dir) or
 * ClusterDefinitionError (a setting that disagrees with the cluster's definition, by name).
 * `warn` hears about settings that an existing data dir makes irrelevant.
 */
export async function establishIdentity(
  storage: StorageEngine,
  c: ServerConfig,
  warn: (msg: string, fields: Record<string, unknown>) => void,
  discover: (seeds: readonly string[]) => Promise<DiscoveredCluster>,
): Promise<NodeIdentity> {
  const nodeId = await stored(storage, 'node-id', c.nodeId, () => c.nodeId ?? 'node-1', c.dataDir);
  const advertise = c.advertise ?? c.initialCluster.find((f) => f.id === nodeId)?.address ?? c.listen;
  const own: OwnSettings = { nodeId, partitions: c.partitions, n: c.n, zone: c.zone, weight: c.weight };
  const storedId = storage.getMeta('cluster-id');
  if (!storedId && c.initialCluster.length === 0 && c.seeds.length > 0) {
    // Only seeds: this node joins an existing cluster, learning it from a seed.
    const found = await discover(c.seeds);
    const definition = await storeJoinedCluster(storage, found, own);
    return { nodeId, clusterId: found.clusterId, definition, advertise };
  }
  if (!storedId) {
    const definition = defineCluster(c.initialCluster, { ...own, advertise: c.advertise }, advertise);
    // A node started alone makes a cluster nobody else can derive, so its id is random.
    const clusterId = c.initialCluster.length > 0 ? clusterIdOf(definition) : randomUUID().replaceAll('-', '').slice(0, 16);
    await storage.setMeta('cluster-definition', encoder.encode(encodeDefinitionText(definition)));
    await storage.setMeta('cluster-id', encoder.encode(clusterId));
    return { nodeId, clusterId, definition, advertise };
  }
  const clusterId = decoder.decode(storedId);
  const definition = await storedDefinition(storage, c.n);
  checkOwnSettings(definition, own, storage.getMeta('joined') !== undefined);
  if (c.initialCluster.length > 0 && !defines(c.initialCluster, own, advertise, clusterId))
    warn('--initial-cluster ignored: this data dir already belongs to a cluster with another definition', { cluster: clusterId });
  return { nodeId, clusterId, definition, advertise };
}

/**
 * Makes the data dir a member of `found` (learnt from a seed) that owns nothing yet: its
 * definition, ring and id. Used at the first start with only --seeds, and by a node started alone
 * that takes a proposed cluster (AdoptCluster), which then restarts on it.
 * @throws ClusterDefinitionError (partitions or n disagree), DataDirMismatchError (the node id is taken)
 */
export async function storeJoinedCluster(storage: StorageEngine, found: DiscoveredCluster, own: OwnSettings): Promise<ClusterDefinition> {
  const definition = { ...definitionOfRing(found.ring, found.n), partitions: found.partitions };
  checkOwnSettings(definition, own, true);
  if (allNodes(found.ring).some((n) => n.id === own.nodeId))
    throw new DataDirMismatchError(`node id "${own.nodeId}" is already a member of cluster ${found.clusterId}: give this node its own --node-id`);
  await storage.setMeta('cluster-definition', encoder.encode(encodeDefinitionText(definition)));
  await storage.setMeta('ring', found.ringBytes);
  // A node that took a proposed cluster drops nothing its own one-node ring had: it was empty.
  await storage.setMeta(OLD_COPIES_BASE_META, found.ringBytes);
  await storage.setMeta(OLD_COPIES_META, encoder.encode('[]'));
  await storage.setMeta('joined', encoder.encode('1'));
  // Last: a data dir with a cluster id is one that belongs to that cluster.
  await storage.setMeta('cluster-id', encoder.encode(found.clusterId));
  return definition;
}

function defines(founders: ServerConfig['initialCluster'], own: OwnSettings, advertise: string, clusterId: string): boolean {
  try {
    return clusterIdOf(defineCluster(founders, own, advertise)) === clusterId;
  } catch {
    return false;
  }
}

/** The definition a data dir holds; one made before definitions were stored gets it from its ring. */
async function storedDefinition(storage: StorageEngine, n: number): Promise<ClusterDefinition> {
  const text = storage.getMeta('cluster-definition');
  if (text) return decodeDefinitionText(decoder.decode(text));
  const ring = storage.getMeta('ring');
  if (!ring) throw new DataDirMismatchError('data dir has a cluster id but no ring: it was not made by a QuorumKV node');
  const definition = definitionOfRing(decodeRing(ring), n);
  await storage.setMeta('cluster-definition', encoder.encode(encodeDefinitionText(definition)));
  return definition;
}

/** An identity kept in the data dir: the stored one wins, and must match the configured one. */
async function stored(storage: StorageEngine, name: string, configured: string | undefined, fresh: () => string, dataDir: string): Promise<string> {
  const bytes = storage.getMeta(name);
  if (bytes) {
    const value = decoder.decode(bytes);
    if (configured !== undefined && configured !== value) throw new DataDirMismatchError(`data dir ${dataDir} belongs to ${name} "${value}", not "${configured}"`);
    return value;
  }
  const value = fresh();
  await storage.setMeta(name, encoder.encode(value));
  return value;
}
