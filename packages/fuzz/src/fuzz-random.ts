// The fuzzer's only source of randomness: pure-rand's xoroshiro128+ from one seed, so a run is
// reproduced by its seed (the requests, not the nodes' answers to them, which depend on timing).
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

/** Seeded random choices: integers, picks, byte strings. */
export class FuzzRandom {
  private readonly rng: RandomGenerator;

  constructor(seed: number) {
    this.rng = xoroshiro128plus(seed | 0);
  }

  /** Uniform integer in [from, to]. */
  int(from: number, to: number): number {
    return uniformInt(this.rng, from, to);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return uniformFloat64(this.rng) < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.int(0, items.length - 1)]!;
  }

  /** One of `weighted`'s values, each with its weight's share of the total. */
  weighted<T>(weighted: readonly (readonly [number, T])[]): T {
    let at = this.int(0, weighted.reduce((sum, [w]) => sum + w, 0) - 1);
    for (const [w, value] of weighted) {
      if (at < w) return value;
      at -= w;
    }
    return weighted[weighted.length - 1]![1];
  }

  /** A length: mostly short, sometimes long, rarely up to `max`. */
  length(max: number): number {
    const roll = this.int(0, 99);
    if (roll < 80) return this.int(0, Math.min(16, max));
    if (roll < 97) return this.int(0, Math.min(1024, max));
    return this.int(0, max);
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.int(0, 255);
    return out;
  }

  /** A seed for an independent generator (a fork that drawing from this one does not shift). */
  seed(): number {
    return this.rng.next();
  }
}
