// Which actor a coordinated write mints its dot under: per-key actor epochs with a leased counter
// (the fix riak_kv ≥ 2.1 made for kv679). A dot (actor, counter) must name one value, ever. The
// counter of a new dot is one more than what the local record knows of the actor, so it is safe
// exactly when the local record reflects every dot ever minted under that actor for the key. That
// holds for an actor of this node's incarnation whose epoch is *trusted*: ≥ `trustedFrom`, the
// lowest epoch all of whose dots are in the local records. Everything else (no local record, a
// reaped or corrupt one, one holding only older epochs) gets a FRESH epoch, one nobody has ever
// seen, so its first dot cannot collide with anything.
//
// - Epochs come from a leased counter: a block is made durable before any epoch of it is handed
//   out, so a crash never reuses one. Handing one out is an in-memory increment.
// - A clean stop is recorded (`clean`) after every write is durable; a start without it (crash,
//   kill -9, first start) distrusts every older epoch. So does a local commit that failed after
//   replication of its write had begun, and a replica-side write bringing more of this node's own
//   history than the local record holds, i.e. one rebuilding a lost record (see `distrustCopy`).
// - A new incarnation (random) is made when the data dir is initialised: a node that lost its disk
//   can never re-mint an old actor's dots.
// A hot key thus keeps one actor per coordinating node across clean restarts.
import { randomBytes } from 'node:crypto';
import { keyHash } from '@quorumkv/ring';
import type { StorageEngine } from '@quorumkv/storage';
import type { VersionVector } from '@quorumkv/vclock';
import { NodeNotReadyError } from '../errors/errors.js';
import { actorPrefix, epochOfActor, formatActor } from './actor-id.js';

/** Epochs leased per durable write of the lease. */
export const LEASE_BLOCK = 10_000;
/** Reaped records remembered (see {@link ActorEpochs.noteReaped}); the oldest is forgotten first. */
const REAPED_MEMORY = 10_000;
const META_KEY = 'actor-epochs';

/** What is kept in the node's metadata. */
interface EpochState {
  incarnation: string;
  /** Highest epoch that may have been handed out. */
  lease: number;
  /** Lowest trusted epoch. */
  trustedFrom: number;
  /** Set at the very end of a clean stop, cleared durably at start. */
  clean: boolean;
}

/** Where the state lives (the node's storage metadata). */
export type EpochStore = Pick<StorageEngine, 'getMeta' | 'setMeta'>;

/** Options of {@link ActorEpochs.start}. */
export interface ActorEpochsOptions {
  /** Epochs per lease write; default {@link LEASE_BLOCK}. */
  leaseBlock?: number;
  /** Random bytes for a new incarnation (tests pass a seeded source). */
  randomBytes?: (n: number) => Uint8Array;
  /** Told when persisting the state failed (the next start is then unclean, which is safe). */
  onPersistError?: (error: unknown) => void;
  /** Told when the stored state was unreadable and a new incarnation was made instead. */
  onCorruptState?: (error: unknown) => void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The actor source of one node: see the file comment. */
export class ActorEpochs {
  private readonly prefix: string;
  /** Next fresh epoch. */
  private next: number;
  /** Highest epoch known durable in the lease: fresh epochs are handed out up to it. */
  private durableLease: number;
  /** Lease to persist (≥ durableLease while an extension is in flight). */
  private wantedLease: number;
  private trustedFrom: number;
  private clean = false;
  /** Set by {@link markCleanStop}: no dot may be minted after the clean-stop marker. */
  private stopped = false;
  private saving: Promise<void> = Promise.resolve();
  private extending: Promise<void> | undefined;
  /** Highest counter per actor whose local commit has not settled yet (see {@link minted}). */
  private readonly unsettled = new Map<string, number>();
  /** By key hash: this node's trusted epochs, and counters, in the record it last reaped there. */
  private readonly reaped = new Map<bigint, Map<string, number>>();

  private constructor(
    readonly nodeId: string,
    readonly incarnation: string,
    state: { next: number; lease: number; trustedFrom: number },
    private readonly store: EpochStore,
    private readonly block: number,
    private readonly onPersistError: (error: unknown) => void,
  ) {
    this.prefix = actorPrefix(nodeId, incarnation);
    this.next = state.next;
    this.durableLease = state.lease;
    this.wantedLease = state.lease;
    this.trustedFrom = state.trustedFrom;
  }

