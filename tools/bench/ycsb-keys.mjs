// Key choice for the YCSB-style benchmark: a seeded random source, YCSB's Zipfian generator
// (Gray et al., "Quickly generating billion-record synthetic databases", SIGMOD 1994) and its
// scrambled variant, written from the published algorithm. YCSB draws a rank from a Zipfian over
// 10^10 items and hashes it (FNV-1a, 64 bit) onto the record count, so the popular keys are spread
// over the key space instead of being the first records; we do the same so figures stay comparable
// with YCSB runs against other stores. `selfCheck()` tests it against exact values.

/** Zipfian exponent YCSB uses for its request distribution. */
export const YCSB_THETA = 0.99;
/** Size of the rank space YCSB's ScrambledZipfianGenerator draws from before hashing. */
export const SCRAMBLED_ITEM_SPACE = 1e10;

const MASK64 = (1n << 64n) - 1n;
const SIGN64 = 1n << 63n;
const FNV_OFFSET_64 = 0xcbf29ce484222325n;
const FNV_PRIME_64 = 0x100000001b3n;

/** FNV-1a, 64 bit, of a byte sequence (unsigned). */
export function fnv1a64Bytes(bytes) {
  let h = FNV_OFFSET_64;
  for (const byte of bytes) h = ((h ^ BigInt(byte)) * FNV_PRIME_64) & MASK64;
  return h;
}

/**
 * FNV-1a over the 8 little-endian bytes of a non-negative integer, as an unsigned magnitude: the
 * 64-bit result read as signed, then its absolute value (what YCSB hashes ranks and key numbers with).
 */
export function fnv1a64(value) {
  let x = BigInt(value);
  let h = FNV_OFFSET_64;
  for (let i = 0; i < 8; i++) {
    h = ((h ^ (x & 0xffn)) * FNV_PRIME_64) & MASK64;
    x >>= 8n;
  }
  return h >= SIGN64 ? (1n << 64n) - h : h;
}

/** Seeds a 128-bit state from one 32-bit seed (splitmix32), so nearby seeds give unrelated streams. */
function seedState(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x9e3779b9) | 0;
    let t = a ^ (a >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    return (t ^ (t >>> 15)) >>> 0;
  };
  return [next(), next(), next(), next()];
}

/**
 * A seeded uniform source in [0, 1) with 53 random bits (xoshiro128**). Each benchmark caller gets
 * its own, so a caller's sequence of keys and operations depends only on the seed.
 */
export function seededRandom(seed) {
  const s = seedState(seed);
  const rotl = (x, k) => (x << k) | (x >>> (32 - k));
  const next32 = () => {
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  };
  return () => ((next32() >>> 5) * 67108864 + (next32() >>> 6)) / 9007199254740992;
}

/**
 * Generalised harmonic number zeta(n, theta) = sum of i^-theta for i = 1..n. Summed directly up to
 * 10^5 terms; beyond, the tail comes from the Euler-Maclaurin formula (error far below 1e-12 here),
 * because YCSB's 10^10-item space cannot be summed term by term.
 */
export function zeta(n, theta) {
  const direct = Math.min(n, 100_000);
  let sum = 0;
  for (let i = direct; i >= 1; i--) sum += Math.pow(i, -theta);
  if (n <= direct) return sum;
  const m = direct;
  const f = (x) => Math.pow(x, -theta);
  const f1 = (x) => -theta * Math.pow(x, -theta - 1);
  const f3 = (x) => -theta * (theta + 1) * (theta + 2) * Math.pow(x, -theta - 3);
  const integral = (Math.pow(n, 1 - theta) - Math.pow(m, 1 - theta)) / (1 - theta);
  // sum over i = m..n, minus f(m) already counted above
  const tail = integral + (f(m) + f(n)) / 2 + (f1(n) - f1(m)) / 12 - (f3(n) - f3(m)) / 720;
  return sum - f(m) + tail;
}

const zetaCache = new Map();
function cachedZeta(n, theta) {
  const k = `${n}:${theta}`;
  if (!zetaCache.has(k)) zetaCache.set(k, zeta(n, theta));
  return zetaCache.get(k);
}

/**
 * Zipfian ranks in [0, items): rank 0 is the most popular, P(rank i) is proportional to
 * 1/(i+1)^theta. Exact for ranks 0 and 1, Gray's closed-form approximation beyond (as in YCSB).
 */
export class Zipfian {
  /**
   * @param {number} items size of the rank space
   * @param {() => number} random uniform source in [0, 1)
   * @param {number} [theta] skew, 0 < theta < 1
   */
  constructor(items, random, theta = YCSB_THETA) {
    if (!(items >= 2) || !(theta > 0 && theta < 1)) throw new RangeError(`Zipfian needs items >= 2 and 0 < theta < 1 (got ${items}, ${theta})`);
    this.items = items;
    this.random = random;
    this.zetan = cachedZeta(items, theta);
    this.alpha = 1 / (1 - theta);
    this.eta = (1 - Math.pow(2 / items, 1 - theta)) / (1 - cachedZeta(2, theta) / this.zetan);
    this.secondEdge = 1 + Math.pow(0.5, theta);
  }

  /** The next rank. */
  next() {
    const u = this.random();
    const uz = u * this.zetan;
    if (uz < 1) return 0;
    if (uz < this.secondEdge) return 1;
    return Math.min(this.items - 1, Math.floor(this.items * Math.pow(this.eta * u - this.eta + 1, this.alpha)));
  }
}

