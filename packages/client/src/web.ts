/**
 * The QuorumKV client for browsers: the core SDK with the Connect protocol over fetch (HTTP/1.1).
 *
 * @packageDocumentation
 */
import { QuorumKvClient } from './client.js';
import type { ClientOptions } from './options.js';
import type { TransportFactory } from './transport.js';
import { webTransport, type WebTransportOptions } from './transport-web.js';

export * from './index.js';
export { webTransport, type WebTransportOptions } from './transport-web.js';

/** Options of the browser `createClient`. */
export interface WebClientOptions extends ClientOptions {
  /** fetch and body format settings. */
  readonly web?: WebTransportOptions;
  /** Replaces the fetch transport altogether. */
  readonly transport?: TransportFactory;
  /**
   * Reach nodes over https (the browser's trust decides the certificate). Default: true when every
   * address in `nodes` is an `https://` URL. The SDK names nodes `host:port` (the ring lists them so),
   * so the scheme applies to every node, the ones it learns from the ring too.
   */
  readonly tls?: boolean;
}

/** Creates a client that talks the Connect protocol over fetch. */
export function createClient(options: WebClientOptions): QuorumKvClient {
  const tls = options.tls ?? (options.nodes.length > 0 && options.nodes.every((n) => /^https:\/\//i.test(n.trim())));
  return new QuorumKvClient({ ...options, transport: options.transport ?? webTransport({ ...options.web, tls, ...(options.token !== undefined ? { token: options.token } : {}) }) });
}
