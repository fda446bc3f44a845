// One port for everything: HTTP/2 (gRPC and Connect, for Node clients and peers) and HTTP/1.1
// (Connect, for browsers); plus /healthz, /readyz and /metrics for operators, and / saying what this
// port serves. Without TLS the two are told apart by the HTTP/2 connection preface; with TLS by ALPN
// (h2, http/1.1), and a peer's client certificate, when the cluster CA signed it, makes it a member.
// Every RPC passes the access policy before its request is read. Every connection is
// bounded here: how many may be open, how many streams each may run, how much work and unread output
// its streams may hold, and how long it may take to send its first byte, its headers, its messages,
// or to read its responses.
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { cors, createContextValues, type ConnectRouter } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { enforceAccess } from '../security/access-gate.js';
import { callerKey, refusalOf, requirementOf, type AccessPolicy, type Caller } from '../security/access-policy.js';
import { connectionBudgetKey } from './call-budget.js';
import { FirstByteWatch, H1Watch, H2SessionWatch, H2StreamWatch, bodyReceived } from './connection-watch.js';
import { answerMalformedRequests, markHandlerReached } from './malformed-request.js';
import { CONNECT_STREAM_CONTENT_TYPE, refuseRawStream, serveRawStream, type RawStreamOptions, type RawStreamRoute } from './raw-stream.js';
import { ConnectionBudget, type BudgetLimits, type NodeBudget } from './stream-budget.js';
import { runWithinBudget, type UnaryBudgetOptions } from './unary-budget.js';
import { Watchdog, tickFor, type ConnectionTimeouts, type Watched } from './watchdog.js';

/** PEM certificate, key and (for mutual TLS) the cluster CA. */
export interface ServerTls {
  cert: string;
  key: string;
  /** With it, peers are asked for a client certificate; one it signed makes the peer a member. */
  ca?: string;
}

/** Bounds on connections and their streams. */
export interface ConnectionLimits {
  maxConnections: number;
  maxStreamsPerConnection: number;
  /** HTTP/2 streams open at once on the node, all connections together. */
  maxStreams: number;
  /** Work and unread output all streams of one connection may hold. */
  connection: BudgetLimits;
  timeouts: ConnectionTimeouts;
}

export interface HttpServerOptions {
  routes: (router: ConnectRouter) => void;
  /** Hot streams served without connect-es, by path (Connect protocol over HTTP/2 only). */
  rawStreams: ReadonlyMap<string, RawStreamRoute>;
  /** What every raw stream shares (per-stream limits). */
  rawStreamOptions: RawStreamOptions;
  /** Paths of streaming methods served by connect-es (their bodies are streams of messages). */
  streamingPaths: ReadonlySet<string>;
  /** Paths of the unary methods run under the budgets (the public API; not peers' internal calls). */
  budgetedUnaryPaths: ReadonlySet<string>;
  /** What every budgeted unary call shares. */
  unaryBudget: UnaryBudgetOptions;
  limits: ConnectionLimits;
  /** What all streams of the node may hold together. */
  node: NodeBudget;
  /** Called for every raw stream opened (metrics). */
  onRawStream?: (path: string) => void;
  /** Called for every connection or stream cut, with why (metrics). */
  onCut?: (scope: Watched['scope'], reason: string) => void;
  ready: () => boolean;
  metrics: () => Promise<string>;
  /** Largest request body connect-es reads, bytes (services may set lower limits). */
  readMaxBytes: number;
  /** TLS on the port; plaintext without. */
  tls?: ServerTls;
  /** Who sent a request. */
  callerOf: (req: http.IncomingMessage | http2.Http2ServerRequest) => Caller;
  policy: AccessPolicy;
}

// What someone who opens a node's address in a browser finds: there is no dashboard (yet).
const HOME = `QuorumKV node. This port serves:
  Connect-RPC (gRPC and Connect over HTTP/2, Connect over HTTP/1.1):
    quorumkv.v1.KvService, AdminService, ReplicaService, MembershipService
  GET /healthz   liveness
  GET /readyz    readiness: 200 once the node serves
  GET /metrics   Prometheus metrics
No web dashboard is served. From a shell: npx quorumkv --node <this address> cluster status
`;

/** HTTP/1.1 requests a connection may have open at once (one running, the rest parsed ahead of it). */
const MAX_PIPELINED = 16;

