// A simulated client session: runs its operations one at a time against the coordinator a step
// names (as the SDK pins a request to one primary), keeps the context of its last read of each
// key, and records invocations and outcomes in the history.
import type { DeleteResponse, GetResponse, PutResponse, QuorumReceipt } from '@quorumkv/protocol';
import { NodeArgumentError, NodeTooManySiblingsError } from '../errors/errors.js';
import type { History, Op } from './history.js';
import { BUCKET, type SimCluster } from './sim-cluster.js';
import type { Incarnation } from './sim-node.js';
import type { Step } from './schedule.js';
import type { VirtualClock } from './virtual-clock.js';

type ClientStep = Extract<Step, { kind: 'get' | 'put' | 'delete' }>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);

/**
 * Errors that prove nothing was written (refused before any replica stored anything). Not
 * NodeStorageFullError: a write that missed W because some replicas had no room was stored on the
 * others.
 */
const certainlyNothingWritten = (err: unknown): boolean => err instanceof NodeArgumentError || err instanceof NodeTooManySiblingsError;

export class SimClient {
  private readonly queue: ClientStep[] = [];
  private busy = false;
  private stopped = false;
  private readonly lastRead = new Map<string, { op: number; context: Uint8Array }>();

  constructor(
    readonly id: number,
    private readonly cluster: SimCluster,
    private readonly clock: VirtualClock,
    private readonly history: History,
    private readonly keys: readonly string[],
  ) {}

  /** Runs `step` now, or after the operations this client already has in flight. */
  submit(step: ClientStep): void {
    if (this.stopped) return;
    this.queue.push(step);
    if (!this.busy) void this.next();
  }

  /** Drops operations not started yet. */
  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
  }

  get idle(): boolean {
    return !this.busy;
  }

  private async next(): Promise<void> {
    this.busy = true;
    for (let step = this.queue.shift(); step; step = this.queue.shift()) await this.run(step);
    this.busy = false;
  }

  private async run(step: ClientStep): Promise<void> {
    const key = this.keys[step.key]!;
    const via = step.at !== undefined ? this.cluster.ids[step.at]! : this.cluster.primaries(key)[step.via]!;
    if (step.kind === 'get') return void (await this.get(key, via, step.r));
    if (step.kind === 'delete') {
      const ctx = this.lastRead.get(key);
      // A delete carries what the client read. Without a context it would delete whatever the
      // coordinator holds (the contract says so), which no history can tell: read instead.
      if (!ctx || ctx.context.length === 0) return void (await this.get(key, via, undefined));
      const op = this.history.invoke({ client: this.id, kind: 'delete', key, via, w: step.w, contextFrom: ctx.op, invokedMs: this.clock.now() });
      await this.call(op, via, (p) => p.coordinator.delete({ $typeName: 'quorumkv.v1.DeleteRequest', bucket: BUCKET, key: encoder.encode(key), context: ctx.context, w: step.w, timeoutMs: undefined }, this.cluster.node(via).plan(p, encoder.encode(key))));
      return;
    }
    let ctx: { op: number; context: Uint8Array; ofKey?: string } | undefined;
    if (step.context === 'read') ctx = this.lastRead.get(key);
    if (step.context === 'foreign') {
      const other = [...this.lastRead].find(([k]) => k !== key);
      if (other) ctx = { ...other[1], ofKey: other[0] };
    }
    const value = `c${this.id}.${this.history.ops.length}`;
    const op = this.history.invoke({ client: this.id, kind: 'put', key, via, value, ttlMs: step.ttlMs, w: step.w, contextFrom: ctx?.op, contextOfKey: ctx?.ofKey, invokedMs: this.clock.now() });
    await this.call(op, via, (p) =>
      p.coordinator.put(
        { $typeName: 'quorumkv.v1.PutRequest', bucket: BUCKET, key: encoder.encode(key), value: encoder.encode(value), context: ctx?.context ?? EMPTY, w: step.w, timeoutMs: undefined, ttlMs: BigInt(step.ttlMs ?? 0), returnBody: false },
        this.cluster.node(via).plan(p, encoder.encode(key)),
      ),
    );
  }

  /** A read; `finalRound` marks the checker's reads after healing. */
  async get(key: string, via: string, r: number | undefined, finalRound?: number): Promise<Op> {
    const op = this.history.invoke({ client: this.id, kind: 'get', key, via, r, finalRound, invokedMs: this.clock.now() });
    const res = await this.call(op, via, (p) => p.coordinator.get({ $typeName: 'quorumkv.v1.GetRequest', bucket: BUCKET, key: encoder.encode(key), r, timeoutMs: undefined }, this.cluster.node(via).plan(p, encoder.encode(key))));
    if (res) {
      op.values = res.siblings.map((s) => decoder.decode(s.value)).sort();
      this.lastRead.set(key, { op: op.id, context: res.context });
    }
    return op;
  }

  /** Runs one request on `via`'s running process; its answer is lost if that process dies first. */
  private async call<R extends GetResponse | PutResponse | DeleteResponse>(op: Op, via: string, request: (p: Incarnation) => Promise<R>): Promise<R | undefined> {
    const node = this.cluster.node(via);
    const process = node.serving;
    const done = (outcome: Exclude<Op['outcome'], 'pending'>, error?: string): undefined => {
      this.history.complete(op, this.clock.now(), outcome, error);
      return undefined;
    };
    if (!process) return done('fail', 'node down');
    const answer = await Promise.race([
      request(process).then(
        (res) => ({ res }),
        (err: unknown) => ({ err }),
      ),
      process.died.then(() => ({ died: true as const })),
    ]);
    if ('died' in answer) return done(op.kind === 'get' ? 'fail' : 'info', 'coordinator crashed');
    if ('err' in answer) {
      const message = answer.err instanceof Error ? answer.err.message : String(answer.err);
      return done(op.kind === 'get' || certainlyNothingWritten(answer.err) ? 'fail' : 'info', message);
    }
    done('ok');
    op.replicas = answeredBy(answer.res.receipt);
    return answer.res;
  }
}

/** The replicas that counted, fallbacks as `fallback>primary`. */
function answeredBy(receipt: QuorumReceipt | undefined): string[] {
  return (receipt?.replicas ?? []).filter((x) => x.ok).map((x) => (x.fallback ? `${x.nodeId}>${x.standingInFor}` : x.nodeId));
}
