// Node.js transports: one HTTP/2 session per node, managed by connect-node so it can be pinged,
// reconnected and, on close(), aborted (an open session would keep the process alive).
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { SessionChannel } from './session-channel.js';
import type { ByteStream } from '@quorumkv/protocol';
import { authorizationOf, bearerInterceptors, type NodeConnection, type TransportFactory } from './transport.js';

/** Options of {@link nodeTransport}. */
export interface NodeTransportOptions {
  /** Wire protocol over HTTP/2: `"connect"` (default, cheaper here) or `"grpc"`. */
  readonly protocol?: 'connect' | 'grpc';
  /** Send PING frames on busy connections this often to detect dead peers. Default 10000. */
  readonly pingIntervalMs?: number;
  /** Close a connection idle this long. Default 60000. */
  readonly idleConnectionTimeoutMs?: number;
  /**
   * Send get/put/delete over one coalescing Session stream per node (default true) instead of one
   * unary call each; a unary call costs several times the CPU of a batched stream item.
   */
  readonly stream?: boolean;
  /** Bearer token sent with every call (the client's `token` option fills it in). */
  readonly token?: string;
  /**
   * TLS: nodes are reached over https, trusting `ca` (PEM, e.g. the cluster CA `quorumkv certs
   * create` made) instead of the system's CAs when given.
   */
  readonly tls?: { readonly ca?: string };
}

/**
 * A {@link TransportFactory} for Node.js: HTTP/2 (h2c, or TLS with `tls`) with the Connect or gRPC protocol,
 * binary protobuf, and no compression (gzip would double the server's CPU for 1 KiB values).
 */
export function nodeTransport(options: NodeTransportOptions = {}): TransportFactory {
  const protocol = options.protocol ?? 'connect';
  const tls = options.tls;
  const interceptors = bearerInterceptors(options.token);
  const sessionHeaders = { 'content-type': 'application/connect+proto', 'connect-protocol-version': '1', ...authorizationOf(options.token) };
  return (url: string): NodeConnection => {
    const baseUrl = tls ? url.replace(/^http:/, 'https:') : url;
    const ping = { pingIntervalMs: options.pingIntervalMs ?? 10_000, pingTimeoutMs: 5_000, idleConnectionTimeoutMs: options.idleConnectionTimeoutMs ?? 60_000 };
    const sessionManager = new Http2SessionManager(baseUrl, ping, tls?.ca ? { ca: tls.ca } : undefined);
    const common = { baseUrl, httpVersion: '2' as const, sessionManager, acceptCompression: [], useBinaryFormat: true, interceptors };
    const transport = protocol === 'grpc' ? createGrpcTransport(common) : createConnectTransport(common);
    const close = (): void => sessionManager.abort();
    if (options.stream === false) return { transport, close };
    const raw = {
      open: () => sessionManager.request('POST', '/quorumkv.v1.KvService/Session', sessionHeaders, {}),
      read: (s: ByteStream) => sessionManager.notifyResponseByteRead(s as Parameters<Http2SessionManager['notifyResponseByteRead']>[0]),
    };
    return { transport, close, dataOps: () => new SessionChannel(raw) };
  };
}
