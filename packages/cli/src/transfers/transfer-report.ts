// What `cluster transfers` shows: every handoff transfer the ring members report sending, with
// keys and bytes done of the partition's, rate and ETA, and the committed change they belong to.
// Pure: the statuses are gathered by the command.
import type { HandoffInfo, HandoffStateName, TransitionView } from '@quorumkv/client/node';

/** One transfer, as shown. */
export interface TransferRow {
  readonly partition: number;
  readonly from: string;
  readonly to: string;
  readonly state: HandoffStateName;
  /** Records scanned and sent so far, of the partition's records on the sender. */
  readonly keysDone: number;
  readonly keysTotal: number;
  /** Bytes sent so far, of the bytes the partition takes on the sender. */
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** Bytes per second of this attempt (absent before any byte is sent). */
  readonly bytesPerSecond?: number;
  /** Seconds left at this attempt's pace (absent before any record is done). */
  readonly etaSeconds?: number;
  /** Why the last attempt failed, one line (empty when none did). */
  readonly error: string;
  /** Milliseconds until the next attempt, while retrying. */
  readonly retryInMs: number;
}

/** Everything `cluster transfers` reports. */
export interface TransferReport {
  /** The ring version of the node asked. */
  readonly ringVersion: number;
  /** The change in progress, if any. */
  readonly transition?: TransitionView;
  /** Active transfers first (by partition), then retrying, then queued. */
  readonly transfers: readonly TransferRow[];
  /** Ring members that did not answer (their transfers are not listed). */
  readonly unreachable: readonly string[];
  /** True when there is no change in progress: nothing moves, nothing will. */
  readonly done: boolean;
}

const ORDER: Record<HandoffStateName, number> = { active: 0, retrying: 1, queued: 2, unspecified: 3 };

/** One row from a sender's report. */
export function transferRow(h: HandoffInfo): TransferRow {
  const seconds = h.elapsedMs / 1000;
  const rate = h.bytesSent > 0 && seconds > 0 ? h.bytesSent / seconds : undefined;
  const left = Math.max(0, h.total - h.sent);
  const eta = h.state === 'active' && h.sent > 0 && seconds > 0 ? left / (h.sent / seconds) : undefined;
  return {
    partition: h.partition,
    from: h.fromNode,
    to: h.toNode,
    state: h.state,
    keysDone: h.sent,
    keysTotal: h.total,
    bytesDone: h.bytesSent,
    bytesTotal: h.bytesTotal,
    ...(rate !== undefined ? { bytesPerSecond: Math.round(rate) } : {}),
    ...(eta !== undefined ? { etaSeconds: Math.round(eta * 10) / 10 } : {}),
    error: h.error,
    retryInMs: h.retryInMs,
  };
}

/** The report from each answering member's handoffs. */
export function transferReport(input: { ringVersion: number; transition?: TransitionView; handoffs: readonly HandoffInfo[]; unreachable: readonly string[] }): TransferReport {
  const transfers = input.handoffs.map(transferRow).sort((a, b) => ORDER[a.state] - ORDER[b.state] || a.partition - b.partition || (a.to < b.to ? -1 : 1));
  return {
    ringVersion: input.ringVersion,
    ...(input.transition ? { transition: input.transition } : {}),
    transfers,
    unreachable: [...input.unreachable],
    done: input.transition === undefined,
  };
}

/** Bytes for a person: 512 B, 1.5 KiB, 20.0 MiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** Seconds for a person: 42s, 3m05s, 1h02m. */
export function formatSeconds(total: number): string {
  const s = Math.ceil(total);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** `p12 n1->n4`: which transfer a row is. */
export function transferLabel(r: TransferRow): string {
  return `p${r.partition} ${r.from}->${r.to}`;
}

/** What follows the bar: keys and bytes done of total, rate and ETA, or why it waits. */
export function transferDetail(r: TransferRow): string {
  const keys = `${r.keysDone}/${r.keysTotal} keys`;
  const bytes = `${formatBytes(r.bytesDone)}/${formatBytes(r.bytesTotal)}`;
  if (r.state === 'queued') return `${keys}  queued (waiting for a transfer slot)`;
  if (r.state === 'retrying') return `${keys}  retrying in ${formatSeconds(r.retryInMs / 1000)}: ${r.error}`;
  const rate = r.bytesPerSecond === undefined ? '-' : `${formatBytes(r.bytesPerSecond)}/s`;
  const eta = r.etaSeconds === undefined ? '-' : formatSeconds(r.etaSeconds);
  return `${keys}  ${bytes}  ${rate}  ETA ${eta}${r.error === '' ? '' : `  (after: ${r.error})`}`;
}

/** The line above the bars: the change in progress and what is left of it. */
export function reportHeadline(r: TransferReport): string {
  const missing = r.unreachable.length > 0 ? `; not answering: ${r.unreachable.join(', ')}` : '';
  if (r.transition === undefined) return `ring version ${r.ringVersion}: no change in progress${missing}`;
  const t = r.transition;
  const active = r.transfers.filter((x) => x.state === 'active').length;
  return `ring version ${r.ringVersion}: change since version ${t.since}, ${t.pendingPartitions} partitions pending, ${t.transfersLeft} copies left (${active} active, ${r.transfers.length - active} waiting)${missing}`;
}
