// Browser transport: the Connect protocol over fetch, which works over HTTP/1.1 (gRPC needs HTTP/2
// trailers that browsers do not expose).
import { createConnectTransport } from '@connectrpc/connect-web';
import { bearerInterceptors, type NodeConnection, type TransportFactory } from './transport.js';

/** Options of {@link webTransport}. */
export interface WebTransportOptions {
  /** Binary protobuf (default) or JSON bodies (easier to read in devtools). */
  readonly useBinaryFormat?: boolean;
  /** A fetch implementation; defaults to `globalThis.fetch`. */
  readonly fetch?: typeof globalThis.fetch;
  /** Bearer token sent with every call (the client's `token` option fills it in). */
  readonly token?: string;
  /** Reach nodes over https; the browser decides which certificates it trusts. */
  readonly tls?: boolean;
}

/** A {@link TransportFactory} for browsers (and any runtime with `fetch`): the Connect protocol over HTTP/1.1. */
export function webTransport(options: WebTransportOptions = {}): TransportFactory {
  return (url: string): NodeConnection => {
    const transport = createConnectTransport({
      baseUrl: options.tls ? url.replace(/^http:/, 'https:') : url,
      useBinaryFormat: options.useBinaryFormat ?? true,
      interceptors: bearerInterceptors(options.token),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    // fetch keeps no session of ours to release.
    return { transport, close: () => undefined };
  };
}