/**
 * YCSB's scrambled Zipfian key chooser: a Zipfian rank over {@link SCRAMBLED_ITEM_SPACE} items,
 * hashed onto [0, recordCount). Popular records are scattered over the key space (and so over
 * partitions of any kind), and the skew is that of the large space: with theta 0.99 the hottest
 * record takes about 3.8% of requests whatever the record count.
 */
export class ScrambledZipfian {
  /**
   * @param {number} recordCount records to choose from, numbered 0..recordCount-1
   * @param {() => number} random uniform source in [0, 1)
   */
  constructor(recordCount, random) {
    this.recordCount = BigInt(recordCount);
    this.ranks = new Zipfian(SCRAMBLED_ITEM_SPACE, random);
  }

  /** The next record number. */
  next() {
    return Number(fnv1a64(this.ranks.next()) % this.recordCount);
  }
}

/** YCSB's key name for a record number with hashed insert order: `user` + FNV-1a of the number. */
export function keyName(recordNumber) {
  return `user${fnv1a64(recordNumber)}`;
}

/**
 * Checks the generators against exact values (throws on a mismatch; returns a summary). Takes about
 * half a second. Run by the benchmark before it starts, since a wrong key distribution would
 * silently change every figure.
 */
export function selfCheck() {
  const fail = (what) => {
    throw new Error(`ycsb-keys self-check: ${what}`);
  };
  // Euler-Maclaurin tail against a direct sum, and YCSB's published zeta(10^10, 0.99).
  let direct = 0;
  for (let i = 1_000_000; i >= 1; i--) direct += Math.pow(i, -YCSB_THETA);
  if (Math.abs(zeta(1_000_000, YCSB_THETA) / direct - 1) > 1e-12) fail('zeta tail differs from the direct sum');
  const zetaBig = zeta(SCRAMBLED_ITEM_SPACE, YCSB_THETA);
  if (Math.abs(zetaBig - 26.46902820178302) > 1e-6) fail(`zeta(1e10, 0.99) = ${zetaBig}, YCSB uses 26.469028`);
  // FNV-1a 64 test vectors of the FNV reference ("" and "a"); the integer form must agree with the bytes.
  if (fnv1a64Bytes([]) !== 0xcbf29ce484222325n || fnv1a64Bytes([0x61]) !== 0xaf63dc4c8601ec8cn) fail('FNV-1a 64 test vectors');
  for (const v of [0, 1, 255, 256, 123_456_789, 9_999_999_999]) {
    const le = Array.from({ length: 8 }, (_, i) => Number((BigInt(v) >> BigInt(8 * i)) & 0xffn));
    const u = fnv1a64Bytes(le);
    if (fnv1a64(v) !== (u >= SIGN64 ? (1n << 64n) - u : u)) fail(`fnv1a64(${v})`);
  }

  const a = seededRandom(7);
  const b = seededRandom(7);
  const c = seededRandom(8);
  let same = true;
  let differs = false;
  for (let i = 0; i < 1000; i++) {
    const x = a();
    if (!(x >= 0 && x < 1)) fail(`uniform out of range: ${x}`);
    same &&= x === b();
    differs ||= x !== c();
  }
  if (!same || !differs) fail('seeded random is not deterministic per seed');

  // Plain Zipfian over 1000 items: ranks 0 and 1 have exact probabilities.
  const draws = 200_000;
  const zipf = new Zipfian(1000, seededRandom(42));
  const counts = new Uint32Array(1000);
  for (let i = 0; i < draws; i++) counts[zipf.next()]++;
  const z = zeta(1000, YCSB_THETA);
  for (const rank of [0, 1]) {
    const expected = Math.pow(rank + 1, -YCSB_THETA) / z;
    const got = counts[rank] / draws;
    if (Math.abs(got / expected - 1) > 0.05) fail(`Zipfian rank ${rank}: ${got.toFixed(4)}, expected ${expected.toFixed(4)}`);
  }
  if (!(counts[0] > counts[1] && counts[1] > counts[10] && counts[10] > counts[100] && counts[100] > counts[900])) fail('Zipfian ranks are not decreasing');

  // Scrambled over 10,000 records: range, hottest share ~1/zeta(1e10), hot keys scattered.
  const records = 10_000;
  const scrambled = new ScrambledZipfian(records, seededRandom(42));
  const hits = new Uint32Array(records);
  for (let i = 0; i < draws; i++) {
    const k = scrambled.next();
    if (!(k >= 0 && k < records && Number.isInteger(k))) fail(`record out of range: ${k}`);
    hits[k]++;
  }
  const order = [...hits.keys()].sort((x, y) => hits[y] - hits[x]);
  const hottest = hits[order[0]] / draws;
  if (Math.abs(hottest * zetaBig - 1) > 0.1) fail(`hottest record share ${hottest.toFixed(4)}, expected ~${(1 / zetaBig).toFixed(4)}`);
  if (order.slice(0, 10).every((k) => k < 100)) fail('hot records are not scattered');
  const touched = hits.reduce((n, h) => n + (h > 0 ? 1 : 0), 0);
  const top1pct = order.slice(0, records / 100).reduce((n, k) => n + hits[k], 0) / draws;
  return { hottestShare: hottest, top1PercentShare: top1pct, touchedShare: touched / records };
}
