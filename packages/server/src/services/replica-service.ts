// ReplicaService (internal): applies replica items from other nodes. Every response carries this
// node's ring when the sender's is older, so a node that routed with a stale ring learns at once.
import { create } from '@bufbuild/protobuf';
import type { HandlerContext, ServiceImpl } from '@connectrpc/connect';
import {
  ApplyResponseSchema,
  DeliverHintsResponseSchema,
  GetRingResponseSchema,
  HandoffHeldResponseSchema,
  HandoffRequestSchema,
  HandoffResponseSchema,
  unpackHandoffRecords,
  type HandoffRecord,
  type HandoffRequest,
  ReplicaStatus,
  ENVELOPE_HEADER_BYTES,
  REPLICA_MAX_ITEMS_PER_MESSAGE,
  ReplicateRequestSchema,
  decodeReplicateRequest,
  encodeReplicateResponse,
  frameEnvelope,
  type ReplicaHeader,
  type ReplicaService,
  type ReplicateRequest,
  type ReplicateResponse,
} from '@quorumkv/protocol';
import { MAX_PARTITION_COUNT } from '@quorumkv/ring';
import { NodeArgumentError, NodeClusterChangeError, NodeForeignClusterError } from '../errors/errors.js';
import type { HandoffLedger } from '../handoff/handoff-ledger.js';
import type { StreamBudgetFactory } from '../http/call-budget.js';
import type { RawStreamHandler } from '../http/raw-stream.js';
import type { StreamBudget } from '../http/stream-budget.js';
import type { ItemSender, ReplicaApplier } from '../replication/replica-applier.js';
import type { NodeMetrics } from '../observability/metrics.js';
import { callerKey, claimRefusalOf, type Caller } from '../security/access-policy.js';
import { serveConnectStream } from './connect-stream.js';
import { rawStreamSession, type StreamMessages, type StreamProcessor, type StreamSink } from './stream-processor.js';
import { guard, requestMessages } from './guard.js';

export interface ReplicaServiceDeps {
  selfId: string;
  clusterId: () => string;
  ringVersion: () => number;
  ringBytes: () => Uint8Array;
  /** A peer's ring may be newer than ours. */
  noteRing: (header: ReplicaHeader | undefined) => void;
  /** Whether this node's ring (or its transition) names `nodeId`. */
  ringMember: (nodeId: string) => boolean;
  applier: ReplicaApplier;
  /** What this node received complete by handoff. */
  handoffs: HandoffLedger;
  metrics: NodeMetrics;
  /** Budgets of streams served by connect-es. */
  streamBudget: StreamBudgetFactory;
}

/** Checks a sender's header (cluster, who sent it, ring) and builds this node's answer header. */
interface HeaderChecks {
  check: (h: ReplicaHeader | undefined, caller: Caller) => void;
  /** {@link check}, and refuses a sender that a newer ring removed (replica reads and writes). */
  checkWriter: (h: ReplicaHeader | undefined, caller: Caller) => void;
  header: (h: ReplicaHeader | undefined) => ReplicaHeader;
}

function headerChecks(d: ReplicaServiceDeps): HeaderChecks {
  const EMPTY = new Uint8Array(0);
  const header = (req: ReplicaHeader | undefined): ReplicaHeader => {
    const version = d.ringVersion();
    return {
      $typeName: 'quorumkv.v1.ReplicaHeader',
      fromNode: d.selfId,
      ringVersion: BigInt(version),
      clusterId: d.clusterId(),
      ring: req && req.ringVersion < BigInt(version) ? d.ringBytes() : EMPTY,
    };
  };
  // Every internal request names its cluster and sender: one without a header, from another
  // cluster, or from a member whose certificate names another node than the header's from-node, is
  // refused before anything in it (items, hints, its ring) is looked at.
  const check = (h: ReplicaHeader | undefined, caller: Caller): void => {
    if (!h) throw new NodeArgumentError('header', 'is required on internal requests');
    if (h.clusterId !== d.clusterId()) {
      d.metrics.foreignClusterMessages.labels('replica').inc();
      throw new NodeForeignClusterError(h.clusterId, d.clusterId());
    }
    const mismatch = claimRefusalOf(caller, h.fromNode);
    if (mismatch) {
      d.metrics.identityMismatches.labels('replica').inc();
      throw mismatch;
    }
    d.noteRing(h);
  };
  // Writes (and reads) from a node our ring no longer names, routed by an older ring, come from a
  // node removed without leaving (force-remove) that still runs on its old ring: its copies may
  // hold values the cluster deleted and reaped since, so they must not come back through it. A
  // joiner is not refused (it routes by the current ring), nor a leaver handing over its hints
  // (it holds the ring that removed it).
  const checkWriter = (h: ReplicaHeader | undefined, caller: Caller): void => {
    check(h, caller);
    const version = d.ringVersion();
    // The version test first: the member lookup (which copies and sorts the nodes during a
    // transition) then runs only for the rare sender on an older ring, not on every message.
    if (h && Number(h.ringVersion) < version && !d.ringMember(h.fromNode)) {
      throw new NodeClusterChangeError(`${h.fromNode} is not in ring version ${version} and routes by version ${h.ringVersion}: a removed node's replica traffic is refused`);
    }
  };
  return { check, checkWriter, header };
}

