// Entry point of every client data operation, unary or streamed: load shedding, validation,
// routing (coordinate here or forward to a replica), metrics. Errors leave as typed errors; the
// service layer maps them to Connect codes.
import { ErrorDetailSchema, ErrorReason, KvService, type DeleteRequest, type DeleteResponse, type GetRequest, type GetResponse, type PutRequest, type PutResponse } from '@quorumkv/protocol';
import type { BucketRegistry } from '../cluster/buckets.js';
import type { RingState } from '../cluster/ring-state.js';
import type { ServerConfig } from '../config/config-schema.js';
import { Code, ConnectError } from '@connectrpc/connect';
import { NodeNotReadyError, NodeOverloadedError, NodeQuorumNotMetError, type ReplicaOutcome } from '../errors/errors.js';
import type { NodeMetrics } from '../observability/metrics.js';
import type { PeerPool } from '../replication/peer-pool.js';
import type { ReplicaRouter } from '../replication/replica-router.js';
import type { Coordinator } from './coordinator.js';
import { checkKey, checkPut, planRequest, type RequestPlan } from './request-plan.js';

type Op = 'get' | 'put' | 'delete';

/**
 * Whether a forwarded request is worth sending to the next primary: the peer did not answer (every
 * node's answer carries an ErrorDetail; this failure has none) or said it is not ready. Any other
 * answer is final.
 */
function tryNextPrimary(err: unknown): err is ConnectError {
  if (!(err instanceof ConnectError)) return false;
  const detail = err.findDetails(ErrorDetailSchema)[0];
  if (!detail) return err.code === Code.Unavailable || err.code === Code.Internal;
  return detail.reason === ErrorReason.NOT_READY;
}

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

  constructor(d: KvFrontendDeps) {
    ({ selfId: this.selfId, config: this.config, ring: this.ring, buckets: this.buckets, router: this.router, pool: this.pool, coordinator: this.coordinator, metrics: this.metrics } = d);
  }

  get requestsInFlight(): number {
    return this.inFlight;
  }

  get(req: GetRequest): Promise<GetResponse> {
    return this.run('get', req, (plan) => this.coordinator.get(req, plan), (addr) => this.pool.client(addr, KvService).get(req));
  }

  put(req: PutRequest): Promise<PutResponse> {
    return this.run('put', req, (plan) => this.coordinator.put(req, plan), (addr) => this.pool.client(addr, KvService).put(req));
  }

  delete(req: DeleteRequest): Promise<DeleteResponse> {
    return this.run('delete', req, (plan) => this.coordinator.delete(req, plan), (addr) => this.pool.client(addr, KvService).delete(req));
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
    req: { bucket: string; key: Uint8Array },
    local: (plan: RequestPlan) => Promise<R>,
    forward: (address: string) => Promise<R>,
  ): Promise<R> {
    this.admit();
    const started = performance.now();
    let outcome = 'ok';
    try {
      checkKey(req.key, this.config.maxKeyBytes);
      // Before routing: a node that forwards must not ship a value it would refuse.
      if (op === 'put') checkPut(req as PutRequest, this.config.maxValueBytes);
      const bucket = this.buckets.resolve(req.bucket);
      const plan = planRequest(this.ring.current, bucket, req.key, (id) => this.router.isUp(id));
      if (plan.primaries.includes(this.selfId)) return await local(plan);
      return await this.forward(op, plan, forward);
    } catch (err) {
      outcome = err instanceof Error ? err.name : 'error';
      throw err;
    } finally {
      this.inFlight--;
      this.metrics.observeRequest(op, outcome, (performance.now() - started) / 1000);
    }
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
        if (!tryNextPrimary(err)) throw err;
        tried.push({ nodeId: target, fallback: false, standingInFor: '', ok: false, error: err.rawMessage, latencyUs: 0 });
      }
    }
    throw new NodeQuorumNotMetError({ operation: op, asked: tried.length, answered: 0, required: 1, replicas: tried, deadlinePassed: false });
  }
}
