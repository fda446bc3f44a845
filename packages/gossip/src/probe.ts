import type { NodeContext } from './context.js';
import type { MemberTable } from './member-state.js';
import type { AckMessage, Gossip, NackMessage, PingMessage, PingReqMessage } from './messages.js';
import { pickRandom, randomIndex, shuffle } from './random.js';
import { INFINITY, floor, max, min } from './fast-globals.js';

/** The probe of the current protocol period. */
interface Probe {
  seq: number;
  targetId: string;
  targetAddress: string;
  /** Direct-ack deadline, after which ping-req goes out. */
  ackDeadlineMs: number;
  /** End of the period: no ack by then means suspicion. */
  periodEndMs: number;
  indirectSent: boolean;
  expectedNacks: number;
  nacks: number;
  /** A deadline of this probe was handled late: our own stall, so the outcome proves nothing. */
  late: boolean;
  /**
   * `period`: the period's probe; `confirm`: a last-chance probe of a suspect whose suspicion timed
   * out; `verify`: a probe of the old address of a member claimed at a new one.
   */
  kind: ProbeKind;
}

type ProbeKind = 'period' | 'confirm' | 'verify';

/** An indirect probe we run for another member. */
interface Relay {
  origSeq: number;
  origAddress: string;
  targetId: string;
  deadlineMs: number;
  wantNack: boolean;
}

/**
 * SWIM failure detection: each period one member, taken in randomized round-robin order (every member
 * is probed within n periods, unlike uniform random choice), gets a direct ping; without an ack within
 * the timeout, `indirectChecks` members ping it for us. Relays answer nacks when they fail too, telling
 * us our own network path works (Lifeguard); missing nacks count against our local health instead.
 */
export class Prober {
  private order: string[] = [];
  private position = 0;
  private seq = 0;
  /** The period's probe, if still running. */
  private current: Probe | null = null;
  /** All running probes by seq: the period's probe plus last-chance probes of expiring suspects. */
  private readonly probes = new Map<number, Probe>();
  private nextProbeAtMs: number;
  private readonly relays = new Map<number, Relay>();

  constructor(
    private readonly ctx: NodeContext,
    private readonly members: MemberTable,
  ) {
    // Start at a random offset in the first period so nodes started together do not probe in lockstep.
    this.nextProbeAtMs = ctx.now() + ctx.random() * ctx.config.probeIntervalMs;
    members.onSuspicionExpired = (id) => this.startProbe(id, 'confirm');
    members.onMoveClaimed = (id) => this.startProbe(id, 'verify');
    members.onAdded = (id) => {
      // Insert at a random position among those not yet probed this round, as memberlist does.
      const at = this.position + randomIndex(ctx.random, this.order.length - this.position + 1);
      this.order.splice(at, 0, id);
    };
  }

  nextDeadlineMs(): number {
    let next = this.members.isLeaving ? INFINITY : this.nextProbeAtMs;
    for (const p of this.probes.values()) next = min(next, p.indirectSent ? p.periodEndMs : p.ackDeadlineMs);
    for (const r of this.relays.values()) if (r.deadlineMs < next) next = r.deadlineMs;
    return next;
  }

  /** The current probe's timing was compromised by a local stall. */
  markStalled(): void {
    for (const p of this.probes.values()) p.late = true;
  }

  tick(now: number): void {
    this.expireRelays(now);
    const stallMs = this.ctx.config.stallDetectionMs;
    for (const p of this.probes.values()) {
      if (!p.indirectSent && now >= p.ackDeadlineMs) {
        if (now - p.ackDeadlineMs > stallMs) p.late = true;
        p.indirectSent = true;
        if (now < p.periodEndMs) this.sendIndirect(p, now);
      }
      if (now >= p.periodEndMs) {
        if (now - p.periodEndMs > stallMs) p.late = true;
        this.finish(p);
        this.fail(p);
      }
    }
    if (this.current === null && now >= this.nextProbeAtMs && !this.members.isLeaving) this.start(now);
  }