  /**
   * Loads the state, leases the first block and records that the node runs (not cleanly stopped),
   * durably, before the node serves anything.
   */
  static async start(nodeId: string, store: EpochStore, options: ActorEpochsOptions = {}): Promise<ActorEpochs> {
    const block = options.leaseBlock ?? LEASE_BLOCK;
    const stored = loadState(store, options.onCorruptState);
    const incarnation = stored?.incarnation ?? base36(options.randomBytes ?? randomBytes, 8);
    const next = (stored?.lease ?? 0) + 1;
    // After a clean stop every epoch at or above trustedFrom is fully reflected locally; otherwise
    // none is (a write may have left before its local commit, which the crash then lost).
    const trustedFrom = stored?.clean ? stored.trustedFrom : next;
    const epochs = new ActorEpochs(nodeId, incarnation, { next, lease: next + block - 1, trustedFrom }, store, block, options.onPersistError ?? (() => undefined));
    await epochs.persist();
    return epochs;
  }

  /**
   * The actor for a coordinated write of a key whose local record has causal context `local`
   * (undefined: absent, reaped or corrupt): this node's highest trusted epoch named there, else a
   * fresh one. Undefined when no fresh epoch is available without waiting for the lease
   * ({@link available}); runs inside the key's write transaction, so it never waits.
   */
  actorFor(local: VersionVector | undefined): string | undefined {
    // A write racing the stop is refused, unwritten (UNAVAILABLE: the client retries elsewhere).
    if (this.stopped) throw new NodeNotReadyError('node is stopping');
    const own = local === undefined ? undefined : this.highestTrusted(local);
    if (local !== undefined && own !== undefined) {
      const actor = formatActor(this.nodeId, this.incarnation, own);
      // An earlier write of this actor went out to replicas but is not in the record: its store
      // failed inside the same or an earlier transaction, and its rejection has not reached us yet.
      // Minting from this record would reuse its dot.
      if ((local.get(actor) ?? 0) >= (this.unsettled.get(actor) ?? 0)) return actor;
      this.distrustAfterFailedCommit();
    }
    if (this.next > this.durableLease) {
      this.extend();
      return undefined;
    }
    const epoch = this.next++;
    if (this.durableLease - this.next < this.block / 2) this.extend();
    return formatActor(this.nodeId, this.incarnation, epoch);
  }

  /**
   * Records that dot (`actor`, `counter`) left for the replicas before its local commit settled;
   * call the returned function once it has (committed or failed).
   */
  minted(actor: string, counter: number): () => void {
    if (counter > (this.unsettled.get(actor) ?? 0)) this.unsettled.set(actor, counter);
    return () => {
      if (this.unsettled.get(actor) === counter) this.unsettled.delete(actor);
    };
  }

  /** Resolves once a fresh epoch can be handed out (rejects when the lease cannot be persisted). */
  available(): Promise<void> {
    if (this.next <= this.durableLease) return Promise.resolve();
    this.extend();
    return this.extending ?? Promise.resolve();
  }

  /**
   * A local commit failed after its record went out to replicas: the dot it minted may exist
   * elsewhere but not here, so no epoch handed out so far is trusted any more.
   */
  distrustAfterFailedCommit(): void {
    this.raiseTrust(this.next);
  }

  /**
   * A local record was found corrupt or undecodable. It may have held the only copy of dots of
   * trusted epochs (a write this node coordinated that reached nobody else), so its slot no longer
   * reflects them: a later context naming older counters of such an epoch would have the next write
   * re-mint one. No epoch handed out so far is trusted any more.
   */
  distrustAfterLostRecord(): void {
    this.raiseTrust(this.next);
  }

  /**
   * A write that did not come from this node's coordination (replica write, hint, read repair,
   * handoff) merged a copy with causal context `incoming` into the local record whose context was
   * `local` (undefined: absent or corrupt). Where the copy knows more of one of this node's epochs
   * than the local record did, the local record had lost some of this node's own history for the
   * key, and the copy may be incomplete too (e.g. a lost record rebuilt from two stale hints, the
   * second naming an epoch the first did not): that epoch, and every older one, stops being
   * trusted. Rare: it needs a lost local record; ordinary copies never know more of this node's
   * own dots than this node.
   */
  distrustCopy(incoming: VersionVector, local: VersionVector | undefined, slot: { bucket: Uint8Array; key: Uint8Array }): void {
    // An empty slot this node reaped: the record it reaped held all of this node's history for the
    // key, and nothing was minted under those epochs since (a write into an empty slot takes a fresh
    // one). A copy knowing exactly as much of them (the usual case: the tombstone another replica
    // has not reaped yet, perhaps with a newer write) loses nothing; one knowing less or more does.
    // Used once: after this write the slot holds a record again.
    const reaped = local === undefined ? this.takeReaped(slot) : undefined;
    let highest: number | undefined;
    for (const [actor, counter] of incoming) {
      const epoch = this.trustedEpoch(actor);
      if (epoch === undefined) continue;
      const lost = reaped ? counter !== (reaped.get(actor) ?? 0) : counter > (local?.get(actor) ?? 0);
      if (lost && (highest === undefined || epoch > highest)) highest = epoch;
    }
    if (highest !== undefined) this.raiseTrust(highest + 1);
  }

