// Faults of single links: the proxy tells callers apart by their source address and refuses, drops
// or delays one caller's traffic only; between real nodes (which connect from their own address
// when proxied) that is a one-way partition.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { FaultProxy, HarnessError, freePort, startCluster, type Cluster, type NodeHandle } from '@quorumkv/harness';

const TARGET = '127.0.0.72';
const [CALLER_A, CALLER_B] = ['127.0.0.73', '127.0.0.74'];
const CLUSTER_BASE = 72;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A connection from `localAddress` to the proxy, with everything it has received so far. */
async function dial(proxy: FaultProxy, localAddress: string): Promise<{ socket: Socket; received: () => string; closed: () => boolean }> {
  const socket = connect({ host: proxy.host, port: proxy.port, localAddress });
  let text = '';
  let closed = false;
  socket.on('data', (b: Buffer) => (text += b.toString()));
  socket.on('close', () => (closed = true));
  socket.on('error', () => (closed = true));
  await new Promise<void>((resolve) => socket.once('connect', resolve).once('close', resolve));
  return { socket, received: () => text, closed: () => closed };
}

/** Polls until `check` holds or `ms` pass. */
async function within(ms: number, check: () => boolean): Promise<boolean> {
  for (const until = Date.now() + ms; Date.now() < until; await sleep(10)) if (check()) return true;
  return check();
}

describe('FaultProxy link faults', () => {
  let echo: Server;
  let proxy: FaultProxy;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    echo = createServer((s) => s.pipe(s));
    const port = await freePort(TARGET);
    await new Promise<void>((r) => echo.listen(port, TARGET, r));
    proxy = await FaultProxy.start(TARGET, { host: TARGET, port });
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await proxy.close();
    await new Promise((r) => echo.close(r));
  });
  const open = async (from: string) => {
    const c = await dial(proxy, from);
    sockets.push(c.socket);
    return c;
  };

  it('refuses one caller, cutting its connections, while another keeps talking', async () => {
    const [a, b] = [await open(CALLER_A), await open(CALLER_B)];
    a.socket.write('a1');
    expect(await within(2_000, () => a.received() === 'a1')).toBe(true);
    proxy.setLinkFault(CALLER_A, { block: 'refuse' });
    expect(await within(2_000, () => a.closed())).toBe(true);
    const refused = await open(CALLER_A);
    expect(await within(2_000, () => refused.closed())).toBe(true);
    b.socket.write('b1');
    expect(await within(2_000, () => b.received() === 'b1')).toBe(true);
    proxy.setLinkFault(CALLER_A, undefined);
    const again = await open(CALLER_A);
    again.socket.write('a2');
    expect(await within(2_000, () => again.received() === 'a2')).toBe(true);
  });

  it('drops one caller\'s bytes while its connection hangs, and cuts that connection when the link heals', async () => {
    const [a, b] = [await open(CALLER_A), await open(CALLER_B)];
    proxy.setLinkFault(CALLER_B, { block: 'drop' });
    b.socket.write('lost');
    a.socket.write('kept');
    expect(await within(2_000, () => a.received() === 'kept')).toBe(true);
    await sleep(300);
    expect(b.received()).toBe('');
    expect(b.closed()).toBe(false);
    const held = await open(CALLER_B); // accepted, but the target never hears of it
    held.socket.write('also lost');
    proxy.setLinkFault(CALLER_B, undefined);
    expect(await within(2_000, () => b.closed() && held.closed())).toBe(true);
    expect(held.received()).toBe('');
    const fresh = await open(CALLER_B);
    fresh.socket.write('back');
    expect(await within(2_000, () => fresh.received() === 'back')).toBe(true);
  });

  it('delays one caller\'s chunks both ways and keeps their order when the delay changes', async () => {
    const a = await open(CALLER_A);
    proxy.setLinkFault(CALLER_A, { delayMs: 150 });
    const t0 = performance.now();
    a.socket.write('x');
    expect(await within(5_000, () => a.received() === 'x')).toBe(true);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290); // 150 ms each way
    const sent: string[] = [];
    for (let i = 0; i < 40; i++) {
      if (i === 20) proxy.setLinkFault(CALLER_A, undefined); // later chunks must not overtake earlier ones
      sent.push(`<${i}>`);
      a.socket.write(sent[i]!);
      await sleep(5);
    }
    const expected = `x${sent.join('')}`;
    expect(await within(5_000, () => a.received().length >= expected.length)).toBe(true);
    expect(a.received()).toBe(expected);
  });
});

describe('link faults between real nodes', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster({ nodes: 3, n: 3, r: 2, w: 2, partitions: 16, hostBase: CLUSTER_BASE, proxied: true, extraArgs: ['--hint-delivery-interval-ms', '200'] });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('partitions one direction only: n1 cannot reach n2, n2 still reaches n1', async () => {
    const [a, b, c] = cluster.nodes as [NodeHandle, NodeHandle, NodeHandle];
    cluster.setLinkFault(0, 1, { block: 'drop' });
    // n1 coordinates (n = 3 on 3 nodes): it stores, n3 answers, n2 never hears of the write.
    await call(a, 'KvService/Put', { key: b64('one-way'), value: b64('from n1'), w: 2 });
    const local = async (node: NodeHandle): Promise<boolean> => (await call(node, 'AdminService/LocalGet', { key: b64('one-way') }))['found'] === true;
    expect([await local(a), await local(b), await local(c)]).toEqual([true, false, true]);
    // The other way is open: n2 coordinates a write every replica acknowledges.
    const all = await call(b, 'KvService/Put', { key: b64('other-way'), value: b64('from n2'), w: 3 });
    expect((all['receipt'] as { answered: number }).answered).toBe(3);

    cluster.setLinkFault(0, 1, undefined);
    expect(await eventuallyFound(() => local(b))).toBe(true); // n1's hint arrives once the link heals
  }, 60_000);

  it('names a link it has no proxy for, and maps proxy addresses back to the nodes\' own', () => {
    expect(() => cluster.setLinkFault(0, 7, undefined)).toThrow(expect.objectContaining({ reason: 'not-proxied' }));
    expect(() => cluster.setLinkFault(0, 7, undefined)).toThrow(HarnessError);
    expect(cluster.clientAddressOf(cluster.proxies[1]!.address)).toBe(cluster.nodes[1]!.address);
    expect(cluster.clientAddressOf('10.0.0.1:1')).toBe('10.0.0.1:1');
  });
});

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** A unary call in the Connect protocol with JSON (no SDK: the harness depends on no package of ours). */
async function call(node: NodeHandle, method: string, body: object): Promise<Record<string, unknown>> {
  const res = await fetch(`${node.url}/quorumkv.v1.${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200) throw new Error(`${method} on ${node.id}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function eventuallyFound(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<boolean> {
  for (const until = Date.now() + timeoutMs; Date.now() < until; await sleep(100)) if (await check().catch(() => false)) return true;
  return false;
}
