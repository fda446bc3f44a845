// A TCP proxy placed between nodes to inject network faults from outside the processes: cut every
// connection mid-flight, or refuse new ones for a while (a partition), while both ends keep running.
import { createServer, connect, type Server, type Socket } from 'node:net';

export class FaultProxy {
  private readonly server: Server;
  private readonly pairs = new Set<[Socket, Socket]>();
  private refusing = false;
  /** Connections cut so far. */
  cuts = 0;

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

  close(): Promise<void> {
    this.cutAll();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
