// Node-to-node replica traffic to one peer. Items queued during one event-loop turn leave together
// as one message (flushed with setImmediate: no timer, so an idle cluster adds no latency), capped
// in items and bytes, with a bounded window of messages in flight. A broken stream fails only its
// in-flight items; the coordinator retries them elsewhere or hints them.
import type { Client } from '@connectrpc/connect';
import {
  EnvelopeStreamClient,
  ReplicaService,
  ENVELOPE_HEADER_BYTES,
  decodeReplicateResponse,
  encodeReplicateRequest,
  frameEnvelope,
  type ByteStream,
  type ReplicaHeader,
  type ReplicaItem,
  type ReplicaItemResult,
} from '@quorumkv/protocol';

/** How replica items travel: one persistent bidi stream, or one unary call per item (for comparison). */
export type ReplicaTransportMode = 'stream' | 'unary';

/** The peer cannot be reached right now (connection failed recently, stream broke). */
export class PeerUnavailableError extends Error {
  override readonly name = 'PeerUnavailableError';
  constructor(readonly nodeId: string, reason: string) {
    super(`${nodeId} unavailable: ${reason}`);
  }
}

export interface PeerChannelOptions {
  mode: ReplicaTransportMode;
  /** Most items per message. */
  batchItems: number;
  /** Most bytes (records) per message. */
  batchBytes: number;
  /** Messages in flight before further items wait. */
  window: number;
  /**
   * Items that may wait for the window; one more fails at once (the coordinator then uses a
   * fallback or a hint) instead of the queue growing while a slow peer holds the window.
   */
  maxQueuedItems: number;
  /** Bytes (records) that may wait, as `maxQueuedItems`; one item is always accepted into an empty queue. */
  maxQueuedBytes: number;
  /** Called for every item refused because the queue was full (metrics). */
  onQueueFull?: () => void;
  /**
   * A stream whose oldest message has had no answer for this long while items wait behind a full
   * window is broken (its items fail over): a peer that keeps its connection but stops answering
   * must not hold the queue forever. Checked as items arrive, so no timer runs.
   */
  stallMs: number;
  /**
   * Header stamped on every message (this node, its ring version, cluster id); `routedBy`, when
   * given, is the oldest ring version the message's items were routed by: the header names it
   * when older than the node's ring now (a ring adopted while the items were queued).
   */
  header: (routedBy?: number) => ReplicaHeader;
  /** Called with every response header (the peer may send a newer ring). */
  onHeader: (header: ReplicaHeader | undefined) => void;
  /** Wall clock, for reconnect backoff. */
  now: () => number;
}

interface InFlight {
  batch: Pending[];
  sentAtMs: number;
}

interface OpenStream {
  client: EnvelopeStreamClient;
  /** By message id, oldest first (Map keeps insertion order). */
  pending: Map<bigint, InFlight>;
}

interface Pending {
  item: ReplicaItem;
  /** The ring version the item was routed by, when its sender said. */
  routedBy: number | undefined;
  resolve: (r: ReplicaItemResult) => void;
  reject: (e: unknown) => void;
}

const MAX_BACKOFF_MS = 2_000;

/** What an item weighs in a message: its record and key, plus framing. */
function itemBytes(item: Pick<ReplicaItem, 'record' | 'key'>): number {
  return item.record.length + item.key.length + 32;
}

/** The replica channel to one peer. */
export class PeerChannel {
  private queue: Pending[] = [];
  private queuedBytes = 0;
  private scheduled = false;
  private inFlight = 0;
  private nextItemId = 1n;
  private nextMessageId = 1n;
  private failures = 0;
  private retryAt = 0;
  private stream: OpenStream | undefined;
  private readonly flushBound = (): void => this.flush();

  constructor(
    readonly nodeId: string,
    private readonly client: Client<typeof ReplicaService>,
    /** Opens the Replicate stream (Connect protocol on a raw HTTP/2 stream) and reports reads. */
    private readonly raw: { open: () => Promise<ByteStream>; read: (s: ByteStream) => void },
    private readonly options: PeerChannelOptions,
  ) {}

  /** False while the channel backs off after a failure: callers should route around the peer. */
  get available(): boolean {
    return this.options.now() >= this.retryAt;
  }

  /** Queues one item; resolves with the peer's result, rejects if the peer cannot be reached. */
  send(item: Omit<ReplicaItem, 'id' | '$typeName'>, routedBy?: number): Promise<ReplicaItemResult> {
    if (!this.available) return Promise.reject(new PeerUnavailableError(this.nodeId, 'reconnecting'));
    if (this.inFlight >= this.options.window && this.stream) this.breakIfStalled(this.stream);
    if (!this.available) return Promise.reject(new PeerUnavailableError(this.nodeId, 'not answering'));
    const bytes = itemBytes(item);
    const { maxQueuedItems, maxQueuedBytes } = this.options;
    if (this.queue.length >= maxQueuedItems || (this.queue.length > 0 && this.queuedBytes + bytes > maxQueuedBytes)) {
      this.options.onQueueFull?.();
      return Promise.reject(new PeerUnavailableError(this.nodeId, `queue full (${this.queue.length} items, ${this.queuedBytes} bytes waiting)`));
    }
    const full = item as ReplicaItem;
    full.id = this.nextItemId++;
    this.queuedBytes += bytes;
    return new Promise((resolve, reject) => {
      this.queue.push({ item: full, routedBy, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flushBound);
      }
    });
  }

