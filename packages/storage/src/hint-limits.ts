/**
 * How both engines apply hint limits, so they behave the same: the checks on the caller's limits,
 * and how many of the oldest hints go when a limit is reached.
 */
import type { HintLimits } from './engine.js';
import { StorageArgumentError } from './errors.js';

/**
 * Checks limits given by the caller, and that a hint of `size` bytes can fit them at all (evicting
 * every other hint for one too large for the quota would lose them all for nothing).
 */
export function checkHintLimits(limits: HintLimits, size: number): void {
  for (const name of ['maxPerTarget', 'maxTotal', 'maxBytes'] as const) {
    const v = limits[name];
    if (!Number.isSafeInteger(v) || v < 1) throw new StorageArgumentError(`limits.${name}`, `must be a positive integer, got ${v}`);
  }
  if (size > limits.maxBytes) throw new StorageArgumentError('hint', `${size} bytes, more than the hint quota of ${limits.maxBytes} bytes`);
}

/**
 * Hints removed at once when a limit of `cap` is reached: the ones needed plus 1/64 of the cap (at
 * most 255 more), so a flood at the cap pays for one range read per batch instead of one per hint.
 * A target stays within its cap, between cap - batch + 1 and cap; caps under 64 are exact.
 */
export function evictionBatch(cap: number): number {
  return 1 + Math.min(255, Math.floor(cap / 64));
}

/**
 * How many of the oldest hints (of the target with the oldest) to remove before one more hint of
 * `size` bytes fits the totals, and which limit asks for it; undefined when it fits. The byte quota
 * is treated as a cap of `maxBytes / average hint size` hints.
 */
export function totalsOverflow(totals: { count: number; bytes: number }, size: number, limits: HintLimits): { n: number; limit: 'total' | 'bytes' } | undefined {
  const overCount = totals.count + 1 - limits.maxTotal;
  if (overCount > 0) return { n: overCount - 1 + evictionBatch(limits.maxTotal), limit: 'total' };
  const overBytes = totals.bytes + size - limits.maxBytes;
  if (overBytes <= 0) return undefined;
  const average = totals.count > 0 ? totals.bytes / totals.count : size;
  return { n: Math.ceil(overBytes / average) - 1 + evictionBatch(Math.floor(limits.maxBytes / average)), limit: 'bytes' };
}
