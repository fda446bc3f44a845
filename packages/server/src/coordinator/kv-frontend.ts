// Entry point of every client data operation, unary or streamed: load shedding, validation,
// routing (coordinate here or forward to a replica), metrics. Errors leave as typed errors; the
// service layer maps them to Connect codes.
import { KvService, type DeleteRequest, type DeleteResponse, type GetRequest, type GetResponse, type PutRequest, type PutResponse } from '@quorumkv/protocol';
import type { BucketRegistry } from '../cluster/buckets.js';
import type { RingState } from '../cluster/ring-state.js';
import type { ServerConfig } from '../config/config-schema.js';
import { NodeNotReadyError, NodeOverloadedError, NodeQuorumNotMetError, NodeRingMovedError, type ReplicaOutcome } from '../errors/errors.js';
import type { NodeMetrics } from '../observability/metrics.js';
import type { PeerPool } from '../replication/peer-pool.js';
import type { ReplicaRouter } from '../replication/replica-router.js';
import type { Coordinator } from './coordinator.js';
import { checkKey, checkPut, effectiveTimeout, planRequest, type RequestPlan } from './request-plan.js';
import { silentUntilDeadline, tryNextPrimary } from './forward-outcome.js';
import { deadlineOf, isOver, onwardCallOptions, type OnwardCallOptions, type RequestScope } from './request-scope.js';

type Op = 'get' | 'put' | 'delete';
/** How many times a write is routed when the ring moves under it before the client is told to retry. */
const ROUTINGS = 3;
/** Sends a request on to the node at `address` with the given deadline, headers and signal. */
type Forward<R> = (address: string, options: OnwardCallOptions) => Promise<R>;

/** What the front door works with. */
export interface KvFrontendDeps {
  selfId: string;
  config: ServerConfig;
  ring: RingState;
  buckets: BucketRegistry;
  router: ReplicaRouter;
  pool: PeerPool;
  coordinator: Coordinator;
  metrics: NodeMetrics;
  /** Each request's latency in ms, whatever its outcome (the handoff pace's signal). */
  onLatency?: (ms: number) => void;
}

export class KvFrontend {
  private inFlight = 0;
  private readonly selfId: string;
  private readonly config: ServerConfig;
  private readonly ring: RingState;
  private readonly buckets: BucketRegistry;
  private readonly router: ReplicaRouter;
  private readonly pool: PeerPool;
  private readonly coordinator: Coordinator;
  private readonly metrics: NodeMetrics;
  private readonly onLatency: ((ms: number) => void) | undefined;

  constructor(d: KvFrontendDeps) {
    ({ selfId: this.selfId, config: this.config, ring: this.ring, buckets: this.buckets, router: this.router, pool: this.pool, coordinator: this.coordinator, metrics: this.metrics, onLatency: this.onLatency } = d);
  }

  get requestsInFlight(): number {
    return this.inFlight;
  }

  /** @param scope - the caller's signal and, for a forwarded request, the forwarder's absolute deadline */
  get(req: GetRequest, scope?: RequestScope): Promise<GetResponse> {
    return this.run('get', req, scope, (plan) => this.coordinator.get(req, plan, scope), (addr, f) => this.pool.client(addr, KvService).get({ ...req, timeoutMs: f.timeoutMs }, f));
  }

  put(req: PutRequest, scope?: RequestScope): Promise<PutResponse> {
    return this.run('put', req, scope, (plan) => this.coordinator.put(req, plan, scope), (addr, f) => this.pool.client(addr, KvService).put({ ...req, timeoutMs: f.timeoutMs }, f));
  }

  delete(req: DeleteRequest, scope?: RequestScope): Promise<DeleteResponse> {
    return this.run('delete', req, scope, (plan) => this.coordinator.delete(req, plan, scope), (addr, f) => this.pool.client(addr, KvService).delete({ ...req, timeoutMs: f.timeoutMs }, f));
  }

  /**
   * Refuses an operation that is not one (a Session op with no get, put or delete) with `err`. It
   * is admitted like any other first, so past maxInFlight a flood of them is shed like any other.
   */
  async refuse(err: Error): Promise<never> {
    this.admit();
    this.inFlight--;
    throw err;
  }

