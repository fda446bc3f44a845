// A TCP proxy placed between nodes to inject network faults from outside the processes: cut every
// connection mid-flight, or refuse new ones for a while (a partition), while both ends keep running.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort } from './free-port.js';

/**
 * A TCP proxy in front of a node: peers connect to the proxy instead of the node, so a test can cut
 * their connections or refuse new ones (a partition) without touching either process.
 */
export class FaultProxy {
  private readonly server: Server;
  private readonly pairs = new Set<[Socket, Socket]>();
  private refusing = false;
  /** Connections cut so far. */
  cuts = 0;

  /** A proxy on `host:port` forwarding to `target`; call {@link listen} (or use {@link FaultProxy.start}). */
  constructor(
    readonly host: string,
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {
    this.server = createServer((client) => {
      if (this.refusing) return void client.destroy();
      const upstream = connect(this.target.port, this.target.host);
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      const drop = (): void => {
        client.destroy();
        upstream.destroy();
        this.pairs.delete(pair);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
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
    const n = this.pairs.size;
    for (const [a, b] of this.pairs) {
      a.destroy();
      b.destroy();
    }
    this.pairs.clear();
    this.cuts += n;
    return n;
  }

  /** While true, new connections are closed at once. */
  refuse(on: boolean): void {
    this.refusing = on;
  }

  /** Cuts every connection and stops listening. */
  close(): Promise<void> {
    this.cutAll();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
