import { floor } from './fast-globals.js';
/** Helpers over the injected `random()` source, so the core never touches Math.random. */

/** Uniform integer in [0, n). */
export function randomIndex(random: () => number, n: number): number {
  const i = floor(random() * n);
  // Guard against a source that returns exactly 1.
  return i >= n ? n - 1 : i;
}

/** Fisher–Yates shuffle in place. */
export function shuffle<T>(random: () => number, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomIndex(random, i + 1);
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
  return items;
}

/** Up to `k` distinct items of `items` accepted by `accept`, chosen uniformly (partial shuffle of a copy). */
export function pickRandom<T>(random: () => number, items: readonly T[], k: number, accept: (item: T) => boolean): T[] {
  const pool = items.filter(accept);
  const picked: T[] = [];
  for (let i = 0; i < pool.length && picked.length < k; i++) {
    const j = i + randomIndex(random, pool.length - i);
    const chosen = pool[j] as T;
    pool[j] = pool[i] as T;
    picked.push(chosen);
  }
  return picked;
}
