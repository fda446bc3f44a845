// Prometheus metrics of one node (prom-client), served at /metrics.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The node's metrics. Gauges that mirror state are filled in at scrape time by `collect`. */
export class NodeMetrics {
  readonly registry = new Registry();
  readonly requestDuration = new Histogram({
    name: 'quorumkv_request_duration_seconds',
    help: 'Client request latency by operation and outcome',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly forwarded = new Counter({
    name: 'quorumkv_forwarded_requests_total',
    help: 'Client requests this node forwarded because it is not a replica of the key',
    registers: [this.registry],
  });
  readonly readRepairs = new Counter({ name: 'quorumkv_read_repairs_total', help: 'Stale replicas repaired by reads', registers: [this.registry] });
  readonly hintsStored = new Counter({ name: 'quorumkv_hints_stored_total', help: 'Hints stored for unreachable replicas', registers: [this.registry] });
  readonly hintsDelivered = new Counter({ name: 'quorumkv_hints_delivered_total', help: 'Hints delivered and acknowledged', registers: [this.registry] });
  readonly handoffRecordsSent = new Counter({ name: 'quorumkv_handoff_records_sent_total', help: 'Records sent by ownership handoff and acknowledged by the receiver', registers: [this.registry] });
  readonly handoffBytesSent = new Counter({ name: 'quorumkv_handoff_bytes_sent_total', help: 'Key and record bytes sent by ownership handoff', registers: [this.registry] });
  readonly handoffSendSeconds = new Counter({ name: 'quorumkv_handoff_send_seconds_total', help: 'Time ownership handoff transfers this node sent were running, summed over transfers (bytes sent over it: the rate per transfer)', registers: [this.registry] });
  readonly handoffTransfersDone = new Counter({ name: 'quorumkv_handoff_transfers_completed_total', help: 'Ownership handoff transfers this node completed as the sender', registers: [this.registry] });
  readonly writesForwarded = new Counter({ name: 'quorumkv_writes_forwarded_total', help: 'Replica writes routed by an older ring (or meant for a node that no longer holds them) forwarded as hints to the holders', labelNames: ['why'], registers: [this.registry] });
  readonly handoffPace = new Gauge({ name: 'quorumkv_handoff_pace_bytes_per_second', help: 'Bytes per second the next ownership handoff batch this node sends is paced at: the configured rate, or the adaptive pace below it (the start rate while nothing is sent; 0: unthrottled)', registers: [this.registry] });
  readonly handoffRecords = new Counter({ name: 'quorumkv_handoff_records_received_total', help: 'Records received and stored by ownership handoff', registers: [this.registry] });
  readonly shed = new Counter({ name: 'quorumkv_requests_shed_total', help: 'Requests refused with RESOURCE_EXHAUSTED', registers: [this.registry] });
  readonly sessionMessages = new Counter({ name: 'quorumkv_session_messages_total', help: 'KvService.Session request messages received', registers: [this.registry] });
  readonly sessionOps = new Counter({ name: 'quorumkv_session_ops_total', help: 'Operations received in KvService.Session messages', registers: [this.registry] });
  readonly replicaMessages = new Counter({ name: 'quorumkv_replica_messages_total', help: 'ReplicaService.Replicate messages received', registers: [this.registry] });
  readonly replicaItems = new Counter({ name: 'quorumkv_replica_items_total', help: 'Replica items received in Replicate messages', registers: [this.registry] });
  readonly rawStreams = new Counter({ name: 'quorumkv_raw_streams_total', help: 'Hot streams opened on the raw HTTP/2 path, by path', labelNames: ['path'] as const, registers: [this.registry] });
  readonly hintsPending = new Gauge({ name: 'quorumkv_hints_pending', help: 'Hints held for other nodes', registers: [this.registry] });
  readonly hintBytes = new Gauge({ name: 'quorumkv_hint_bytes', help: 'Bytes the hints held for other nodes take', registers: [this.registry] });
  readonly hintsPendingByTarget = new Gauge({ name: 'quorumkv_hints_pending_by_target', help: 'Hints held, by target node', labelNames: ['target'] as const, registers: [this.registry] });
  readonly hintWindowClosed = new Gauge({
    name: 'quorumkv_hint_window_closed',
    help: 'Target nodes down longer than the hint window (1: no new hints are kept for it)',
    labelNames: ['target'] as const,
    registers: [this.registry],
  });
  readonly hintsEvicted = new Counter({
    name: 'quorumkv_hints_evicted_total',
    help: 'Oldest hints removed to make room, by the limit that was reached (per_target, total, bytes)',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });
  readonly hintsExpired = new Counter({ name: 'quorumkv_hints_expired_total', help: 'Hints dropped because they were older than hintMaxAgeMs', registers: [this.registry] });
  readonly hintsDropped = new Counter({
    name: 'quorumkv_hints_dropped_total',
    help: 'Stored hints dropped for other reasons (not_member: their target left the ring)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly hintsRefused = new Counter({
    name: 'quorumkv_hints_refused_total',
    help: 'Hints not stored, by reason (not_member: unknown target; window: target down longer than hintWindowMs; too_large)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly storageBytes = new Gauge({ name: 'quorumkv_storage_bytes', help: 'Bytes the local store takes (LMDB: pages in use)', registers: [this.registry] });
  readonly storageLimitBytes = new Gauge({ name: 'quorumkv_storage_limit_bytes', help: 'The most bytes the local store may take (mapSizeBytes)', registers: [this.registry] });
  readonly storageFull = new Gauge({
    name: 'quorumkv_storage_full',
    help: '1 when the last local write that needed room was refused for lack of it (and none stored since)',
    registers: [this.registry],
  });
  readonly members = new Gauge({ name: 'quorumkv_members', help: 'Cluster members by gossip state', labelNames: ['state'] as const, registers: [this.registry] });
  readonly inFlight = new Gauge({ name: 'quorumkv_requests_in_flight', help: 'Client requests in flight', registers: [this.registry] });
  readonly foreignClusterMessages = new Counter({
    name: 'quorumkv_foreign_cluster_messages_total',
    help: 'Internal messages refused because they came from another cluster, by service',
    labelNames: ['service'] as const,
    registers: [this.registry],
  });
  readonly connections = new Gauge({ name: 'quorumkv_connections_open', help: 'Open client and peer connections', registers: [this.registry] });
  readonly connectionsCut = new Counter({
    name: 'quorumkv_connections_cut_total',
    help: 'Connections closed by the node, by reason (connection_limit, first_byte_timeout, headers_timeout, idle_timeout, message_timeout, drain_timeout, memory_pressure, pipelining_limit)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly streamsCut = new Counter({
    name: 'quorumkv_streams_cut_total',
    help: 'HTTP/2 streams reset by the node, by reason (message_timeout, drain_timeout, stream_limit)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly replicaQueueFull = new Counter({
    name: 'quorumkv_replica_queue_full_total',
    help: 'Replica items refused because the queue for their peer was full (the coordinator used a fallback or a hint)',
    registers: [this.registry],
  });
  readonly identityMismatches = new Counter({
    name: 'quorumkv_peer_identity_mismatches_total',
    help: "Internal messages refused because the sender's certificate names another node than the message claims, by service",
    labelNames: ['service'] as const,
    registers: [this.registry],
  });
  readonly gossipBadTags = new Counter({
    name: 'quorumkv_gossip_bad_tags_total',
    help: 'Gossip messages dropped because no gossip key of this node produces their tag',
    registers: [this.registry],
  });
  readonly refusedRings = new Counter({
    name: 'quorumkv_refused_rings_total',
    help: 'Rings offered by peers and refused because they cannot follow this node\'s ring, by source (replica header or gossip)',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  private readonly collectors: ((m: NodeMetrics) => void)[] = [];

  constructor(collect?: (m: NodeMetrics) => void) {
    collectDefaultMetrics({ register: this.registry, prefix: 'quorumkv_process_' });
    if (collect) this.collectors.push(collect);
  }

  /** Registers a function that fills state-mirroring gauges at scrape time. */
  addCollector(collect: (m: NodeMetrics) => void): void {
    this.collectors.push(collect);
  }

  private readonly durationChildren = new Map<string, { observe: (seconds: number) => void }>();

  /** Records one client request's latency; label children are cached (labels() hashes on every call). */
  observeRequest(operation: string, outcome: string, seconds: number): void {
    const key = `${operation}\u0000${outcome}`;
    let child = this.durationChildren.get(key);
    if (!child) {
      child = this.requestDuration.labels(operation, outcome);
      if (this.durationChildren.size < 256) this.durationChildren.set(key, child);
    }
    child.observe(seconds);
  }

  /** The exposition text. */
  async render(): Promise<string> {
    for (const collect of this.collectors) collect(this);
    return this.registry.metrics();
  }
}
