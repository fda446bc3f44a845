// What a session has seen of each key: the version vector of the newest state it read or wrote
// (its "floor"). A read answers the session only if its context descends the key's floor, so the
// session never reads a state older than one it saw (monotonic reads) or one without its own
// acknowledged writes (read-your-writes). Pure: the caller decodes nothing and keeps no clock.
import { decodeBoundContext, descendsVersionVector, emptyVersionVector, mergeVersionVectors, type VersionVector } from '@quorumkv/vclock';
import { toBase64 } from '../codec.js';

/** Default of {@link SessionOptions.maxKeys}. */
export const DEFAULT_SESSION_MAX_KEYS = 10_000;

/** Tuning of a client session (`createClient({ session })`). */
export interface SessionOptions {
  /**
   * Keys whose floor the session remembers. Beyond it the least recently used key is forgotten,
   * and with it the guarantee for that key (its next read is accepted as the new floor). Default 10000.
   */
  readonly maxKeys?: number;
  /**
   * Reads a stale answer may add (each at another coordinator, the first at R = N) before the get
   * fails with `StaleReadError`. Default 3.
   */
  readonly staleRetries?: number;
}

/**
 * The version vector a context carries; empty for an empty context (a key never written).
 * @throws VClockDecodeError for bytes that are not a context a node handed out
 */
export function contextVersion(context: Uint8Array): VersionVector {
  return context.length === 0 ? emptyVersionVector() : decodeBoundContext(context).versionVector;
}

/** The floors of one session, least recently used first (a bounded map). */
export class SessionFloors {
  private readonly floors = new Map<string, VersionVector>();
  private readonly maxKeys: number;

  constructor(options: Pick<SessionOptions, 'maxKeys'> = {}) {
    this.maxKeys = options.maxKeys ?? DEFAULT_SESSION_MAX_KEYS;
    if (!Number.isInteger(this.maxKeys) || this.maxKeys < 1) throw new TypeError(`createClient: \`session.maxKeys\` must be an integer >= 1 (got ${this.maxKeys})`);
  }

  /** Keys remembered. */
  get size(): number {
    return this.floors.size;
  }

  /** What the session has seen of the key (empty when nothing, or forgotten). */
  floorOf(bucket: string, key: Uint8Array): VersionVector {
    return this.floors.get(slot(bucket, key)) ?? emptyVersionVector();
  }

  /** Whether a state with version `seen` includes everything the session saw of the key. */
  covers(bucket: string, key: Uint8Array, seen: VersionVector): boolean {
    return descendsVersionVector(seen, this.floorOf(bucket, key));
  }

  /** Raises the key's floor to include `seen` (a state the session read or wrote). */
  observe(bucket: string, key: Uint8Array, seen: VersionVector): void {
    const s = slot(bucket, key);
    const floor = this.floors.get(s);
    this.floors.delete(s);
    this.floors.set(s, floor ? mergeVersionVectors(floor, seen) : seen);
    if (this.floors.size > this.maxKeys) this.floors.delete(this.floors.keys().next().value!);
  }
}

// Length-prefixed: no bucket name and key can spell another pair's slot.
const slot = (bucket: string, key: Uint8Array): string => `${bucket.length}:${bucket}${toBase64(key)}`;
