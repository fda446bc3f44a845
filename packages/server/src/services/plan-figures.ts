// The figures of a plan that other nodes hold: the records and bytes of each partition to copy,
// asked of the node that will send it (the claimant holds only its own), and the time the copies
// take at the configured handoff rate.
import type { Client } from '@connectrpc/connect';
import type { AdminService } from '@quorumkv/protocol';
import { transfersOf, type PartitionStats, type Ring } from '@quorumkv/ring';

export interface PlanFigureDeps {
  selfId: string;
  isUp: (nodeId: string) => boolean;
  peerAdmin: (nodeId: string) => Client<typeof AdminService> | undefined;
  /** This node's own counts of a partition. */
  localStats: (partition: number) => PartitionStats;
  /** Bytes per second each node sends in handoff (0: unthrottled). */
  bytesPerSecond: number;
}

/** What {@link planFigures} found. */
export interface PlanFigures {
  /** Counts of each partition a transfer copies (index = partition), from its sender. */
  readonly stats: readonly (PartitionStats | undefined)[];
  /** Seconds until every sender has sent its share at the rate (0 when unthrottled). */
  readonly etaSeconds: number;
  /** Senders that did not answer (their partitions count 0). */
  readonly missing: readonly string[];
}

const STATS_TIMEOUT_MS = 3_000;

/** Asks each sender of the transition of `begun` for the counts of the partitions it will send. */
export async function planFigures(d: PlanFigureDeps, begun: Ring): Promise<PlanFigures> {
  const transfers = transfersOf(begun);
  const bySender = new Map<string, Set<number>>();
  const sends = new Map<string, number[]>();
  for (const t of transfers) {
    // The sender the handoff will use: the first live current replica (the owner when it is up).
    const sender = t.sources.find((id) => id === d.selfId || d.isUp(id)) ?? t.sources[0]!;
    bySender.set(sender, (bySender.get(sender) ?? new Set()).add(t.partition));
    sends.set(sender, [...(sends.get(sender) ?? []), t.partition]);
  }
  const stats: (PartitionStats | undefined)[] = new Array<PartitionStats | undefined>(begun.partitionCount).fill(undefined);
  const missing: string[] = [];
  await Promise.all(
    [...bySender].map(async ([sender, partitions]) => {
      const list = [...partitions].sort((a, b) => a - b);
      if (sender === d.selfId) {
        for (const p of list) stats[p] = d.localStats(p);
        return;
      }
      try {
        const res = await d.peerAdmin(sender)!.partitionStats({ partitions: list }, { timeoutMs: STATS_TIMEOUT_MS });
        for (const s of res.stats) stats[s.partition] = { keys: Number(s.keys), bytes: Number(s.bytes) };
      } catch {
        missing.push(sender);
      }
    }),
  );
  const busiest = Math.max(0, ...[...sends.values()].map((ps) => ps.reduce((sum, p) => sum + (stats[p]?.bytes ?? 0), 0)));
  return { stats, etaSeconds: d.bytesPerSecond > 0 ? busiest / d.bytesPerSecond : 0, missing: missing.sort() };
}