  onPing(msg: PingMessage): void {
    // A ping meant for a previous owner of our address must not vouch for that member.
    if (msg.targetId !== this.ctx.selfId) return;
    // Our own record rides on every ack, so a prober that missed our latest refutation learns it here.
    const gossip = this.ctx.takeGossip();
    if (!gossip.some((g) => g.kind === 'alive' && g.id === this.ctx.selfId)) gossip.unshift(this.members.selfAlive());
    const ack: AckMessage = { type: 'ack', seq: msg.seq, sourceId: this.ctx.selfId, gossip };
    this.ctx.send(msg.sourceAddress, ack);
  }

  onPingReq(msg: PingReqMessage): void {
    const seq = ++this.seq;
    this.relays.set(seq, { origSeq: msg.seq, origAddress: msg.sourceAddress, targetId: msg.targetId, deadlineMs: this.ctx.now() + msg.timeoutMs, wantNack: msg.wantNack });
    this.sendPing(seq, msg.targetId, msg.targetAddress, []);
  }

  onAck(msg: AckMessage): void {
    const p = this.probes.get(msg.seq);
    if (p !== undefined) {
      this.finish(p);
      this.ctx.awareness.applyDelta(-1);
      // A suspect that answered but did not refute (an indirect ack carries no accusation to it) gets a fresh timer.
      if (p.kind === 'confirm') this.members.suspectAnswered(p.targetId);
      else if (p.kind === 'verify') this.members.refuseMove(p.targetId);
      return;
    }
    const relay = this.relays.get(msg.seq);
    if (relay !== undefined) {
      this.relays.delete(msg.seq);
      const target = this.members.get(relay.targetId);
      const vouch: Gossip[] = target !== undefined && target.state === 'alive' ? [{ kind: 'alive', id: target.id, address: target.address, incarnation: target.incarnation, meta: target.meta }] : [];
      const forward: AckMessage = { type: 'ack', seq: relay.origSeq, sourceId: this.ctx.selfId, gossip: [...vouch, ...this.ctx.takeGossip()] };
      this.ctx.send(relay.origAddress, forward);
    }
  }

  onNack(msg: NackMessage): void {
    const p = this.probes.get(msg.seq);
    if (p !== undefined) p.nacks++;
  }

  private start(now: number): void {
    const target = this.nextTarget();
    const scaledInterval = this.ctx.awareness.scale(this.ctx.config.probeIntervalMs);
    this.nextProbeAtMs = now + scaledInterval;
    if (target === undefined) return;
    this.current = this.launch(target, now, 'period');
  }

  /**
   * A probe outside the round-robin: the last-chance probe of a suspect whose suspicion timed out
   * (so a member whose refutation we alone missed is not declared dead), or the probe of a member's
   * old address when it is claimed at a new one. Returns false if it cannot run (the caller then
   * decides without it).
   */
  private startProbe(id: string, kind: 'confirm' | 'verify'): boolean {
    const target = this.members.get(id);
    if (target === undefined || this.members.isLeaving) return false;
    if (kind === 'confirm' ? target.state !== 'suspect' : target.state !== 'alive' && target.state !== 'suspect') return false;
    this.launch(target, this.ctx.now(), kind);
    return true;
  }

  private launch(target: Readonly<{ id: string; address: string; state: string; incarnation: number }>, now: number, kind: ProbeKind): Probe {
    const p: Probe = {
      seq: ++this.seq,
      targetId: target.id,
      targetAddress: target.address,
      ackDeadlineMs: now + this.ctx.awareness.scale(this.ctx.config.probeTimeoutMs),
      periodEndMs: now + this.ctx.awareness.scale(this.ctx.config.probeIntervalMs),
      indirectSent: false,
      expectedNacks: 0,
      nacks: 0,
      late: false,
      kind,
    };
    this.probes.set(p.seq, p);
    this.sendPing(p.seq, target.id, target.address, this.buddy(target));
    return p;
  }

  /** Lifeguard's buddy system: tell a suspect it is suspected so it can refute right away (in its ack). */
  private buddy(target: Readonly<{ id: string; state: string; incarnation: number }>): Gossip[] {
    return target.state === 'suspect' ? [{ kind: 'suspect', id: target.id, incarnation: target.incarnation, from: this.ctx.selfId }] : [];
  }

