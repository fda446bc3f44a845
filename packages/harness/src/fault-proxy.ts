// A TCP proxy placed between nodes to inject network faults from outside the processes: cut every
// connection mid-flight, refuse new ones, and fault the links of single callers (a partition of
// some nodes only, one way only, or a slow link), while both ends keep running.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort } from './free-port.js';
import { LinkDirection, type ChunkFate } from './link-direction.js';

/**
 * What the proxy does to the traffic of one caller. A caller is known by its source address, so
 * this needs callers that connect from addresses of their own (the harness starts proxied nodes
 * with `--source-address`).
 */
export interface LinkFault {
  /**
   * Block the caller's connections. `refuse`: existing ones are cut and new ones closed at once, as
   * by a firewall that rejects; the caller notices at once. `drop`: bytes vanish both ways and
   * connections hang, as behind a dead link; the caller notices only by its timeouts. Connections
   * that lost bytes are cut when the fault is lifted (their streams have holes).
   */
  readonly block?: 'refuse' | 'drop';
  /** Latency added to every chunk, in each direction, in ms (order is kept). */
  readonly delayMs?: number;
}

const NO_FATE: ChunkFate = { drop: false, delayMs: 0 };

/** One proxied connection: the caller's socket, ours to the target (absent while dropped). */
interface Connection {
  readonly caller: string;
  readonly client: Socket;
  upstream: Socket | undefined;
  readonly directions: LinkDirection[];
}

/** `::ffff:127.0.0.2` and `127.0.0.2` are the same caller. */
const callerOf = (socket: Socket): string => (socket.remoteAddress ?? '').replace(/^::ffff:/, '');

/**
 * A TCP proxy in front of a node: peers connect to the proxy instead of the node, so a test can cut
 * their connections, refuse new ones (a partition), or fault the link of one caller, without
 * touching either process.
 */
export class FaultProxy {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private readonly faults = new Map<string, LinkFault>();
  private refusing = false;
  /** Connections cut so far. */
  cuts = 0;

  /** A proxy on `host:port` forwarding to `target`; call {@link listen} (or use {@link FaultProxy.start}). */
  constructor(
    readonly host: string,
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {
    this.server = createServer((client) => this.accept(client));
  }

  /** A listening proxy on a free port of `host` in front of `target`. */
  static async start(host: string, target: { host: string; port: number }): Promise<FaultProxy> {
    const proxy = new FaultProxy(host, await freePort(host), target);
    await proxy.listen();
    return proxy;
  }

  /** `host:port` of the proxy: what peers should dial. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.port, this.host, resolve));
  }

  /** Destroys every open connection through the proxy (in-flight bytes are lost). */
  cutAll(): number {
    const n = this.connections.size;
    for (const c of [...this.connections]) this.cut(c);
    this.cuts += n;
    return n;
  }

  /** While true, new connections are closed at once (every caller; existing ones stay). */
  refuse(on: boolean): void {
    this.refusing = on;
  }

  /**
   * Faults the link from `caller` (its source address, e.g. `127.0.0.12`) to the target, or lifts
   * the fault with `undefined`. Applies to open connections at once.
   */
  setLinkFault(caller: string, fault: LinkFault | undefined): void {
    if (fault && (fault.block !== undefined || (fault.delayMs ?? 0) > 0)) this.faults.set(caller, fault);
    else this.faults.delete(caller);
    const now = this.faults.get(caller);
    for (const c of [...this.connections]) {
      if (c.caller !== caller) continue;
      const holed = c.upstream === undefined || c.directions.some((d) => d.dropped);
      if (now?.block === 'refuse' || (holed && now?.block !== 'drop')) {
        this.cut(c);
        this.cuts++;
      }
    }
  }

  /** The fault on `caller`'s link, if any. */
  linkFault(caller: string): LinkFault | undefined {
    return this.faults.get(caller);
  }

  /** Lifts every link fault (connections that lost bytes are cut). */
  clearLinkFaults(): void {
    for (const caller of [...this.faults.keys()]) this.setLinkFault(caller, undefined);
  }

  /** Cuts every connection and stops listening. */
  close(): Promise<void> {
    this.cutAll();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    const caller = callerOf(client);
    const block = this.faults.get(caller)?.block;
    if (this.refusing || block === 'refuse') return void client.destroy();
    const c: Connection = { caller, client, upstream: undefined, directions: [] };
    this.connections.add(c);
    const drop = (): void => this.cut(c);
    client.on('error', drop).on('close', drop);
    const fate = (): ChunkFate => {
      const f = this.faults.get(caller);
      return f?.block === 'drop' ? { drop: true } : f?.delayMs ? { drop: false, delayMs: f.delayMs } : NO_FATE;
    };
    if (block === 'drop') {
      // Behind a dead link the target never hears of the connection: hold it, swallow its bytes.
      client.resume();
      return;
    }
    const upstream = connect(this.target.port, this.target.host);
    c.upstream = upstream;
    upstream.on('error', drop).on('close', drop);
    c.directions.push(new LinkDirection(client, upstream, fate), new LinkDirection(upstream, client, fate));
  }

  private cut(c: Connection): void {
    if (!this.connections.delete(c)) return;
    for (const d of c.directions) d.stop();
    c.client.destroy();
    c.upstream?.destroy();
  }
}