  /**
   * This node reaped its record of (`bucket`, `key`), whose causal context was `context`: see
   * {@link distrustCopy}. Kept in memory only (a restart forgets it, which only distrusts more).
   */
  noteReaped(bucket: Uint8Array, key: Uint8Array, context: VersionVector): void {
    const own = new Map<string, number>();
    for (const [actor, counter] of context) if (this.trustedEpoch(actor) !== undefined) own.set(actor, counter);
    const id = keyHash(bucket, key);
    this.reaped.delete(id);
    if (own.size === 0) return;
    this.reaped.set(id, own);
    if (this.reaped.size > REAPED_MEMORY) this.reaped.delete(this.reaped.keys().next().value!);
  }

  private takeReaped(slot: { bucket: Uint8Array; key: Uint8Array }): Map<string, number> | undefined {
    // Every write into an empty slot asks (a handoff, thousands a second): hash only when needed.
    if (this.reaped.size === 0) return undefined;
    const id = keyHash(slot.bucket, slot.key);
    const own = this.reaped.get(id);
    this.reaped.delete(id);
    return own;
  }

  /** Records a clean stop; call after every write is durable, just before storage closes. */
  async markCleanStop(): Promise<void> {
    this.stopped = true;
    this.clean = true;
    await this.persist();
  }

  /** The lowest trusted epoch (diagnostics and tests). */
  get trustedFromEpoch(): number {
    return this.trustedFrom;
  }

  /** The epoch the next fresh actor gets (diagnostics and tests). */
  get nextEpoch(): number {
    return this.next;
  }

  private highestTrusted(context: VersionVector): number | undefined {
    let best: number | undefined;
    for (const actor of context.keys()) {
      const epoch = this.trustedEpoch(actor);
      if (epoch !== undefined && (best === undefined || epoch > best)) best = epoch;
    }
    return best;
  }

  /** The epoch of `actor` when it is one of this node's trusted epochs, else undefined. */
  private trustedEpoch(actor: string): number | undefined {
    const epoch = epochOfActor(actor, this.prefix);
    return epoch !== undefined && epoch >= this.trustedFrom && epoch < this.next ? epoch : undefined;
  }

  private raiseTrust(epoch: number): void {
    if (epoch <= this.trustedFrom) return;
    this.trustedFrom = epoch;
    // In memory at once; if persisting fails and the node then crashes, the next start is unclean,
    // which distrusts even more.
    this.persist().catch(this.onPersistError);
  }

  private extend(): void {
    if (this.extending) return;
    this.wantedLease = Math.max(this.durableLease, this.next - 1) + this.block;
    const wanted = this.wantedLease;
    this.extending = this.persist().then(
      () => {
        this.durableLease = Math.max(this.durableLease, wanted);
        this.extending = undefined;
      },
      (error: unknown) => {
        this.extending = undefined;
        throw error;
      },
    );
    this.extending.catch(this.onPersistError);
  }

  /** Writes the current state; writes are chained so the last one stored is the latest state. */
  private persist(): Promise<void> {
    const write = this.saving.then(() => {
      const state: EpochState = { incarnation: this.incarnation, lease: this.wantedLease, trustedFrom: this.trustedFrom, clean: this.clean };
      return this.store.setMeta(META_KEY, encoder.encode(JSON.stringify(state)));
    });
    this.saving = write.catch(() => undefined);
    return write;
  }
}

/**
 * The stored state, or undefined when there is none or it cannot be read. Unreadable state must not
 * stop the node: a new incarnation (whose actors nobody has seen) is as safe as after a lost disk.
 */
function loadState(store: EpochStore, onCorrupt: ((error: unknown) => void) | undefined): EpochState | undefined {
  try {
    return decodeState(store.getMeta(META_KEY));
  } catch (error) {
    onCorrupt?.(error);
    return undefined;
  }
}

function decodeState(bytes: Uint8Array | undefined): EpochState | undefined {
  if (!bytes) return undefined;
  const s = JSON.parse(decoder.decode(bytes)) as Partial<EpochState>;
  const epoch = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;
  if (typeof s.incarnation !== 'string' || !/^[0-9a-z]{1,16}$/.test(s.incarnation) || !epoch(s.lease) || !epoch(s.trustedFrom) || typeof s.clean !== 'boolean') {
    throw new Error(`corrupt ${META_KEY} metadata`);
  }
  return s as EpochState;
}

function base36(random: (n: number) => Uint8Array, length: number): string {
  let out = '';
  for (const byte of random(length)) out += (byte % 36).toString(36);
  return out;
}