  /** Fails everything queued or in flight and closes the stream. */
  close(): void {
    this.failAll(new PeerUnavailableError(this.nodeId, 'channel closed'));
  }

  private flush(): void {
    this.scheduled = false;
    const { batchItems, batchBytes, window } = this.options;
    while (this.queue.length > 0 && this.inFlight < window) {
      let bytes = 0;
      let count = 0;
      while (count < this.queue.length && count < batchItems) {
        bytes += itemBytes(this.queue[count]!.item);
        count++;
        if (bytes >= batchBytes) break;
      }
      const batch = this.queue.splice(0, count);
      this.queuedBytes -= bytes;
      this.inFlight++;
      this.dispatch(batch);
    }
  }

  private dispatch(batch: Pending[]): void {
    let routedBy: number | undefined;
    for (const p of batch) if (p.routedBy !== undefined && (routedBy === undefined || p.routedBy < routedBy)) routedBy = p.routedBy;
    const header = this.options.header(routedBy);
    switch (this.options.mode) {
      case 'stream': {
        const items = batch.map((p) => p.item);
        const stream = this.ensureStream();
        const messageId = this.nextMessageId++;
        stream.pending.set(messageId, { batch, sentAtMs: this.options.now() });
        stream.client.sendFramed(frameEnvelope(encodeReplicateRequest({ $typeName: 'quorumkv.v1.ReplicateRequest', messageId, header, items }, ENVELOPE_HEADER_BYTES)));
        return;
      }
      case 'unary': {
        let left = batch.length;
        const done = (): void => {
          if (--left === 0) this.messageDone();
        };
        for (const p of batch) {
          this.client.apply({ header, item: p.item }).then(
            (res) => {
              this.options.onHeader(res.header);
              this.failures = 0;
              if (res.result) p.resolve(res.result);
              else p.reject(new Error('empty replica result'));
              done();
            },
            (err) => {
              this.noteFailure();
              p.reject(new PeerUnavailableError(this.nodeId, (err as Error).message));
              done();
            },
          );
        }
        return;
      }
    }
  }

  private breakIfStalled(stream: OpenStream): void {
    const oldest = stream.pending.values().next().value;
    if (oldest && this.options.now() - oldest.sentAtMs > this.options.stallMs)
      this.breakStream(stream, new PeerUnavailableError(this.nodeId, `no answer within ${this.options.stallMs} ms`));
  }

  private ensureStream(): OpenStream {
    if (this.stream) return this.stream;
    const pending = new Map<bigint, InFlight>();
    const stream: OpenStream = {
      pending,
      client: new EnvelopeStreamClient(this.raw.open, {
        message: (data) => {
          const res = decodeReplicateResponse(data);
          const sent = pending.get(res.messageId);
          if (!sent) return;
          pending.delete(res.messageId);
          this.settle(sent.batch, res.results, res.header);
        },
        ended: (err) => this.breakStream(stream, new PeerUnavailableError(this.nodeId, err.message)),
        read: this.raw.read,
      }),
    };
    this.stream = stream;
    return stream;
  }

  private breakStream(stream: OpenStream, err: Error): void {
    if (this.stream === stream) this.stream = undefined;
    stream.client.close();
    const batches = [...stream.pending.values()].map((s) => s.batch);
    stream.pending.clear();
    if (batches.length > 0) this.noteFailure();
    for (const batch of batches) {
      for (const p of batch) p.reject(err);
      this.messageDone();
    }
  }

  private settle(batch: Pending[], results: ReplicaItemResult[], header: ReplicaHeader | undefined): void {
    this.options.onHeader(header);
    this.failures = 0;
    if (results.length === batch.length && results.every((r, i) => r.id === batch[i]!.item.id)) {
      for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]!);
    } else {
      const byId = new Map(results.map((r) => [r.id, r]));
      for (const p of batch) {
        const r = byId.get(p.item.id);
        if (r) p.resolve(r);
        else p.reject(new Error(`peer ${this.nodeId} returned no result for item ${p.item.id}`));
      }
    }
    this.messageDone();
  }

  private messageDone(): void {
    this.inFlight--;
    if (this.queue.length > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushBound);
    }
  }

  private noteFailure(): void {
    this.failures++;
    this.retryAt = this.options.now() + Math.min(MAX_BACKOFF_MS, 50 * 2 ** Math.min(this.failures, 6));
  }

  private failAll(err: Error): void {
    const queued = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    for (const p of queued) p.reject(err);
    if (this.stream) this.breakStream(this.stream, err);
  }
}
