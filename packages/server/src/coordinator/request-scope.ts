// A client request's deadline and cancellation as they travel from node to node. A relative
// timeout (the request's `timeout_ms`, Connect's `connect-timeout-ms`) restarts where it is read,
// so a request that waited in a paused node's socket buffer would get its whole time again; a
// forwarded request therefore also carries the absolute deadline (wall-clock ms), and the node
// that receives it never coordinates past it. See docs/architecture.md ("Deadlines travel") for
// the clock-skew assumption this makes.
import type { CallOptions, HandlerContext } from '@connectrpc/connect';
import { NodeArgumentError } from '../errors/errors.js';

/** Header of a forwarded or internal request: its absolute deadline, ms since the Unix epoch. */
export const DEADLINE_HEADER = 'quorumkv-deadline-ms';

/** What a request's caller imposes beyond the request message itself. */
export interface RequestScope {
  /** Absolute deadline (wall-clock ms since the epoch) set by the node that forwarded the request. */
  readonly deadlineMs?: number;
  /** Fires when the caller went away (its HTTP/2 stream was reset) or its Connect deadline passed. */
  readonly signal?: AbortSignal;
}

/** The scope of a unary call: its signal and, from a forwarding node, its absolute deadline. */
export function scopeOf(ctx: Pick<HandlerContext, 'signal' | 'requestHeader'>): RequestScope {
  const raw = ctx.requestHeader.get(DEADLINE_HEADER);
  if (raw === null) return { signal: ctx.signal };
  const deadlineMs = Number(raw);
  if (!/^\d{1,16}$/.test(raw.trim()) || !Number.isSafeInteger(deadlineMs))
    throw new NodeArgumentError(DEADLINE_HEADER, `must be milliseconds since the Unix epoch (got "${raw.slice(0, 32)}")`);
  return { signal: ctx.signal, deadlineMs };
}

/** The request's absolute deadline: its own timeout from `nowMs`, or the forwarder's deadline when earlier. */
export function deadlineOf(scope: RequestScope | undefined, timeoutMs: number, nowMs: number): number {
  return Math.min(nowMs + timeoutMs, scope?.deadlineMs ?? Infinity);
}

/** Whether work for the request must not start any more: its deadline passed or its caller went away. */
export function isOver(scope: RequestScope | undefined, deadlineMs: number, nowMs: number): boolean {
  return nowMs >= deadlineMs || scope?.signal?.aborted === true;
}

/** Connect call options with the remaining time always set. */
export type OnwardCallOptions = CallOptions & { timeoutMs: number };

/**
 * Call options of a request this node makes on behalf of one it received: the remaining time as
 * Connect's relative deadline, the absolute deadline in {@link DEADLINE_HEADER}, and the caller's
 * signal, so the outgoing call is reset (RST_STREAM) as soon as the caller goes away.
 */
export function onwardCallOptions(scope: RequestScope | undefined, deadlineMs: number, nowMs: number): OnwardCallOptions {
  return {
    timeoutMs: Math.max(1, Math.floor(deadlineMs - nowMs)),
    headers: { [DEADLINE_HEADER]: String(Math.floor(deadlineMs)) },
    ...(scope?.signal ? { signal: scope.signal } : {}),
  };
}