type Handler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void;

// Browsers on other origins (apps, the dashboard served elsewhere) may call the public API; the
// header lists are connect-es's own, so the Connect and gRPC-web protocols work through CORS, plus
// Authorization for the bearer token. A preflight is answered with this list, not with the headers
// it asks for: a page on any origin may send what the protocols need and nothing else (no header a
// proxy in front of the node might trust, such as X-Forwarded-For). No credentials mode: the token
// is the page's to send, never a cookie.
const corsAllowMethods = cors.allowedMethods.join(', ');
const corsAllowHeaders = [...cors.allowedHeaders, 'Authorization'].join(', ');
const corsExposeHeaders = cors.exposedHeaders.join(', ');

function withCors(next: Handler): Handler {
  return (req, res) => {
    const origin = req.headers['origin'];
    if (origin === undefined) return next(req, res);
    res.setHeader('access-control-allow-origin', origin);
    res.setHeader('vary', 'origin');
    res.setHeader('access-control-expose-headers', corsExposeHeaders);
    if (req.method === 'OPTIONS') {
      res.setHeader('access-control-allow-methods', corsAllowMethods);
      res.setHeader('access-control-allow-headers', corsAllowHeaders);
      res.setHeader('access-control-max-age', '7200');
      res.statusCode = 204;
      return void res.end();
    }
    return next(req, res);
  };
}

export class HttpServer {
  private readonly tcp: net.Server;
  private readonly h1: http.Server;
  private readonly h2: http2.Http2Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly watchdog: Watchdog;
  /** The budget of each connection, HTTP/2 session or HTTP/1.1 socket (closed by `destroy`). */
  private readonly budgets = new Map<http2.Http2Session | net.Socket, ConnectionBudget>();
  private readonly h1Watches = new WeakMap<net.Socket, H1Watch>();
  /** HTTP/2 streams open, all connections together. */
  private openStreams = 0;

