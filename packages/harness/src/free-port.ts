import { createServer } from 'node:net';

/**
 * A TCP port that is free on `host` right now (the OS picks it). Another process may take it before
 * the caller binds it; on loopback addresses of their own, tests practically never collide.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
