import type { NodeContext } from './context.js';
import type { MemberEventType, MemberInfo } from './events.js';
import type { AliveGossip, MemberSnapshot, MemberState } from './messages.js';
import { compareBytes } from './metadata.js';
import { Suspicion, expectedConfirmations, suspicionMinTimeoutMs } from './suspicion.js';
import { INFINITY, max } from './fast-globals.js';

/** Mutable per-member record; `MemberInfo` copies of it are handed out. */
interface MemberRecord {
  id: string;
  address: string;
  state: MemberState;
  incarnation: number;
  meta: Uint8Array;
  stateChangedAtMs: number;
}

/**
 * The membership table and SWIM's merge rules. An update about a member wins only with a higher
 * incarnation (alive) or an incarnation at least as high (suspect, dead, left), so the member itself,
 * which alone raises its incarnation, always has the last word: accusations about ourselves are
 * refuted by re-announcing alive at a higher incarnation.
 */
export class MemberTable {
  private readonly records = new Map<string, MemberRecord>();
  private readonly suspicions = new Map<string, Suspicion>();
  private live = 0;
  private leaving = false;
  /** Members claimed at a new address, by id: the claim waits for a probe of the old address. */
  private readonly moves = new Map<string, AliveGossip>();
  /** The last refused claim per member (`address@incarnation`), so it is not probed again. */
  private readonly refusedMoves = new Map<string, string>();
  /** Called when a member is first added, so the prober can slot it into its round-robin order. */
  onAdded: (id: string) => void = () => {};
  /** Called when a member is claimed at a new address; returns true if a probe of its old address was started (it reports back). */
  onMoveClaimed: (id: string) => boolean = () => false;
  /** Called when a suspicion times out; returns true if a last-chance probe was started (it reports back). */
  onSuspicionExpired: (id: string) => boolean = () => false;

  constructor(
    private readonly ctx: NodeContext,
    selfMeta: Uint8Array,
  ) {
    this.records.set(ctx.selfId, {
      id: ctx.selfId,
      address: ctx.selfAddress,
      state: 'alive',
      incarnation: 0,
      meta: selfMeta.slice(),
      stateChangedAtMs: ctx.now(),
    });
    this.live = 1;
    this.announceSelf();
  }

  get self(): Readonly<MemberRecord> {
    return this.records.get(this.ctx.selfId) as MemberRecord;
  }

  get isLeaving(): boolean {
    return this.leaving;
  }

  /** Members that are alive or suspect, including ourselves: the n of the log(n) formulas. */
  get liveCount(): number {
    return this.live;
  }

  get(id: string): Readonly<MemberRecord> | undefined {
    return this.records.get(id);
  }

  values(): IterableIterator<Readonly<MemberRecord>> {
    return this.records.values();
  }

  info(id: string): MemberInfo | undefined {
    const r = this.records.get(id);
    return r === undefined ? undefined : toInfo(r);
  }

  snapshot(): MemberSnapshot[] {
    return [...this.records.values()].map((r) => ({ id: r.id, address: r.address, state: r.state, incarnation: r.incarnation, meta: r.meta }));
  }

  /** Changes our own meta: a new incarnation makes every member accept it. */
  setSelfMeta(meta: Uint8Array): void {
    const self = this.records.get(this.ctx.selfId) as MemberRecord;
    self.meta = meta.slice();
    self.incarnation++;
    this.announceSelf();
  }

  /** Graceful leave: announce `left` at our incarnation; we stop refuting from now on. */
  leave(): void {
    const self = this.records.get(this.ctx.selfId) as MemberRecord;
    this.leaving = true;
    this.setState(self, 'left');
    this.ctx.broadcast(`m:${self.id}`, { kind: 'left', id: self.id, incarnation: self.incarnation });
  }

  applyAlive(g: AliveGossip): void {
    if (g.id === this.ctx.selfId) {
      if (this.leaving) return;
      const self = this.self;
      const differs = g.address !== self.address || compareBytes(g.meta, self.meta) !== 0;
      if (g.incarnation > self.incarnation || (g.incarnation === self.incarnation && differs)) this.refute(g.incarnation);
      return;
    }
    const rec = this.records.get(g.id);
    const now = this.ctx.now();
    if (rec === undefined) {
      const added: MemberRecord = { id: g.id, address: g.address, state: 'alive', incarnation: g.incarnation, meta: g.meta.slice(), stateChangedAtMs: now };
      this.records.set(g.id, added);
      this.live++;
      this.ctx.broadcast(`m:${g.id}`, g);
      this.emit('joined', added);
      this.onAdded(g.id);
      return;
    }
    if (g.incarnation <= rec.incarnation) return;
    if (rec.address !== g.address && (rec.state === 'alive' || rec.state === 'suspect')) {
      this.claimMove(rec, g);
      return;
    }
    this.accept(rec, g);
  }