  constructor(private readonly o: HttpServerOptions) {
    const t = o.limits.timeouts;
    const now = (): number => performance.now();
    this.watchdog = new Watchdog({ tickMs: tickFor(t), now, onCut: (scope, reason) => o.onCut?.(scope, reason), afterSweep: () => this.shedHoarders() });
    const handler = connectNodeAdapter({
      routes: (router) => {
        o.routes(router);
        answerMalformedRequests(router);
        enforceAccess(router, o.policy);
      },
      interceptors: [markHandlerReached],
      fallback: operatorPages(o) as Parameters<typeof connectNodeAdapter>[0]['fallback'],
      // No response compression: it costs more CPU than it saves here (STACK-NOTES #5).
      acceptCompression: [],
      readMaxBytes: o.readMaxBytes,
      contextValues: (req) =>
        createContextValues()
          .set(connectionBudgetKey, 'stream' in req ? this.budgets.get(req.stream.session!) : undefined)
          .set(callerKey, o.callerOf(req)),
    }) as Handler;
    const h2handler: Handler = (req, res) => this.serveH2(req as http2.Http2ServerRequest, res as http2.Http2ServerResponse, handler);
    const h1handler: Handler = (req, res) => this.serveUnary(req, res, this.budgets.get(req.socket as net.Socket), handler);
    this.h1 = http.createServer(withCors(h1handler));
    // Node's own HTTP/1.1 timeouts are replaced by the watchdog's (they never arm on handed-over
    // sockets), which also closes idle keep-alive connections; clients are told when, so they do
    // not send a request on a connection as it closes.
    this.h1.keepAliveTimeout = 0;
    const keepAlive = `timeout=${Math.floor(t.idleMs / 1000)}`;
    // Before the handler, which may answer at once.
    this.h1.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      res.setHeader('keep-alive', keepAlive);
      // connect-es reads a body with for-await and stops early when it refuses it (a gRPC-web
      // message over the size limit). Node's iterator then destroys the request, which leaves the
      // rest of the body unread and the keep-alive connection stuck: its next request is never
      // answered. So the request is not destroyed, and what is left of it is read and dropped.
      req[Symbol.asyncIterator] = () => req.iterator({ destroyOnReturn: false });
      res.once('finish', () => {
        if (!req.readableEnded) req.resume();
      });
      const watch = this.h1Watches.get(req.socket);
      watch?.onRequest(req, res);
      // Browsers and Connect clients never pipeline; requests parsed ahead of their turn (see
      // unary-budget.ts) are held, so a client that pipelines past this is cut.
      if (watch && watch.openRequests > MAX_PIPELINED && !req.socket.destroyed) {
        o.onCut?.('connection', 'pipelining_limit');
        req.socket.destroy();
      }
    });
    this.h2 = http2.createServer({ settings: { maxConcurrentStreams: o.limits.maxStreamsPerConnection } }, withCors(h2handler));
    this.h2.on('session', (session: http2.ServerHttp2Session) => {
      this.budgets.set(session, new ConnectionBudget(o.limits.connection, o.node));
      const unwatch = this.watchdog.watch(new H2SessionWatch(session, now(), t, now));
      session.once('close', () => {
        unwatch();
        this.budgets.delete(session);
      });
    });
    this.tcp = o.tls ? this.secureServer(o.tls, now) : net.createServer({ noDelay: true }, (socket) => this.accept(socket, now));
  }

  /** Counts a new connection against the limit; false (and the socket closed) when it is over. */
  private admit(socket: net.Socket): boolean {
    socket.on('error', () => socket.destroy());
    if (this.sockets.size >= this.o.limits.maxConnections) {
      this.o.onCut?.('connection', 'connection_limit');
      socket.destroy();
      return false;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    return true;
  }

  private accept(socket: net.Socket, now: () => number): void {
    if (!this.admit(socket)) return;
    const unwatch = this.watchdog.watch(new FirstByteWatch(socket, now(), this.o.limits.timeouts));
    socket.once('close', unwatch);
    socket.once('data', (chunk) => {
      unwatch();
      socket.pause();
      socket.unshift(chunk);
      // HTTP/2 with prior knowledge starts with "PRI * HTTP/2.0". The paused socket keeps the
      // bytes buffered, and the HTTP/2 session reads them from there.
      if (chunk[0] === 0x50 && chunk[1] === 0x52 && chunk[2] === 0x49) this.h2.emit('connection', socket);
      else this.serveH1(socket, now);
    });
  }

  /** Hands a connection to the HTTP/1.1 server, watched for its timeouts. */
  private serveH1(socket: net.Socket, now: () => number): void {
    const watch = new H1Watch(socket, now(), this.o.limits.timeouts, now);
    this.h1Watches.set(socket, watch);
    this.budgets.set(socket, new ConnectionBudget(this.o.limits.connection, this.o.node));
    socket.once('close', () => this.budgets.delete(socket));
    const unwatch = this.watchdog.watch(watch);
    socket.once('close', unwatch);
    this.h1.emit('connection', socket);
    socket.resume();
  }

  /**
   * TLS on the port: the handshake must end within the first-byte timeout, then ALPN picks HTTP/2
   * or HTTP/1.1. With a CA, peers are asked for a client certificate (not required: clients have
   * none); `authorized` on the socket says whether the CA signed it.
   */
  private secureServer(t: ServerTls, now: () => number): net.Server {
    const server = tls.createServer({
      cert: t.cert,
      key: t.key,
      ALPNProtocols: ['h2', 'http/1.1'],
      handshakeTimeout: this.o.limits.timeouts.firstByteMs,
      noDelay: true,
      ...(t.ca ? { ca: t.ca, requestCert: true, rejectUnauthorized: false } : {}),
    });
    server.on('connection', (socket: net.Socket) => this.admit(socket));
    server.on('secureConnection', (socket: tls.TLSSocket) => {
      if (socket.alpnProtocol === 'h2') this.h2.emit('connection', socket);
      else this.serveH1(socket, now);
    });
    server.on('tlsClientError', () => this.o.onCut?.('connection', 'tls_handshake'));
    return server;
  }

  /** Routes one HTTP/2 request (raw hot stream or connect-es) and watches its deadlines. */
  private serveH2(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse, handler: Handler): void {
    const o = this.o;
    if (!this.admitStream(req.stream)) return;
    const path = req.url ?? '/';
    const route = req.method === 'POST' ? o.rawStreams.get(path) : undefined;
    const raw = route !== undefined && String(req.headers['content-type']).startsWith(CONNECT_STREAM_CONTENT_TYPE);
    const now = (): number => performance.now();
    const watch = new H2StreamWatch(req, now(), raw || o.streamingPaths.has(path), o.limits.timeouts, now);
    const unwatch = this.watchdog.watch(watch);
    req.stream.once('close', unwatch);
    req.stream.once('finish', () => {
      if (req.stream.closed || bodyReceived(req.stream)) return;
      // Answered before the client finished sending (a refused message, a failed stream): the rest
      // of its upload is read and dropped, so flow control does not hold the stream (and its final
      // status) open; nobody reads the request any more. The watchdog bounds how long this lasts.
      watch.responded(now());
      req.stream.removeAllListeners('data');
      req.stream.on('data', () => undefined);
      req.stream.resume();
    });
    if (raw) {
      const caller = o.callerOf(req);
      const refusal = refusalOf(requirementOf(path), caller, o.policy);
      if (refusal) return refuseRawStream(res, refusal);
      o.onRawStream?.(path);
      serveRawStream(req, res, route, this.budgets.get(req.stream.session!) ?? new ConnectionBudget(o.limits.connection, o.node), o.rawStreamOptions, caller);
    } else {
      this.serveUnary(req, res, this.budgets.get(req.stream.session!), handler);
    }
  }

  /** Runs a request through connect-es: a budgeted unary call once its connection and the node have room, anything else at once. */
  private serveUnary(req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse, connection: ConnectionBudget | undefined, handler: Handler): void {
    const path = (req.url ?? '/').split('?')[0]!;
    if (!this.o.budgetedUnaryPaths.has(path)) return handler(req, res);
    runWithinBudget(res, connection ?? new ConnectionBudget(this.o.limits.connection, this.o.node), this.o.unaryBudget, () => handler(req, res));
  }

  /**
   * Counts `stream` among the node's open streams, or refuses it past `maxStreams`: even an idle
   * stream costs tens of KiB, and the per-connection limit times the connection limit is far more
   * streams than a node can hold. REFUSED_STREAM tells the client nothing was processed.
   */
  private admitStream(stream: http2.ServerHttp2Stream): boolean {
    if (stream.closed || stream.destroyed) return false;
    if (this.openStreams >= this.o.limits.maxStreams) {
      this.o.onCut?.('stream', 'stream_limit');
      stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
      return false;
    }
    this.openStreams++;
    stream.once('close', () => this.openStreams--);
    return true;
  }

  /**
   * When responses nobody reads hold more than half the node's budget (many connections, each
   * within its own limits, that stopped reading), closes the connections holding the most unread
   * until they are back under it. Shedding the hoarders rather than pausing everyone keeps the
   * clients that read their answers (and so hold little) served.
   */
  private shedHoarders(): void {
    let excess = this.o.node.hoardedExcess;
    if (excess === 0) return;
    const byUnread = [...this.budgets].sort(([, a], [, b]) => b.unread - a.unread);
    for (const [connection, budget] of byUnread) {
      if (excess <= 0 || budget.unread === 0) return;
      excess -= budget.unread;
      this.budgets.delete(connection);
      this.o.onCut?.('connection', 'memory_pressure');
      connection.destroy();
    }
  }

  /** Open connections (metrics). */
  get connections(): number {
    return this.sockets.size;
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.tcp.once('error', reject);
      this.tcp.listen(port, host, () => {
        this.tcp.off('error', reject);
        resolve();
      });
    });
  }

  /** Stops accepting connections and closes the open ones. */
  close(): Promise<void> {
    this.watchdog.stop();
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.tcp.close(() => resolve()));
  }
}

/** /, /healthz, /readyz and /metrics: what connect-es does not route. */
function operatorPages(o: HttpServerOptions): Handler {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return void res.end('ok\n');
    if (path === '/' && req.method === 'GET') {
      res.setHeader('content-type', 'text/plain; charset=utf-8');
      return void res.end(HOME);
    }
    if (path === '/readyz') {
      const ok = o.ready();
      res.statusCode = ok ? 200 : 503;
      return void res.end(ok ? 'ready\n' : 'not ready\n');
    }
    if (path === '/metrics') {
      void o.metrics().then(
        (text) => {
          res.setHeader('content-type', 'text/plain; version=0.0.4');
          res.end(text);
        },
        () => {
          res.statusCode = 500;
          res.end();
        },
      );
      return;
    }
    res.statusCode = 404;
    res.end('not found\n');
  };
}
