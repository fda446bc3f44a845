import type { NodeContext } from './context.js';
import type { MemberEventType, MemberInfo } from './events.js';
import type { AliveGossip, MemberSnapshot, MemberState } from './messages.js';
import { compareBytes } from './metadata.js';
import { Suspicion, suspicionMinTimeoutMs } from './suspicion.js';
import { INFINITY, floor, max } from './fast-globals.js';

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
  /** Called when a member is first added, so the prober can slot it into its round-robin order. */
  onAdded: (id: string) => void = () => {};
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
    const addressChanged = rec.address !== g.address;
    if (addressChanged) {
      // Another address claims a known id: only allowed once the old holder has been gone long
      // enough, otherwise two processes sharing an id would flap the member between addresses.
      const gone = rec.state === 'dead' || rec.state === 'left';
      if (!gone || now - rec.stateChangedAtMs < this.ctx.config.deadReclaimMs) return;
    } else if (g.incarnation <= rec.incarnation) {
      return;
    }
    const previous = rec.state;
    const metaChanged = compareBytes(rec.meta, g.meta) !== 0;
    this.suspicions.delete(rec.id);
    rec.incarnation = g.incarnation;
    rec.address = g.address;
    rec.meta = g.meta.slice();
    this.ctx.broadcast(`m:${g.id}`, g);
    if (previous !== 'alive') {
      this.setState(rec, 'alive');
      this.emit(previous === 'left' ? 'joined' : 'alive', rec);
    } else if (metaChanged || addressChanged) {
      this.emit('updated', rec);
    }
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
    let k = max(0, floor(config.suspicionMultiplier - 2));
    if (n - 2 < k) k = 0; // too few members to ever collect k independent confirmations
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

function toInfo(r: MemberRecord): MemberInfo {
  return { id: r.id, address: r.address, state: r.state, incarnation: r.incarnation, meta: r.meta.slice(), stateChangedAtMs: r.stateChangedAtMs };
}
