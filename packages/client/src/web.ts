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
}

/** Creates a client that talks the Connect protocol over fetch. */
export function createClient(options: WebClientOptions): QuorumKvClient {
  return new QuorumKvClient({ ...options, transport: options.transport ?? webTransport({ ...options.web, ...(options.token !== undefined ? { token: options.token } : {}) }) });
}