  private finish(p: Probe): void {
    this.probes.delete(p.seq);
    if (this.current === p) this.current = null;
  }

  private nextTarget(): { id: string; address: string; state: string; incarnation: number } | undefined {
    for (let attempts = 0; attempts < 2; attempts++) {
      while (this.position < this.order.length) {
        const id = this.order[this.position++] as string;
        const rec = this.members.get(id);
        if (rec !== undefined && id !== this.ctx.selfId && (rec.state === 'alive' || rec.state === 'suspect')) return rec;
      }
      this.resetOrder();
    }
    return undefined;
  }

  /** New round: reshuffle live members; also the moment to forget long-dead ones. */
  private resetOrder(): void {
    this.members.reap(this.ctx.now());
    const ids: string[] = [];
    for (const rec of this.members.values()) {
      if (rec.id !== this.ctx.selfId && (rec.state === 'alive' || rec.state === 'suspect')) ids.push(rec.id);
    }
    this.order = shuffle(this.ctx.random, ids);
    this.position = 0;
  }

  private sendIndirect(p: Probe, now: number): void {
    const relays = pickRandom(this.ctx.random, [...this.members.values()], this.ctx.config.indirectChecks, (r) => r.state === 'alive' && r.id !== this.ctx.selfId && r.id !== p.targetId);
    // Relays must answer in time for the nack to reach us before the period ends.
    const timeoutMs = max(1, floor((p.periodEndMs - now) * 0.8));
    p.expectedNacks = relays.length;
    // A second direct ping alongside the indirect ones (memberlist sends a TCP ping here): one lost
    // datagram should not be enough to make a healthy member suspect.
    const target = this.members.get(p.targetId);
    if (target !== undefined) this.sendPing(p.seq, p.targetId, p.targetAddress, this.buddy(target));
    for (const relay of relays) {
      const req: PingReqMessage = {
        type: 'ping-req',
        seq: p.seq,
        sourceId: this.ctx.selfId,
        sourceAddress: this.ctx.selfAddress,
        targetId: p.targetId,
        targetAddress: p.targetAddress,
        timeoutMs,
        wantNack: true,
        gossip: this.ctx.takeGossip(),
      };
      this.ctx.send(relay.address, req);
    }
  }

  private fail(p: Probe): void {
    if (p.kind === 'verify') {
      // Silence at the old address is what a move looks like, not evidence about our own health.
      this.members.completeMove(p.targetId);
      return;
    }
    if (p.late) {
      // We could not watch the clock, so the silence proves nothing about the target.
      this.ctx.awareness.applyDelta(1);
      if (p.kind === 'confirm') this.members.suspectAnswered(p.targetId);
      return;
    }
    // Missing nacks mean our messages (or their answers) are being lost: likely our own fault.
    this.ctx.awareness.applyDelta(p.expectedNacks > 0 ? p.expectedNacks - p.nacks : 1);
    const rec = this.members.get(p.targetId);
    if (rec === undefined || rec.address !== p.targetAddress) return;
    if (p.kind === 'confirm') this.members.confirmDead(rec.id);
    else this.members.applySuspect(rec.id, rec.incarnation, this.ctx.selfId);
  }

  private expireRelays(now: number): void {
    for (const [seq, relay] of this.relays) {
      if (relay.deadlineMs > now) continue;
      this.relays.delete(seq);
      if (relay.wantNack) {
        const nack: NackMessage = { type: 'nack', seq: relay.origSeq, sourceId: this.ctx.selfId, gossip: this.ctx.takeGossip() };
        this.ctx.send(relay.origAddress, nack);
      }
    }
  }

  private sendPing(seq: number, targetId: string, targetAddress: string, extra: Gossip[]): void {
    const gossip = this.ctx.takeGossip();
    const ping: PingMessage = {
      type: 'ping',
      seq,
      sourceId: this.ctx.selfId,
      sourceAddress: this.ctx.selfAddress,
      targetId,
      gossip: extra.length > 0 ? [...extra, ...gossip] : gossip,
    };
    this.ctx.send(targetAddress, ping);
  }
}
