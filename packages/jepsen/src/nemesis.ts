// Carries out a nemesis plan against a running cluster, from outside the nodes: kill -9 and
// restart, SIGSTOP/SIGCONT, per-link blocks and delays in the fault proxies, and restarts with a
// skewed LWW clock, and membership changes (a node joins, a member leaves). `heal()` undoes
// whatever is in force, and waits for membership changes to finish (they are not undone).
import type { Cluster } from '@quorumkv/harness';
import { MembershipFaults } from './membership-faults.js';
import type { MembershipOutcome } from './membership-diagnosis.js';
import { describeWindow, type FaultWindow } from './nemesis-schedule.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** What the nemesis did and when (ms since the run started), for the timeline. */
export interface AppliedWindow {
  readonly description: string;
  readonly kind: FaultWindow['kind'];
  readonly startMs: number;
  endMs: number;
}

export class Nemesis {
  private readonly killed = new Set<number>();
  private readonly paused = new Set<number>();
  private readonly skewed = new Set<number>();
  readonly applied: AppliedWindow[] = [];
  /** How the membership changes finished after heal, when there were any. */
  membership: MembershipOutcome | undefined;
  private readonly membershipFaults: MembershipFaults;

  constructor(
    private readonly cluster: Cluster,
    private readonly now: () => number,
    private readonly log: (line: string) => void = () => {},
  ) {
    this.membershipFaults = new MembershipFaults(cluster, log);
  }

  /** Runs every window at its time; resolves after the last one ends (faults lifted). */
  async run(plan: readonly FaultWindow[], stop: () => boolean): Promise<void> {
    for (const w of plan) {
      await sleep(w.startMs - this.now());
      if (stop()) return;
      const record: AppliedWindow = { description: describeWindow(w), kind: w.kind, startMs: this.now(), endMs: Number.NaN };
      this.applied.push(record);
      this.log(`${record.startMs.toFixed(0)} ms: ${record.description}`);
      await this.begin(w);
      await sleep(w.endMs - this.now());
      await this.end(w);
      record.endMs = this.now();
    }
  }

  /**
   * Lifts every fault: links cleared, paused nodes continued, killed nodes restarted, skewed clocks
   * reset; then gives membership changes up to `settleMs` to finish.
   */
  async heal(settleMs: number): Promise<void> {
    this.cluster.clearLinkFaults();
    for (const i of this.paused) this.cluster.nodes[i]!.resume();
    this.paused.clear();
    await Promise.all([...this.killed].map((i) => this.cluster.nodes[i]!.restart({ readyTimeoutMs: 60_000 })));
    this.killed.clear();
    await Promise.all([...this.skewed].map((i) => this.cluster.nodes[i]!.restart({ signal: 'SIGTERM', readyTimeoutMs: 60_000 })));
    this.skewed.clear();
    const open = this.applied[this.applied.length - 1];
    if (open && Number.isNaN(open.endMs)) open.endMs = this.now();
    this.membership = await this.membershipFaults.settle(settleMs);
  }

  private async begin(w: FaultWindow): Promise<void> {
    const nodes = this.cluster.nodes;
    switch (w.kind) {
      case 'kill':
        await Promise.all(w.nodes.map((i) => nodes[i]!.kill('SIGKILL')));
        w.nodes.forEach((i) => this.killed.add(i));
        return;
      case 'pause':
        w.nodes.forEach((i) => (nodes[i]!.pause(), this.paused.add(i)));
        return;
      case 'partition':
        for (const [from, to] of w.links) this.cluster.setLinkFault(from, to, { block: w.block });
        return;
      case 'slow':
        for (const [from, to] of w.links) this.cluster.setLinkFault(from, to, { delayMs: w.delayMs });
        return;
      case 'skew':
        w.nodes.forEach((i) => this.skewed.add(i));
        await Promise.all(w.nodes.map((i) => nodes[i]!.restart({ signal: 'SIGTERM', extraArgs: ['--lww-clock-offset-ms', String(w.offsetMs)], readyTimeoutMs: 60_000 })));
        return;
      case 'membership':
        // A commit waits for an earlier change to finish moving data: up to a minute.
        if (w.action === 'join') await this.membershipFaults.join(w.node);
        else await this.membershipFaults.leave(w.node, 60_000);
        return;
    }
  }

  private async end(w: FaultWindow): Promise<void> {
    const nodes = this.cluster.nodes;
    switch (w.kind) {
      case 'kill':
        await Promise.all(w.nodes.map((i) => nodes[i]!.restart({ readyTimeoutMs: 60_000 })));
        w.nodes.forEach((i) => this.killed.delete(i));
        return;
      case 'pause':
        w.nodes.forEach((i) => (nodes[i]!.resume(), this.paused.delete(i)));
        return;
      case 'partition':
      case 'slow':
        for (const [from, to] of w.links) this.cluster.setLinkFault(from, to, undefined);
        return;
      case 'skew':
        // Back to the node's own flags: the offset was an extra argument of the restart.
        await Promise.all(w.nodes.map((i) => nodes[i]!.restart({ signal: 'SIGTERM', readyTimeoutMs: 60_000 })));
        w.nodes.forEach((i) => this.skewed.delete(i));
        return;
      case 'membership':
        return;
    }
  }
}
