// The seam between the runtime-agnostic core and a runtime's HTTP stack.
import type { Client, Interceptor, Transport } from '@connectrpc/connect';
import type { KvService } from '@quorumkv/protocol';

/** A Connect transport to one node, with a way to release its connections. */
export interface NodeConnection {
  /** The Connect transport the service clients use. */
  readonly transport: Transport;
  /** Releases the connection (aborts HTTP/2 sessions); the transport is unusable afterwards. */
  close(): void;
  /**
   * Data operations to use instead of one unary call each (the Node transport's coalescing
   * Session stream); absent where streams are unavailable (browsers over HTTP/1.1).
   */
  readonly dataOps?: () => DataOps;
}

/** The data calls of KvService, as the core makes them. */
export type DataOps = Pick<Client<typeof KvService>, 'get' | 'put' | 'delete'> & { close(): void };

/**
 * Opens a connection to one node. `baseUrl` is `http://host:port`. Provided by
 * `@quorumkv/client/node` (HTTP/2) and `@quorumkv/client/web` (fetch); custom runtimes can pass their own.
 */
export type TransportFactory = (baseUrl: string) => NodeConnection;

/** The header a bearer token travels in, as the node reads it. */
export function authorizationOf(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}

/** An interceptor that sends `token` with every call (none when there is no token). */
export function bearerInterceptors(token: string | undefined): Interceptor[] {
  if (token === undefined) return [];
  const value = `Bearer ${token}`;
  return [(next) => (req) => (req.header.set('authorization', value), next(req))];
}

/** `host:port` or a URL → the node's base URL (`http://` when no scheme is given). */
export function baseUrlOf(address: string): string {
  const trimmed = address.trim().replace(/\/+$/, '');
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
}

/** A URL or `host:port` → `host:port`, the form the SDK uses to name nodes. */
export function addressOf(node: string): string {
  const trimmed = node.trim().replace(/\/+$/, '');
  return trimmed.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
}
