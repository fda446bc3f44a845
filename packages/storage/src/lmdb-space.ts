/**
 * Bytes an LMDB environment's trees take: the pages of every named database, of the main database
 * (which lists them) and of the free list, times the page size.
 *
 * This is the figure the space quota compares with `mapSizeBytes`, rather than the data file's
 * high-water mark: LMDB never shrinks its file, so by the high-water mark a store that once filled
 * stays full for ever, however much is reaped or expires. Pages freed by removals go to the free
 * list and LMDB reuses them before it grows the file, so live pages are what a write competes for.
 * (A leaf page is freed only when it empties or merges below LMDB's fill threshold: removals spread
 * thinly over many pages give back less than their bytes, removals of most records give back most.)
 */
import type { Database } from 'lmdb';

interface TreeStat {
  treeBranchPageCount: number;
  treeLeafPageCount: number;
  overflowPages: number;
}

interface EnvStats extends TreeStat {
  pageSize: number;
  root: TreeStat;
  free: TreeStat;
}

const pagesOf = (s: TreeStat): number => s.treeBranchPageCount + s.treeLeafPageCount + s.overflowPages;

/**
 * A function that measures the live bytes of `dbs` (all databases of one environment, at least one).
 * Measuring costs ~15 µs per database; the quota calls it rarely (see space-quota.ts).
 */
export function liveBytesMeter(dbs: readonly Database<Buffer, Buffer>[]): () => number {
  const [first, ...rest] = dbs;
  if (!first) throw new Error('liveBytesMeter needs at least one database');
  // lmdb-js's getStats() renews the read transaction (or uses the write transaction when called
  // inside one), so the figures are current; the other databases are then read with the native
  // stat in that same transaction, which is half the cost.
  const natives = rest.map((db) => (db as unknown as { db: { stat(): TreeStat } }).db);
  return () => {
    const s = first.getStats() as EnvStats;
    let pages = pagesOf(s) + pagesOf(s.root) + pagesOf(s.free) + 2; // + LMDB's two meta pages
    for (const native of natives) pages += pagesOf(native.stat());
    return pages * s.pageSize;
  };
}
