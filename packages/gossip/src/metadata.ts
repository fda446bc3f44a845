import type { MetadataEntry } from './messages.js';
import { min } from './fast-globals.js';

/**
 * Cluster metadata: versioned entries that gossip to every member. Merging is a join-semilattice
 * (highest version, ties by larger bytes), so the order and duplication of deliveries never matter.
 */
export class MetadataStore {
  private readonly entries = new Map<string, MetadataEntry>();

  /** Applies `entry` if it beats the current one; returns true if it changed the store. */
  apply(entry: MetadataEntry): boolean {
    const current = this.entries.get(entry.key);
    if (current !== undefined && !beats(entry, current)) return false;
    this.entries.set(entry.key, { key: entry.key, version: entry.version, value: entry.value.slice() });
    return true;
  }

  get(key: string): MetadataEntry | undefined {
    return this.entries.get(key);
  }

  all(): MetadataEntry[] {
    return [...this.entries.values()];
  }
}

/** True if `a` wins over `b`: higher version, or the same version with bytes that compare greater. */
export function beats(a: MetadataEntry, b: MetadataEntry): boolean {
  if (a.version !== b.version) return a.version > b.version;
  return compareBytes(a.value, b.value) > 0;
}

/** Lexicographic byte comparison (shorter prefix first). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
