// Generated protobuf messages → the SDK's plain shapes (bigint → number; 64-bit fields here are
// times, counters and versions that fit in a double).
import type { QuorumReceipt, Sibling as PbSibling } from '@quorumkv/protocol';
import { InvalidArgumentError } from './errors.js';
import type { Receipt, Sibling } from './types.js';

/** A uint64/int64 as a JS number. */
export function num(v: bigint | number | undefined): number {
  return v === undefined ? 0 : Number(v);
}

/**
 * A caller's duration in milliseconds (a TTL) as the wire's uint64; refused before any call with an
 * error naming `field` when it is not a finite, non-negative number.
 */
export function wireMillis(field: string, ms: number | undefined): bigint {
  if (ms === undefined) return 0n;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0)
    throw new InvalidArgumentError(`invalid ${field}: must be a finite number of milliseconds >= 0 (got ${String(ms)})`, { field, description: 'must be a finite number >= 0' });
  return BigInt(Math.floor(ms));
}

/** Protobuf sibling → {@link Sibling}. */
export function toSibling(s: PbSibling): Sibling {
  return { value: s.value, timestampMs: num(s.timestampMs), writtenBy: s.writtenBy, expiresAtMs: num(s.expiresAtMs) };
}

/** Protobuf receipt (possibly absent) → {@link Receipt}, stamped with the node the SDK called. */
export function toReceipt(r: QuorumReceipt | undefined, node: string): Receipt {
  return {
    required: r?.required ?? 0,
    asked: r?.asked ?? 0,
    answered: r?.answered ?? 0,
    replicas: (r?.replicas ?? []).map((a) => ({
      nodeId: a.nodeId,
      fallback: a.fallback,
      standingInFor: a.standingInFor,
      ok: a.ok,
      error: a.error,
      latencyUs: a.latencyUs,
    })),
    siblingCount: r?.siblingCount ?? 0,
    ringVersion: num(r?.ringVersion),
    coordinator: r?.coordinator ?? '',
    forwarded: r?.forwarded ?? false,
    lwwLost: r?.lwwLost ?? false,
    node,
  };
}
