import fc from 'fast-check';
import type { RingNodeInit } from '../types.js';

/** `count` nodes n00, n01, ... spread round-robin over `zones` zones. */
export function makeNodes(count: number, zones = 1, weight?: (i: number) => number): RingNodeInit[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `n${String(i).padStart(2, '0')}`,
    address: `10.0.0.${i}:7070`,
    zone: `z${i % zones}`,
    ...(weight ? { weight: weight(i) } : {}),
  }));
}

export const partitionCountArb = fc.constantFrom(8, 16, 32, 64, 128, 256, 512, 1024);

/** Deterministic pseudo-random generator (mulberry32) for large key sets. */
export function seededRandom(seed: number): () => number {
  const imul = Math.imul; // global lookups are slow in jest's vm context
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