  /**
   * A member known at one address refutes from another: a process restarted elsewhere, or a
   * second process wrongly sharing its id. The old address is probed first: silence there means
   * the member moved (the claim is accepted within one probe), an answer that two processes claim
   * the id (the claim is refused, so the member does not flap between them). A dead or left
   * member's old address has gone silent already, so its move is accepted at once.
   */
  private claimMove(rec: MemberRecord, g: AliveGossip): void {
    const pending = this.moves.get(rec.id);
    if (pending !== undefined) {
      if (g.incarnation > pending.incarnation) this.moves.set(rec.id, g);
      return;
    }
    if (this.refusedMoves.get(rec.id) === moveKey(g)) return;
    this.moves.set(rec.id, g);
    if (!this.onMoveClaimed(rec.id)) this.completeMove(rec.id);
  }

  /** Nothing answered at the old address of a member claimed elsewhere: it moved. */
  completeMove(id: string): void {
    const g = this.moves.get(id);
    this.moves.delete(id);
    const rec = this.records.get(id);
    if (g !== undefined && rec !== undefined && g.incarnation > rec.incarnation) this.accept(rec, g);
  }

  /**
   * The member answered at its old address: the claim from the new one is refused (and not probed
   * again), but its incarnation stands, so a suspicion it refuted with the claim is over. This is
   * not gossiped: the member would refute an alive record with an address it does not claim.
   */
  refuseMove(id: string): void {
    const g = this.moves.get(id);
    this.moves.delete(id);
    const rec = this.records.get(id);
    if (g === undefined || rec === undefined) return;
    this.refusedMoves.set(id, moveKey(g));
    if (g.incarnation > rec.incarnation) this.accept(rec, { ...g, address: rec.address }, false);
  }

  /** Applies a newer alive record of a known member (and passes it on, unless `gossip` is false). */
  private accept(rec: MemberRecord, g: AliveGossip, gossip = true): void {
    const previous = rec.state;
    const addressChanged = rec.address !== g.address;
    const metaChanged = compareBytes(rec.meta, g.meta) !== 0;
    this.suspicions.delete(rec.id);
    rec.incarnation = g.incarnation;
    rec.address = g.address;
    rec.meta = g.meta.slice();
    if (gossip) this.ctx.broadcast(`m:${g.id}`, g);
    if (previous !== 'alive') {
      this.setState(rec, 'alive');
      this.emit(previous === 'left' ? 'joined' : 'alive', rec);
    } else if (metaChanged || addressChanged) {
      this.emit('updated', rec);
    }
  }

  /**
   * A member first heard of in a state exchange in which it is already suspect, dead or left: it is
   * recorded as such (a suspect is probed by us too), so it is known rather than ignored and never
   * taken for alive. Returns false if the member is known (the normal merge rules apply).
   */
  learn(m: MemberSnapshot, from: string): boolean {
    if (m.id === this.ctx.selfId || this.records.has(m.id) || m.state === 'alive') return false;
    const now = this.ctx.now();
    const state = m.state === 'suspect' ? 'alive' : m.state;
    const rec: MemberRecord = { id: m.id, address: m.address, state, incarnation: m.incarnation, meta: m.meta.slice(), stateChangedAtMs: now };
    this.records.set(m.id, rec);
    if (state === 'alive') {
      this.live++;
      this.emit('joined', rec);
      this.onAdded(m.id);
      this.applySuspect(m.id, m.incarnation, from);
    } else {
      this.emit(state, rec);
    }
    return true;
  }

  applySuspect(id: string, incarnation: number, from: string): void {
    if (id === this.ctx.selfId) {
      if (!this.leaving && incarnation >= this.self.incarnation) this.refute(incarnation);
      return;
    }
    const rec = this.records.get(id);
    if (rec === undefined || incarnation < rec.incarnation) return;
    const existing = this.suspicions.get(id);
    if (existing !== undefined) {
      // Re-gossip new confirmations so other members shorten their timers too.
      if (incarnation === existing.incarnation && existing.confirm(from)) {
        this.ctx.broadcast(`m:${id}`, { kind: 'suspect', id, incarnation, from });
      }
      return;
    }
    if (rec.state !== 'alive') return;
    this.suspicions.set(id, this.newSuspicion(incarnation, from));
    rec.incarnation = incarnation;
    this.setState(rec, 'suspect');
    this.ctx.broadcast(`m:${id}`, { kind: 'suspect', id, incarnation, from });
    this.emit('suspect', rec);
  }

  private newSuspicion(incarnation: number, from: string): Suspicion {
    const config = this.ctx.config;
    const n = this.live;
    const k = expectedConfirmations(config.suspicionMultiplier, n);
    const minMs = suspicionMinTimeoutMs(config.suspicionMultiplier, n, config.probeIntervalMs);
    return new Suspicion(incarnation, from, k, this.ctx.now(), minMs, minMs * config.suspicionMaxTimeoutMult);
  }

  applyDead(id: string, incarnation: number, from: string): void {
    this.markGone(id, incarnation, 'dead', from);
  }

  applyLeft(id: string, incarnation: number): void {
    this.markGone(id, incarnation, 'left', id);
  }

