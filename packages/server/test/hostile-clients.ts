// Clients that misbehave on purpose (never read, trickle, stay silent) and what the tests measure
// of a node while they do: its memory, its open files, its counters, another client's latency.
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';
import type { ConnectError } from '@connectrpc/connect';
import { endStreamFromJson } from '@connectrpc/connect/protocol-connect';
import { findTrailerError } from '@connectrpc/connect/protocol-grpc';
import { EnvelopeReader, encodeEnvelope, encodeSessionRequest, type SessionOp } from '@quorumkv/protocol';

/** Resident memory of a process, MiB. */
export function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

/** Open file descriptors of a process. */
export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** CPU time a process used so far, ms (user + system). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** A counter's value from /metrics (0 when absent), optionally one label set, e.g. `reason="idle_timeout"`. */
export async function counter(url: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const key = labels ? `${name}{${labels}}` : name;
  const line = text.split('\n').find((l) => l.startsWith(`${key} `));
  return line ? Number(line.slice(key.length + 1)) : 0;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What `p` resolves to, or undefined if that takes longer than `ms` (the timer does not outlive it). */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([p, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` every 50 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await sleep(50);
  }
}

/** A Session message of Gets of `key`. */
export function sessionGets(firstId: number, count: number, key: Uint8Array): Uint8Array {
  const ops: SessionOp[] = Array.from({ length: count }, (_, i) => ({
    $typeName: 'quorumkv.v1.SessionOp',
    id: BigInt(firstId + i),
    op: { case: 'get', value: { $typeName: 'quorumkv.v1.GetRequest', bucket: '', key } },
  }));
  return encodeEnvelope(encodeSessionRequest({ $typeName: 'quorumkv.v1.SessionRequest', ops }));
}

/** How a hand-opened stream ended. */
export interface StreamEnd {
  rstCode: number;
  status: number;
  /** Response headers and trailers together (a gRPC error may come in either). */
  trailers: http2.IncomingHttpHeaders;
  body: Buffer;
}

/** An HTTP/2 stream opened by hand, on its own connection; what came back is collected if `read`. */
export interface RawStream {
  readonly session: http2.ClientHttp2Session;
  readonly stream: http2.ClientHttp2Stream;
  /** Resolves when the stream closes, with its RST code, status, trailers and body. */
  readonly closed: Promise<StreamEnd>;
  close(): void;
}

/**
 * Opens `path` with `contentType` (Connect streaming or gRPC). With `read: false` the client never
 * reads: its stream is paused, so HTTP/2 flow control holds back everything the node sends.
 */
export function openStream(url: string, path: string, contentType: string, o: { read: boolean }): RawStream {
  const session = http2.connect(url);
  session.on('error', () => undefined);
  const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': contentType, te: 'trailers', 'connect-protocol-version': '1' });
  stream.on('error', () => undefined);
  const chunks: Buffer[] = [];
  let status = 0;
  let trailers: http2.IncomingHttpHeaders = {};
  stream.on('response', (h) => {
    status = Number(h[':status']);
    trailers = { ...h };
  });
  stream.on('trailers', (t) => (trailers = { ...trailers, ...t }));
  if (o.read) stream.on('data', (c: Buffer) => chunks.push(c));
  else stream.pause();
  const closed = new Promise<StreamEnd>((resolve) =>
    stream.once('close', () => resolve({ rstCode: stream.rstCode ?? 0, status, trailers, body: Buffer.concat(chunks) })),
  );
  return { session, stream, closed, close: () => session.destroy() };
}

/** How a stream that was read ended: the Connect end-of-stream error, or the gRPC trailers' error. */
export function streamError(end: StreamEnd): ConnectError | undefined {
  const last = new EnvelopeReader().push(end.body).pop();
  if (last && last.flags & 0b10) return endStreamFromJson(last.data).error;
  return findTrailerError(new Headers(Object.entries(end.trailers).filter(([k]) => !k.startsWith(':')).map(([k, v]) => [k, String(v)])));
}

/** Opens `count` TCP connections to host:port; `onOpen` may write to each. */
export async function openSockets(host: string, port: number, count: number, onOpen: (s: net.Socket) => void = () => undefined): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  await Promise.all(
    Array.from({ length: count }, () =>
      new Promise<void>((resolve) => {
        const s = net.connect({ host, port }, () => {
          onOpen(s);
          resolve();
        });
        // Read (and drop) what the node sends, so its closing the connection is seen.
        s.resume();
        s.on('error', () => resolve());
        sockets.push(s);
      }),
    ),
  );
  return sockets;
}

/** How many of `sockets` the peer has closed. */
export function closedCount(sockets: net.Socket[]): number {
  return sockets.filter((s) => s.destroyed || s.readableEnded || s.closed).length;
}

/** Latencies of calls made one after another (per lane, `lanes` at once) until `stop()` is called. */
export class LatencyProbe {
  private readonly samples: number[] = [];
  private failures = 0;
  /** The first few failures, for the report. */
  readonly errors: string[] = [];
  private running = true;
  private readonly lanes: Promise<void>[];

  constructor(call: () => Promise<unknown>, lanes = 2) {
    this.lanes = Array.from({ length: lanes }, async () => {
      while (this.running) {
        const started = performance.now();
        try {
          await call();
          this.samples.push(performance.now() - started);
        } catch (err) {
          this.failures++;
          if (this.errors.length < 5) this.errors.push(String(err));
        }
        await sleep(5);
      }
    });
  }

  /** Stops and reports: calls made, failures, p50/p99/max in ms. */
  async stop(): Promise<{ calls: number; failures: number; p50: number; p99: number; max: number }> {
    this.running = false;
    await Promise.all(this.lanes);
    const sorted = [...this.samples].sort((a, b) => a - b);
    const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
    return { calls: sorted.length, failures: this.failures, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? NaN };
  }
}
