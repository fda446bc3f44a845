// One HTTP/2 session per peer, shared by every client this node has for it (replica stream,
// membership, forwarding), as the design asks: no connection per request.
import { createClient, type Client, type Transport } from '@connectrpc/connect';
import { createConnectTransport, Http2SessionManager } from '@connectrpc/connect-node';
import type { DescService } from '@bufbuild/protobuf';
import type { ByteStream } from '@quorumkv/protocol';

/** TLS to peers: the CA that signed them and this node's own certificate (mutual TLS); empty for the system CAs and no client certificate. */
export interface PeerTls {
  ca?: string;
  cert?: string;
  key?: string;
}

interface Peer {
  sessionManager: Http2SessionManager;
  transport: Transport;
  clients: Map<DescService, Client<DescService>>;
}

/** Options of {@link PeerPool}. */
export interface PeerPoolOptions {
  /** Local address every connection is made from (`sourceAddress`); default the system's choice. */
  readonly sourceAddress?: string | undefined;
}

/** Connect transports and clients per peer address, created on first use and reused. */
export class PeerPool {
  private readonly peers = new Map<string, Peer>();
  private tls: PeerTls | undefined;

  constructor(private readonly options: PeerPoolOptions = {}) {}

  /** Dials peers over TLS from now on (set before the first peer is dialled). */
  useTls(tls: PeerTls | undefined): void {
    this.tls = tls;
  }

  private peer(address: string): Peer {
    let p = this.peers.get(address);
    if (!p) {
      const baseUrl = `${this.tls ? 'https' : 'http'}://${address}`;
      const { sourceAddress } = this.options;
      const connectOptions = sourceAddress !== undefined ? { ...this.tls, localAddress: sourceAddress } : this.tls;
      const sessionManager = new Http2SessionManager(baseUrl, { pingIntervalMs: 10_000, pingTimeoutMs: 5_000 }, connectOptions);
      const transport = createConnectTransport({
        baseUrl,
        httpVersion: '2',
        sessionManager,
        // Compression costs more CPU than it saves on loopback and LAN links (STACK-NOTES #5).
        acceptCompression: [],
        sendCompression: undefined,
        useBinaryFormat: true,
      });
      p = { sessionManager, transport, clients: new Map() };
      this.peers.set(address, p);
    }
    return p;
  }

  /** A client of `service` for the node at `address`. */
  client<S extends DescService>(address: string, service: S): Client<S> {
    const p = this.peer(address);
    let c = p.clients.get(service);
    if (!c) {
      c = createClient(service, p.transport) as Client<DescService>;
      p.clients.set(service, c);
    }
    return c as unknown as Client<S>;
  }

  /**
   * Opens a raw HTTP/2 stream to `address` on the shared session (for the hot streams spoken in
   * the Connect protocol without connect-es), and the keepalive hook to call on every read.
   */
  rawStream(address: string, path: string): { open: () => Promise<ByteStream>; read: (s: ByteStream) => void } {
    const p = this.peer(address);
    return {
      open: () => p.sessionManager.request('POST', path, { 'content-type': 'application/connect+proto', 'connect-protocol-version': '1' }, {}),
      read: (s) => p.sessionManager.notifyResponseByteRead(s as Parameters<Http2SessionManager['notifyResponseByteRead']>[0]),
    };
  }

  /** Closes every session. */
  close(): void {
    for (const p of this.peers.values()) p.sessionManager.abort();
    this.peers.clear();
  }
}