  private markGone(id: string, incarnation: number, state: 'dead' | 'left', from: string): void {
    if (id === this.ctx.selfId) {
      if (!this.leaving && incarnation >= this.self.incarnation) this.refute(incarnation);
      return;
    }
    const rec = this.records.get(id);
    if (rec === undefined || incarnation < rec.incarnation) return;
    // A graceful leave is more informative than a death, so `left` may overwrite `dead`.
    if (rec.state === 'left' || (rec.state === 'dead' && state === 'dead')) return;
    this.suspicions.delete(id);
    rec.incarnation = incarnation;
    this.setState(rec, state);
    this.ctx.broadcast(`m:${id}`, state === 'left' ? { kind: 'left', id, incarnation } : { kind: 'dead', id, incarnation, from });
    this.emit(state, rec);
  }

  /**
   * Declares dead the suspects whose timers ran out. A timer handled late (our event loop was
   * starved) is postponed instead: refutations may be sitting unread in our backlog.
   */
  expireSuspicions(now: number): void {
    for (const [id, suspicion] of this.suspicions) {
      const deadline = suspicion.deadlineMs;
      if (deadline > now) continue;
      if (now - deadline > this.ctx.config.stallDetectionMs) {
        suspicion.postpone(now + this.ctx.config.probeIntervalMs);
        continue;
      }
      const rec = this.records.get(id);
      if (rec === undefined || rec.state !== 'suspect' || rec.incarnation !== suspicion.incarnation) {
        this.suspicions.delete(id);
        continue;
      }
      // One more full probe before the verdict: it carries the accusation to the suspect, whose ack
      // brings back its refutation if it is alive and we merely missed the gossip. The backstop
      // deadline covers a probe that never reports.
      if (!suspicion.finalProbe && this.onSuspicionExpired(id)) {
        suspicion.finalProbe = true;
        suspicion.postpone(now + 2 * this.ctx.awareness.scale(this.ctx.config.probeIntervalMs));
        continue;
      }
      this.suspicions.delete(id);
      this.applyDead(id, rec.incarnation, this.ctx.selfId);
    }
  }

  /** The last-chance probe failed: the suspect is dead. */
  confirmDead(id: string): void {
    const rec = this.records.get(id);
    const suspicion = this.suspicions.get(id);
    if (rec === undefined || suspicion === undefined || rec.state !== 'suspect' || rec.incarnation !== suspicion.incarnation) return;
    this.suspicions.delete(id);
    this.applyDead(id, rec.incarnation, this.ctx.selfId);
  }

  /** The suspect answered the last-chance probe without refuting: restart its suspicion from scratch. */
  suspectAnswered(id: string): void {
    const rec = this.records.get(id);
    const old = this.suspicions.get(id);
    if (rec === undefined || old === undefined || rec.state !== 'suspect') return;
    this.suspicions.set(id, this.newSuspicion(rec.incarnation, this.ctx.selfId));
  }

  /** Our own alive record, attached to acks. */
  selfAlive(): AliveGossip {
    const s = this.self;
    return { kind: 'alive', id: s.id, address: s.address, incarnation: s.incarnation, meta: s.meta };
  }

  nextSuspicionDeadlineMs(): number {
    let next = INFINITY;
    for (const s of this.suspicions.values()) if (s.deadlineMs < next) next = s.deadlineMs;
    return next;
  }

  /** Forgets dead and left members older than `deadRetentionMs`. */
  reap(now: number): void {
    for (const [id, rec] of this.records) {
      if ((rec.state === 'dead' || rec.state === 'left') && id !== this.ctx.selfId && now - rec.stateChangedAtMs >= this.ctx.config.deadRetentionMs) {
        this.records.delete(id);
      }
    }
  }

  /** Re-announces ourselves above the accused incarnation; being accused is also a Lifeguard hint that we may be the slow one. */
  private refute(accusedIncarnation: number): void {
    const self = this.records.get(this.ctx.selfId) as MemberRecord;
    self.incarnation = max(self.incarnation, accusedIncarnation) + 1;
    this.ctx.awareness.applyDelta(1);
    this.announceSelf();
  }

  private announceSelf(): void {
    this.ctx.broadcast(`m:${this.ctx.selfId}`, this.selfAlive());
  }

  private setState(rec: MemberRecord, state: MemberState): void {
    const wasLive = rec.state === 'alive' || rec.state === 'suspect';
    const isLive = state === 'alive' || state === 'suspect';
    this.live += (isLive ? 1 : 0) - (wasLive ? 1 : 0);
    rec.state = state;
    rec.stateChangedAtMs = this.ctx.now();
  }

  private emit(type: MemberEventType, rec: MemberRecord): void {
    this.ctx.emit({ type, atMs: this.ctx.now(), member: toInfo(rec) });
  }
}

function moveKey(g: AliveGossip): string {
  return `${g.address}@${g.incarnation}`;
}

function toInfo(r: MemberRecord): MemberInfo {
  return { id: r.id, address: r.address, state: r.state, incarnation: r.incarnation, meta: r.meta.slice(), stateChangedAtMs: r.stateChangedAtMs };
}