export function replicaService(d: ReplicaServiceDeps): Partial<ServiceImpl<typeof ReplicaService>> {
  const checks = headerChecks(d);
  const { check, checkWriter, header } = checks;
  return {
    apply: (req, ctx) =>
      guard(async () => {
        checkWriter(req.header, ctx.values.get(callerKey));
        if (!req.item) throw new NodeArgumentError('item', 'is required');
        d.applier.noteForeground();
        return create(ApplyResponseSchema, { header: header(req.header), result: await d.applier.apply(req.item, senderOf(req.header)) });
      }),
    deliverHints: (req, ctx) =>
      guard(async () => {
        checkWriter(req.header, ctx.values.get(callerKey));
        return create(DeliverHintsResponseSchema, { header: header(req.header), results: await d.applier.applyAll(req.items, senderOf(req.header)) });
      }),
    replicate: (requests, ctx) => replicate(requests, ctx, d, checks),
    handoff: (requests, ctx) =>
      guard(async () => {
        // Ownership handoff, receiving side: each message's records are merged durably before the
        // next is read; the sender checkpoints on the answer, so a batch is never counted twice.
        let stored = 0n;
        let last: ReplicaHeader | undefined;
        for await (const req of requestMessages(requests, HandoffRequestSchema.typeName, 'MAX_ENVELOPE_BYTES')) {
          checkWriter(req.header, ctx.values.get(callerKey));
          last = req.header;
          d.handoffs.admit(req.partition, Number(req.since));
          const count = await storeHandoff(d, req);
          stored += BigInt(count);
          d.metrics.handoffRecords.inc(count);
          if (req.last) await d.handoffs.complete(req.partition, Number(req.since));
        }
        return create(HandoffResponseSchema, { header: header(last), stored });
      }),
    handoffHeld: (req, ctx) =>
      guard(async () => {
        check(req.header, ctx.values.get(callerKey));
        if (req.partitions.length > MAX_PARTITION_COUNT) throw new NodeArgumentError('partitions', `has ${req.partitions.length} entries, at most ${MAX_PARTITION_COUNT}`);
        return create(HandoffHeldResponseSchema, { header: header(req.header), complete: d.handoffs.held(Number(req.since), req.partitions, req.orLater) });
      }),
    getRing: (req, ctx) =>
      guard(async () => {
        check(req.header, ctx.values.get(callerKey));
        return create(GetRingResponseSchema, { header: header(req.header) });
      }),
  };
}

