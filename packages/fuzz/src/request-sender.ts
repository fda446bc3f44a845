// Sends fuzz requests to nodes and classifies what comes back: HTTP/2 over a few shared sessions
// per node (as clients and peers connect), HTTP/1.1 over keep-alive connections, raw bytes over a
// connection of their own. A request is given `timeoutMs` to be answered.
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { byCode, classifyResponse, type Answer } from './answer-class.js';
import type { FuzzRequest, RawRequest, RpcRequest } from './request-generator.js';

/** Where a node listens. */
export interface NodeAddress {
  readonly host: string;
  readonly port: number;
}

const MAX_BODY = 16 * 1024 * 1024;
const RAW_GRACE_MS = 10_000;
/** Errors the fuzzer's own client raises before anything reaches the node. */
const UNSENT = new Set(['ERR_INVALID_HTTP_TOKEN', 'ERR_HTTP2_INVALID_HEADER_VALUE', 'ERR_INVALID_CHAR', 'ERR_HTTP_INVALID_HEADER_VALUE', 'ERR_HTTP2_HEADER_SINGLE_VALUE']);

/** Sends requests to a fixed set of nodes. Call {@link close} when done. */
export class RequestSender {
  private readonly sessions: (http2.ClientHttp2Session | undefined)[][];
  private readonly agents: http.Agent[];
  private turn = 0;

  constructor(
    private readonly nodes: readonly NodeAddress[],
    private readonly timeoutMs: number,
    sessionsPerNode = 4,
  ) {
    this.sessions = nodes.map(() => Array.from({ length: sessionsPerNode }, () => undefined));
    this.agents = nodes.map(() => new http.Agent({ keepAlive: true, maxSockets: 16 }));
  }

  async send(req: FuzzRequest): Promise<Answer> {
    try {
      if (req.kind === 'raw') return await this.raw(this.nodes[req.node]!, req);
      return req.http === 'h2' ? await this.h2(req.node, req) : await this.h1(req.node, req);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      if (code === 'timeout') return { class: 'timeout', code };
      return { class: UNSENT.has(code) ? 'unsent' : 'reset', code, message: (err as Error).message };
    }
  }

  close(): void {
    for (const list of this.sessions) for (const s of list) s?.destroy();
    for (const a of this.agents) a.destroy();
  }

  private session(node: number): http2.ClientHttp2Session {
    const list = this.sessions[node]!;
    const slot = this.turn++ % list.length;
    const open = list[slot];
    if (open && !open.closed && !open.destroyed) return open;
    const { host, port } = this.nodes[node]!;
    const s = http2.connect(`http://${host}:${port}`);
    s.on('error', () => undefined);
    s.on('close', () => {
      if (list[slot] === s) list[slot] = undefined;
    });
    s.on('goaway', () => {
      if (list[slot] === s) list[slot] = undefined;
    });
    list[slot] = s;
    return s;
  }

  private h2(node: number, req: RpcRequest): Promise<Answer> {
    return new Promise((resolve, reject) => {
      // endStream false: node:http2 would end a GET's stream at once, and its body is sent anyway.
      const stream = this.session(node).request({ ':method': req.method, ':path': req.path, ...req.headers }, { endStream: false });
      const timer = setTimeout(() => {
        stream.close(http2.constants.NGHTTP2_CANCEL);
        reject(Object.assign(new Error('no answer in time'), { code: 'timeout' }));
      }, this.timeoutMs);
      let headers: http2.IncomingHttpHeaders = {};
      let trailers: http2.IncomingHttpHeaders = {};
      const body = new BodyCollector();
      stream.on('response', (h) => (headers = h));
      stream.on('trailers', (t) => (trailers = t));
      stream.on('data', (c: Buffer) => body.add(c));
      stream.on('error', (err) => (clearTimeout(timer), reject(err)));
      stream.on('end', () => {
        clearTimeout(timer);
        resolve(classifyResponse({ status: Number(headers[':status']), headers, trailers, body: body.bytes() }));
      });
      stream.end(req.body);
    });
  }

  private h1(node: number, req: RpcRequest): Promise<Answer> {
    const { host, port } = this.nodes[node]!;
    return new Promise((resolve, reject) => {
      const r = http.request({ host, port, method: req.method, path: req.path, headers: { ...req.headers, 'content-length': String(req.body.length) }, agent: this.agents[node] }, (res) => {
        const body = new BodyCollector();
        res.on('data', (c: Buffer) => body.add(c));
        res.on('error', reject);
        res.on('end', () => {
          clearTimeout(timer);
          resolve(classifyResponse({ status: res.statusCode ?? 0, headers: res.headers, trailers: res.trailers, body: body.bytes() }));
        });
      });
      const timer = setTimeout(() => {
        r.destroy(Object.assign(new Error('no answer in time'), { code: 'timeout' }));
      }, this.timeoutMs);
      r.on('error', (err) => (clearTimeout(timer), reject(err)));
      r.end(req.body);
    });
  }

  /** Writes the bytes, half-closes, and waits for the node to answer or close: either is a clear refusal. */
  private raw(node: NodeAddress, req: RawRequest): Promise<Answer> {
    return new Promise((resolve) => {
      const socket = net.connect(node.port, node.host);
      const answered: Buffer[] = [];
      // A node may hold a connection it has given up on (Node's HTTP/2 server keeps the socket
      // after its GOAWAY for a broken frame) until its watchdog cuts it: headersTimeoutMs, 10 s by
      // default, for a connection that never made a request. So raw bytes get that long on top.
      const timer = setTimeout(() => {
        socket.destroy();
        resolve({ class: 'timeout', code: 'timeout' });
      }, this.timeoutMs + RAW_GRACE_MS);
      socket.on('data', (c: Buffer) => answered.push(c));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(timer);
        const head = Buffer.concat(answered).subarray(0, 64).toString('latin1');
        const status = /^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1];
        resolve(status ? byCode(status.startsWith('2') ? 'ok' : `http-${status}`) : { class: 'error', code: answered.length > 0 ? 'closed-after-answer' : 'closed' });
      });
      socket.end(req.bytes);
    });
  }
}

/** A response body, kept up to {@link MAX_BODY} bytes (more is read and dropped). */
class BodyCollector {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  add(chunk: Buffer): void {
    if (this.size >= MAX_BODY) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
  }
  bytes(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.chunks));
  }
}
