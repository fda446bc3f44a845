import { InvalidClockError } from './errors.js';

// In unicode mode a well-formed surrogate pair is one code point, so this matches lone surrogates
// only: those cannot be encoded as UTF-8 and would come back as a different node id.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Throws unless `nodeId` can name a node in a clock: a non-empty, well-formed string (it must
 * survive the UTF-8 round trip of the binary encoding unchanged).
 */
export function assertNodeId(nodeId: string): void {
  if (typeof nodeId !== 'string' || nodeId.length === 0) {
    throw new InvalidClockError('nodeId', nodeId, 'node id must be a non-empty string');
  }
  if (LONE_SURROGATE.test(nodeId)) {
    throw new InvalidClockError('nodeId', nodeId, 'node id must not contain lone surrogates');
  }
}

/** Throws unless `n` is a counter a clock can hold: a positive safe integer. */
export function assertCounter(n: number, field = 'counter'): void {
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new InvalidClockError(field, n, `${field} must be a positive safe integer`);
  }
}

/** Throws unless `ms` is a non-negative safe integer (milliseconds since some epoch). */
export function assertTimestamp(ms: number, field = 'timestampMs'): void {
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new InvalidClockError(field, ms, `${field} must be a non-negative safe integer`);
  }
}

/** Total order on node ids used everywhere an order is needed (canonical encodings, sibling order). */
export function compareNodeIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
