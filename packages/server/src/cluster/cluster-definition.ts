// The definition of a cluster: its founders (id, address, zone, weight of each) and the settings
// fixed when it is created (partitions, n). Every founder derives the same definition from the same
// flags, hence the same first ring and the same cluster id (a hash of the definition), without a
// vote; a node whose own settings disagree with it refuses to start, naming the setting.
import { createHash } from 'node:crypto';
import { DEFAULT_WEIGHT, DEFAULT_ZONE, type Ring } from '@quorumkv/ring';

/** One founding node as the definition records it. */
export interface Founder {
  readonly id: string;
  readonly address: string;
  readonly zone: string;
  readonly weight: number;
}

/** What every founder must agree on. `nodes` are sorted by id. */
export interface ClusterDefinition {
  readonly partitions: number;
  readonly n: number;
  readonly nodes: readonly Founder[];
}

/** This node's own settings, as configured (zone and weight may be left to the definition). */
export interface OwnSettings {
  readonly nodeId: string;
  readonly partitions: number;
  readonly n: number;
  readonly zone?: string | undefined;
  readonly weight?: number | undefined;
  /** The address this node was told to advertise, if it was told. */
  readonly advertise?: string | undefined;
}

/** The node's settings disagree with its cluster's definition; `field` names the setting. */
export class ClusterDefinitionError extends Error {
  override readonly name = 'ClusterDefinitionError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/**
 * The definition of a new cluster: `founders` (from `--initial-cluster`; empty means this node
 * alone at `selfAddress`) with this node's partitions and n. Throws {@link ClusterDefinitionError}
 * when this node is not a founder or its own settings disagree with its entry.
 */
export function defineCluster(founders: readonly { id: string; address: string; zone?: string | undefined; weight?: number | undefined }[], own: OwnSettings, selfAddress: string): ClusterDefinition {
  const entries = founders.length > 0 ? founders : [{ id: own.nodeId, address: selfAddress, zone: own.zone, weight: own.weight }];
  const nodes = entries
    .map((f) => ({ id: f.id, address: f.address, zone: f.zone ?? DEFAULT_ZONE, weight: f.weight ?? DEFAULT_WEIGHT }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const definition: ClusterDefinition = { partitions: own.partitions, n: own.n, nodes };
  const self = founderOf(definition, own.nodeId);
  if (own.advertise !== undefined && own.advertise !== self.address)
    throw new ClusterDefinitionError('advertise', `this node advertises ${own.advertise} but --initial-cluster gives ${own.nodeId} the address ${self.address}`);
  checkOwnSettings(definition, own);
  return definition;
}

/**
 * Checks that this node's settings agree with its cluster's definition (the one it founded with, or
 * the one stored in its data dir). Throws {@link ClusterDefinitionError} naming the first that does not.
 */
export function checkOwnSettings(definition: ClusterDefinition, own: OwnSettings, joined = false): void {
  if (own.partitions !== definition.partitions)
    throw new ClusterDefinitionError('partitions', `this node has --partitions ${own.partitions} but its cluster was defined with ${definition.partitions}`);
  if (own.n !== definition.n) throw new ClusterDefinitionError('n', `this node has --n ${own.n} but its cluster was defined with n ${definition.n}`);
  // A node that joined later is not a founder: its zone and weight are its own.
  if (joined && !definition.nodes.some((f) => f.id === own.nodeId)) return;
  const self = founderOf(definition, own.nodeId);
  if (own.partitions !== definition.partitions)
    throw new ClusterDefinitionError('partitions', `this node has --partitions ${own.partitions} but its cluster was defined with ${definition.partitions}`);
  if (own.n !== definition.n) throw new ClusterDefinitionError('n', `this node has --n ${own.n} but its cluster was defined with n ${definition.n}`);
  if (own.zone !== undefined && own.zone !== self.zone)
    throw new ClusterDefinitionError('zone', `this node has --zone ${own.zone} but its cluster definition gives ${own.nodeId} zone ${self.zone} (set it in --initial-cluster as ${own.nodeId}=${self.address};zone=${own.zone})`);
  if (own.weight !== undefined && own.weight !== self.weight)
    throw new ClusterDefinitionError('weight', `this node has --weight ${own.weight} but its cluster definition gives ${own.nodeId} weight ${self.weight} (set it in --initial-cluster as ${own.nodeId}=${self.address};weight=${own.weight})`);
}

/** This node's entry; throws {@link ClusterDefinitionError} when it has none. */
export function founderOf(definition: ClusterDefinition, nodeId: string): Founder {
  const self = definition.nodes.find((f) => f.id === nodeId);
  if (!self) throw new ClusterDefinitionError('initialCluster', `node id "${nodeId}" is not in it (${definition.nodes.map((f) => f.id).join(', ')})`);
  return self;
}

/**
 * The cluster id of founders that agree on `definition`: 16 hex digits of a SHA-256 over its
 * canonical text, so a founder with another address list, zone, weight, partitions or n belongs
 * to another cluster and its traffic is refused.
 */
export function clusterIdOf(definition: ClusterDefinition): string {
  return createHash('sha256').update(encodeDefinitionText(definition)).digest('hex').slice(0, 16);
}

/** The canonical text of a definition (what is hashed and stored in the data dir). */
export function encodeDefinitionText(d: ClusterDefinition): string {
  return JSON.stringify({ v: 1, partitions: d.partitions, n: d.n, nodes: d.nodes.map((f) => [f.id, f.address, f.zone, f.weight]) });
}

/** Reads what {@link encodeDefinitionText} wrote. */
export function decodeDefinitionText(text: string): ClusterDefinition {
  const raw = JSON.parse(text) as { v: number; partitions: number; n: number; nodes: [string, string, string, number][] };
  if (raw.v !== 1 || !Array.isArray(raw.nodes)) throw new Error('unknown cluster definition format');
  return { partitions: raw.partitions, n: raw.n, nodes: raw.nodes.map(([id, address, zone, weight]) => ({ id, address, zone, weight })) };
}

/**
 * The definition of a data dir made before definitions were stored: its ring holds the founders,
 * and n is taken from this node's settings (it was never recorded).
 */
export function definitionOfRing(ring: Ring, n: number): ClusterDefinition {
  return { partitions: ring.partitionCount, n, nodes: ring.nodes.map((f) => ({ id: f.id, address: f.address, zone: f.zone, weight: f.weight })) };
}
