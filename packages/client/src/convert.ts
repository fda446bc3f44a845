// Generated protobuf messages → the SDK's plain shapes (bigint → number; 64-bit fields here are
// times, counters and versions that fit in a double).
import type { QuorumReceipt, Sibling as PbSibling } from '@quorumkv/protocol';
import type { Receipt, Sibling } from './types.js';

/** A uint64/int64 as a JS number. */
export function num(v: bigint | number | undefined): number {
  return v === undefined ? 0 : Number(v);
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
    node,
  };
}
