import {
  DuplicateNodeError,
  RingArgumentError,
  InvalidNodeError,
  UnknownNodeError,
} from './errors.js';
import { assertPartitionCount } from './key-hash.js';
import { checksumHex, encodeRingFields, type RingFields } from './ring-encoding.js';
import type { NodeState, Ring, RingNode, RingNodeInit, RingTransition } from './types.js';

/** Zone of nodes created without one. */
export const DEFAULT_ZONE = 'default';
/** Weight of nodes created without one. */
export const DEFAULT_WEIGHT = 1;
/** Default N for claim's spread rule (Dynamo's usual replication factor). */
export const DEFAULT_TARGET_N = 3;
/** Largest accepted targetN (it is also capped at Q / 2). */
export const MAX_TARGET_N = 64;
/** Largest replica count a transition can be computed for (it is encoded in one byte). */
export const MAX_TRANSITION_N = 255;

const STATES: readonly NodeState[] = ['active', 'leaving'];

/** Validates a node description and fills in defaults; the result is frozen. */
export function normalizeNode(init: RingNodeInit): RingNode {
  const id: unknown = init?.id;
  if (typeof id !== 'string' || id.length === 0) throw new InvalidNodeError(String(id), 'id must be a non-empty string');
  if (typeof init.address !== 'string') throw new InvalidNodeError(id, 'address must be a string');
  const zone = init.zone ?? DEFAULT_ZONE;
  if (typeof zone !== 'string') throw new InvalidNodeError(id, 'zone must be a string');
  const weight = init.weight ?? DEFAULT_WEIGHT;
  assertWeight(id, weight);
  const state = init.state ?? 'active';
  if (!STATES.includes(state)) throw new InvalidNodeError(id, `state must be "active" or "leaving", got ${String(state)}`);
  return Object.freeze({ id, address: init.address, zone, weight, state });
}

/** Throws {@link InvalidNodeError} unless `weight` is a finite number > 0. */
export function assertWeight(id: string, weight: unknown): asserts weight is number {
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) {
    throw new InvalidNodeError(id, `weight must be a finite number > 0, got ${String(weight)}`);
  }
}

/** Throws {@link RingArgumentError} unless targetN is an integer in 1..min(64, Q/2). */
export function assertTargetN(targetN: unknown, partitionCount: number): asserts targetN is number {
  const max = Math.min(MAX_TARGET_N, partitionCount / 2);
  if (typeof targetN !== 'number' || !Number.isInteger(targetN) || targetN < 1 || targetN > max) {
    throw new RingArgumentError('targetN', `must be an integer from 1 to ${max}, got ${String(targetN)}`);
  }
}

/** Sorts nodes by id (code-unit order) and rejects duplicate ids. */
export function sortNodes(nodes: readonly RingNode[]): RingNode[] {
  const sorted = [...nodes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.id === sorted[i - 1]!.id) throw new DuplicateNodeError(sorted[i]!.id);
  }
  return sorted;
}

/**
 * Builds the frozen ring value from its fields after checking them: Q valid, targetN in range,
 * one owner per partition, every owner a member, ids unique; the same for a transition's target,
 * plus its n and one done flag per partition. Nodes may come in any order.
 */
export function buildRing(fields: RingFields): Ring {
  assertPartitionCount(fields.partitionCount);
  assertTargetN(fields.targetN, fields.partitionCount);
  if (!Number.isSafeInteger(fields.version) || fields.version < 0) {
    throw new RingArgumentError('version', `must be a non-negative safe integer, got ${String(fields.version)}`);
  }
  const canonical = {
    version: fields.version,
    partitionCount: fields.partitionCount,
    targetN: fields.targetN,
    ...ownedNodes(fields.nodes, fields.owners, fields.partitionCount, 'owners'),
    ...(fields.transition ? { transition: buildTransition(fields.transition, fields.partitionCount) } : {}),
  };
  const checksum = checksumHex(encodeRingFields(canonical));
  return Object.freeze({ ...canonical, checksum });
}

function buildTransition(t: RingTransition, partitionCount: number): RingTransition {
  assertTargetN(t.targetN, partitionCount);
  if (!Number.isInteger(t.n) || t.n < 1 || t.n > MAX_TRANSITION_N) {
    throw new RingArgumentError('transition.n', `must be an integer from 1 to ${MAX_TRANSITION_N}, got ${String(t.n)}`);
  }
  if (t.done.length !== partitionCount || !t.done.every((d) => typeof d === 'boolean')) {
    throw new RingArgumentError('transition.done', `expected ${partitionCount} booleans`);
  }
  if (!Number.isSafeInteger(t.since) || t.since < 0) {
    throw new RingArgumentError('transition.since', `must be a non-negative safe integer, got ${String(t.since)}`);
  }
  return Object.freeze({
    ...ownedNodes(t.nodes, t.owners, partitionCount, 'transition.owners'),
    targetN: t.targetN,
    since: t.since,
    n: t.n,
    done: Object.freeze([...t.done]),
  });
}

/** Normalized, sorted, frozen nodes and owners, every owner a member. */
function ownedNodes(
  nodeList: readonly RingNode[],
  owners: readonly string[],
  partitionCount: number,
  what: string,
): { owners: readonly string[]; nodes: readonly RingNode[] } {
  if (owners.length !== partitionCount) {
    throw new RingArgumentError(what, `expected ${partitionCount} owners, got ${owners.length}`);
  }
  const nodes = sortNodes(nodeList.map(normalizeNode));
  const ids = new Set(nodes.map((n) => n.id));
  for (const owner of owners) {
    if (!ids.has(owner)) throw new UnknownNodeError(owner);
  }
  return { owners: Object.freeze([...owners]), nodes: Object.freeze(nodes) };
}