  /** Counts one more request in flight, or sheds it past maxInFlight. */
  private admit(): void {
    if (this.inFlight >= this.config.maxInFlight) {
      this.metrics.shed.inc();
      throw new NodeOverloadedError(this.inFlight, this.config.maxInFlight);
    }
    this.inFlight++;
  }

  private async run<R extends { receipt?: { forwarded: boolean } }>(
    op: Op,
    req: { bucket: string; key: Uint8Array; timeoutMs?: number },
    scope: RequestScope | undefined,
    local: (plan: RequestPlan) => Promise<R>,
    forward: Forward<R>,
  ): Promise<R> {
    this.admit();
    const started = performance.now();
    let outcome = 'ok';
    try {
      checkKey(req.key, this.config.maxKeyBytes);
      // Before routing: a node that forwards must not ship a value it would refuse.
      if (op === 'put') checkPut(req as PutRequest, this.config.maxValueBytes);
      for (let routing = 1; ; routing++) {
        const bucket = this.buckets.resolve(req.bucket);
        const plan = planRequest(this.ring.current, bucket, req.key, (id) => this.router.isUp(id));
        if (!plan.primaries.includes(this.selfId)) return await this.forwardTo(op, plan, req, scope, forward);
        try {
          return await local(plan);
        } catch (err) {
          // Nothing was written: route it again by the ring in force now (coordinator.ts, mint).
          if (!(err instanceof NodeRingMovedError) || routing === ROUTINGS) throw err;
        }
      }
    } catch (err) {
      outcome = err instanceof Error ? err.name : 'error';
      throw err;
    } finally {
      this.inFlight--;
      const ms = performance.now() - started;
      this.metrics.observeRequest(op, outcome, ms / 1000);
      try {
        this.onLatency?.(ms);
      } catch {
        // A latency observer never turns an answered request into a failed one.
      }
    }
  }

  /** Forwards a request this node is no primary of, within its deadline. */
  private forwardTo<R extends { receipt?: { forwarded: boolean } }>(
    op: Op,
    plan: RequestPlan,
    req: { timeoutMs?: number },
    scope: RequestScope | undefined,
    forward: Forward<R>,
  ): Promise<R> {
    const deadlineMs = deadlineOf(scope, effectiveTimeout(req.timeoutMs, this.config.requestTimeoutMs), Date.now());
    return this.forward(op, plan, (address) => {
      const now = Date.now();
      // A forward that could not finish in time is not started: the target would drop it anyway.
      if (isOver(scope, deadlineMs, now)) throw new NodeQuorumNotMetError({ operation: op, asked: 0, answered: 0, required: 1, replicas: [], deadlinePassed: true });
      return forward(address, onwardCallOptions(scope, deadlineMs, now));
    });
  }

  /**
   * Sends the request to a live primary, trying the next one when a primary cannot be reached; the
   * SDK's routing normally avoids this hop.
   */
  private async forward<R extends { receipt?: { forwarded: boolean } }>(op: Op, plan: RequestPlan, call: (address: string) => Promise<R>): Promise<R> {
    if (plan.primaries.length === 0) throw new NodeNotReadyError('empty ring');
    const tried: ReplicaOutcome[] = [];
    for (const target of plan.primaries) {
      const address = this.ring.addressOf(target);
      if (!address || !this.router.isUp(target)) {
        tried.push({ nodeId: target, fallback: false, standingInFor: '', ok: false, error: 'down', latencyUs: 0 });
        continue;
      }
      this.metrics.forwarded.inc();
      try {
        const res = await call(address);
        if (res.receipt) res.receipt.forwarded = true;
        return res;
      } catch (err) {
        if (silentUntilDeadline(err)) {
          const replicas = [...tried, { nodeId: target, fallback: false, standingInFor: '', ok: false, error: 'no answer before the deadline', latencyUs: 0 }];
          throw new NodeQuorumNotMetError({ operation: op, asked: replicas.length, answered: 0, required: 1, replicas, deadlinePassed: true });
        }
        if (!tryNextPrimary(err, op)) throw err;
        tried.push({ nodeId: target, fallback: false, standingInFor: '', ok: false, error: err.rawMessage, latencyUs: 0 });
      }
    }
    throw new NodeQuorumNotMetError({ operation: op, asked: tried.length, answered: 0, required: 1, replicas: tried, deadlinePassed: false });
  }
}
