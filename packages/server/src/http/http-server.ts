// One port for everything: HTTP/2 without TLS (gRPC and Connect, for Node clients and peers) and
// HTTP/1.1 (Connect, for browsers), told apart by the HTTP/2 connection preface; plus /healthz,
// /readyz and /metrics for operators, and / saying what this port serves.
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { cors, type ConnectRouter } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { answerMalformedRequests, markHandlerReached } from './malformed-request.js';
import { CONNECT_STREAM_CONTENT_TYPE, serveRawStream, type RawStreamHandler } from './raw-stream.js';

export interface HttpServerOptions {
  routes: (router: ConnectRouter) => void;
  /** Hot streams served without connect-es, by path (Connect protocol over HTTP/2 only). */
  rawStreams: ReadonlyMap<string, RawStreamHandler>;
  /** Called for every raw stream opened (metrics). */
  onRawStream?: (path: string) => void;
  ready: () => boolean;
  metrics: () => Promise<string>;
  /** Largest request body accepted, bytes. */
  readMaxBytes: number;
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

type Handler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void;

// Browsers on other origins (apps, the dashboard served elsewhere) may call the public API; the
// header lists are connect-es's own, so the Connect and gRPC-web protocols work through CORS.
const corsAllowMethods = cors.allowedMethods.join(', ');
const corsAllowHeaders = cors.allowedHeaders.join(', ');
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
      res.setHeader('access-control-allow-headers', String(req.headers['access-control-request-headers'] ?? corsAllowHeaders));
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

  constructor(o: HttpServerOptions) {
    const fallback: Handler = (req, res) => {
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
    const handler = connectNodeAdapter({
      routes: (router) => {
        o.routes(router);
        answerMalformedRequests(router);
      },
      interceptors: [markHandlerReached],
      fallback: fallback as Parameters<typeof connectNodeAdapter>[0]['fallback'],
      // No response compression: it costs more CPU than it saves here (STACK-NOTES #5).
      acceptCompression: [],
      readMaxBytes: o.readMaxBytes,
    }) as Handler;
    const h2handler: Handler = (req, res) => {
      const raw = req.method === 'POST' && req.url ? o.rawStreams.get(req.url) : undefined;
      if (raw && String(req.headers['content-type']).startsWith(CONNECT_STREAM_CONTENT_TYPE)) {
        o.onRawStream?.(req.url!);
        return serveRawStream(req as http2.Http2ServerRequest, res as http2.Http2ServerResponse, raw);
      }
      handler(req, res);
    };
    this.h1 = http.createServer(withCors(handler));
    this.h2 = http2.createServer({ settings: { maxConcurrentStreams: 10_000 } }, withCors(h2handler));
    this.tcp = net.createServer({ noDelay: true }, (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      socket.once('data', (chunk) => {
        socket.pause();
        socket.unshift(chunk);
        // HTTP/2 with prior knowledge starts with "PRI * HTTP/2.0". The paused socket keeps the
        // bytes buffered, and the HTTP/2 session reads them from there.
        if (chunk[0] === 0x50 && chunk[1] === 0x52 && chunk[2] === 0x49) this.h2.emit('connection', socket);
        else {
          this.h1.emit('connection', socket);
          socket.resume();
        }
      });
      socket.on('error', () => socket.destroy());
    });
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
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.tcp.close(() => resolve()));
  }
}