/** Stores a handoff message's records (packed or as items) durably; returns how many it held. */
async function storeHandoff(d: ReplicaServiceDeps, req: HandoffRequest): Promise<number> {
  if (req.packedRecords.length > 0) {
    if (req.items.length > 0) throw new NodeArgumentError('items', 'must be empty when packed_records is set');
    let records: HandoffRecord[];
    try {
      records = unpackHandoffRecords(req.packedRecords);
    } catch (err) {
      throw new NodeArgumentError('packed_records', err instanceof Error ? err.message : String(err));
    }
    // A record refused part-way leaves the chunks before it merged while the message is refused.
    // Harmless: they are valid copies of keys this node gains, merging them again when the sender
    // resends the batch (its checkpoint moves only on this answer) changes nothing, and no counter
    // (here, the sender's, the transfer's note) counts a refused message (replica-applier-handoff.test.ts).
    try {
      await d.applier.applyHandoff(req.partition, records, senderOf(req.header));
    } catch (err) {
      if (err instanceof NodeArgumentError) throw err;
      throw new Error(`handoff of partition ${req.partition}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    return records.length;
  }
  const results = await d.applier.applyAll(req.items, senderOf(req.header));
  const failed = results.find((r) => r.status !== ReplicaStatus.OK);
  if (failed) throw new Error(`handoff of partition ${req.partition}: ${failed.error || ReplicaStatus[failed.status]}`);
  return results.length;
}

/**
 * The persistent stream: messages are applied concurrently (their writes share LMDB commits) and
 * each is acknowledged as soon as all its items are durable, in completion order.
 */
async function replicateMessage(req: ReplicateRequest, d: ReplicaServiceDeps, header: (h: ReplicaHeader | undefined) => ReplicaHeader): Promise<ReplicateResponse> {
  d.metrics.replicaMessages.inc();
  d.metrics.replicaItems.inc(req.items.length);
  d.applier.noteForeground();
  const results = await d.applier.applyAll(req.items, senderOf(req.header));
  return { $typeName: 'quorumkv.v1.ReplicateResponse', messageId: req.messageId, header: header(req.header), results };
}

/**
 * The messages of one Replicate stream. A message starts when the stream's budget has room for its
 * items and bytes; until then it waits, and the stream reads nothing more.
 */
class ReplicateProcessor implements StreamProcessor<ReplicateRequest> {
  private waiting: { req: ReplicateRequest; bytes: number } | undefined;
  private open = 0;
  private inputDone = false;

  constructor(
    private readonly d: ReplicaServiceDeps,
    private readonly header: (h: ReplicaHeader | undefined) => ReplicaHeader,
    private readonly budget: StreamBudget,
    private readonly sink: StreamSink<ReplicateResponse>,
  ) {}

  get ready(): boolean {
    return this.waiting === undefined && this.budget.hasRoom;
  }

  /** A request message; `bytes`, its size on the wire, is held while it runs. */
  message(req: ReplicateRequest, bytes = 0): void {
    this.waiting = { req, bytes };
    this.pump();
  }

  pump(): void {
    const w = this.waiting;
    if (!w) return;
    const ticket = this.budget.tryStart(Math.max(1, w.req.items.length), w.bytes);
    if (!ticket) return;
    this.waiting = undefined;
    this.open++;
    replicateMessage(w.req, this.d, this.header).then(
      (res) => {
        this.open--;
        const heldBytes = responseBytes(res);
        this.sink.send(res, heldBytes);
        this.budget.finish(ticket, heldBytes);
        this.doneIfIdle();
      },
      (err: unknown) => this.sink.fail(err),
    );
  }

  end(): void {
    this.inputDone = true;
    this.doneIfIdle();
  }

  private doneIfIdle(): void {
    if (this.inputDone && this.open === 0 && this.waiting === undefined) this.sink.done();
  }
}

/** The ring version the sender routed by (checked headers always carry one). */
function senderOf(h: ReplicaHeader | undefined): ItemSender | undefined {
  return h ? { ringVersion: Number(h.ringVersion) } : undefined;
}

/** Bytes an acknowledgement holds until read: records of READ answers dominate it. */
function responseBytes(res: ReplicateResponse): number {
  let n = 64;
  for (const r of res.results) n += 16 + r.record.length;
  return n;
}

/** Replicate request messages: at most REPLICA_MAX_ITEMS_PER_MESSAGE items and the protocol's ceiling. */
function replicateMessages(checks: HeaderChecks, caller: Caller): StreamMessages<ReplicateRequest> {
  return {
    type: ReplicateRequestSchema.typeName,
    sizeLimit: 'MAX_ENVELOPE_BYTES',
    countLimit: { name: 'REPLICA_MAX_ITEMS_PER_MESSAGE', max: REPLICA_MAX_ITEMS_PER_MESSAGE, count: (req) => req.items.length },
    decode: (data) => decodeReplicateRequest(data),
    check: (req) => checks.checkWriter(req.header, caller),
  };
}

/** Replicate through connect-es (gRPC-protocol callers). */
function replicate(requests: AsyncIterable<ReplicateRequest>, ctx: HandlerContext, d: ReplicaServiceDeps, checks: HeaderChecks): AsyncIterable<ReplicateResponse> {
  return serveConnectStream<ReplicateRequest, ReplicateResponse>({
    requests,
    ctx,
    messages: replicateMessages(checks, ctx.values.get(callerKey)),
    streamBudget: d.streamBudget,
    processor: (budget, sink) => new ReplicateProcessor(d, checks.header, budget, sink),
  });
}

/** Replicate on the raw HTTP/2 stream (Connect protocol): the path nodes use between themselves. */
export function replicateRawStream(d: ReplicaServiceDeps): RawStreamHandler {
  const checks = headerChecks(d);
  return (out, budget, caller) => {
    const messages = replicateMessages(checks, caller);
    const processor = new ReplicateProcessor(d, checks.header, budget, {
      send: (res, heldBytes) => out.sendFramed(frameEnvelope(encodeReplicateResponse(res, ENVELOPE_HEADER_BYTES)), heldBytes),
      done: () => out.finish(),
      fail: (err) => out.finish(err),
    });
    // Replicate messages are never skipped (the path reads up to the protocol's ceiling).
    return rawStreamSession(out, processor, messages, (_prefix, _bytes, err) => out.finish(err));
  };
}
