// One simulated process's gossip: the real @quorumkv/gossip memberlist with the node's own tuning
// (gossipConfigFor), on virtual time and a seeded fork of the run's randomness, its messages encoded
// as the real node encodes them and carried by the SimNetwork. Where ClusterMembership ticks every
// 50 ms, this ticks only when the memberlist has work due, rounded up to that 50 ms cadence: the
// same ticks that do anything, without an event every 50 ms per node. Gossip is synchronous, so
// its events skip the clock's wait for promise continuations unless a member event was emitted
// (a listener, such as hint delivery on `alive`, may then have started asynchronous work).
import { createMemberlist, decodeMessage, encodeMessage, type GossipMessage, type MemberEvent, type Memberlist } from '@quorumkv/gossip';
import type { CancelTimer } from '../clock/timers.js';
import { GOSSIP_TICK_MS, gossipConfigFor, isRoutable } from '../cluster/member-liveness.js';
import type { SimRandom } from './sim-random.js';
import type { TimerOwner, VirtualClock } from './virtual-clock.js';

// Module bindings: inside jest's vm sandbox every global lookup (Math.ceil) is slow, and this runs on every gossip event.
const { ceil, max } = Math;
const INFINITY = Number.POSITIVE_INFINITY;

export interface SimMembershipOptions {
  id: string;
  /** Where peers send to (the node's advertised address). */
  address: string;
  /** The SWIM probe interval (the node's `gossipIntervalMs`). */
  probeIntervalMs: number;
  clock: VirtualClock;
  /** The process: its gossip stops when it dies. */
  owner: TimerOwner;
  random: SimRandom;
  /** Hands one encoded message to the network. */
  send: (toAddress: string, bytes: Uint8Array) => void;
  /** Told every member event this process's memberlist emits (for the trace and the digest). */
  onEvent: (event: MemberEvent) => void;
  /** The planted bug `ignores-accusations`: drop every claim about this node but `alive` before the memberlist sees it. */
  ignoreAccusations?: boolean;
}

export class SimMembership {
  readonly list: Memberlist;
  private tickAtMs = INFINITY;
  private cancelTick: CancelTimer | undefined;
  /** Member events emitted so far (a call that emitted one may have started asynchronous work). */
  private emitted = 0;

  constructor(private readonly o: SimMembershipOptions) {
    const { clock, random } = o;
    this.list = createMemberlist({
      self: { id: o.id, address: o.address },
      config: gossipConfigFor(o.probeIntervalMs),
      transport: { send: (to, message) => o.send(to, encodeMessage(message)) },
      random: () => random.float(),
      now: () => clock.now(),
    });
    this.list.on((e) => {
      this.emitted++;
      if (e.type !== 'metadata') o.onEvent(e);
    });
  }

  /** Joins through `seeds` (addresses), as a starting node joins through its ring's other nodes. */
  start(seeds: readonly string[]): void {
    if (seeds.length > 0) this.list.join(seeds);
    this.reschedule();
  }

  /** Announces a graceful leave (one gossip round goes out at once; the process stops right after). */
  leave(): void {
    this.list.leave();
    this.reschedule();
  }

  /** Handles one message; true if it emitted a member event (listeners may have started asynchronous work). */
  receive(fromAddress: string, bytes: Uint8Array): boolean {
    const before = this.emitted;
    const message = decodeMessage(bytes);
    this.list.receive(fromAddress, this.o.ignoreAccusations ? withoutAccusations(this.o.id, message) : message);
    this.reschedule();
    return this.emitted !== before;
  }

  /** Whether routing may use `nodeId`, as a real node reads gossip. */
  isUp(nodeId: string): boolean {
    return isRoutable(this.list, this.o.id, nodeId);
  }

  /** Schedules the next tick at the memberlist's next deadline (on the 50 ms cadence), unless one comes sooner. */
  private reschedule(): void {
    const { clock, owner } = this.o;
    const now = clock.now();
    const at = ceil(max(this.list.nextDeadlineMs(), now + 1) / GOSSIP_TICK_MS) * GOSSIP_TICK_MS;
    if (at === INFINITY || at >= this.tickAtMs) return;
    this.cancelTick?.();
    this.tickAtMs = at;
    this.cancelTick = clock.scheduleSync(at - now, () => {
      if (!owner.alive) return false;
      const before = this.emitted;
      this.tickAtMs = INFINITY;
      this.list.tick();
      this.reschedule();
      return this.emitted !== before;
    });
  }
}

/** `message` without what it says against `selfId` (suspect, dead, left), which the memberlist would refute. */
function withoutAccusations(selfId: string, message: GossipMessage): GossipMessage {
  if (message.type === 'push-pull') return { ...message, members: message.members.filter((m) => m.id !== selfId || m.state === 'alive') };
  return { ...message, gossip: message.gossip.filter((g) => g.kind === 'metadata' || g.kind === 'alive' || g.id !== selfId) };
}
