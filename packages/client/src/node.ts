/**
 * The QuorumKV client for Node.js: the core SDK with an HTTP/2 transport (one session per node).
 *
 * ```ts
 * import { createClient } from '@quorumkv/client/node';
 * const kv = createClient({ nodes: ['127.0.0.1:7070'] });
 * await kv.put('greeting', 'hello');
 * console.log((await kv.getString('greeting')).values);
 * kv.close();
 * ```
 * @packageDocumentation
 */
import { QuorumKvClient } from './client.js';
import type { ClientOptions } from './options.js';
import type { TransportFactory } from './transport.js';
import { nodeTransport, type NodeTransportOptions } from './transport-node.js';

export * from './index.js';
export { nodeTransport, type NodeTransportOptions } from './transport-node.js';

/** Options of the Node.js `createClient`: {@link ClientOptions} plus the HTTP/2 transport's. */
export interface NodeClientOptions extends ClientOptions {
  /** Wire protocol and HTTP/2 keepalive settings. */
  readonly http2?: NodeTransportOptions;
  /** Replaces the HTTP/2 transport altogether. */
  readonly transport?: TransportFactory;
  /** Reach nodes over TLS (https), trusting `ca` (PEM) when given, else the system's CAs. */
  readonly tls?: { readonly ca?: string };
}

/** Creates a client that talks HTTP/2 (Connect protocol by default, gRPC on request). Call `close()` when done. */
export function createClient(options: NodeClientOptions): QuorumKvClient {
  const transport = options.transport ?? nodeTransport({ ...options.http2, ...(options.token !== undefined ? { token: options.token } : {}), ...(options.tls ? { tls: options.tls } : {}) });
  return new QuorumKvClient({ ...options, transport });
}
