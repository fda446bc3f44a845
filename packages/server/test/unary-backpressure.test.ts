// Unary calls for large values whose answers are never read must not grow the node's memory past
// its budgets: over HTTP/2 (many calls per connection) and over HTTP/1.1 (many calls pipelined in
// one write). Before, 2 HTTP/2 connections of 100 such Gets held +317 MiB, and one HTTP/1.1 write
// of 33 KB +419 MiB.
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { create, toBinary } from '@bufbuild/protobuf';
import { GetRequestSchema } from '@quorumkv/protocol';
import type { NodeHandle } from '@quorumkv/harness';
import { LatencyProbe, counter, rssMiB, sleep } from './hostile-clients.js';
import { BIG_VALUE_BYTES, enc, useOneNode } from './support.js';

const VALUE_BYTES = BIG_VALUE_BYTES;
/** Each connection may hold this much: four reservations of the largest value. */
const CONNECTION_BYTES = 4 * VALUE_BYTES;
/** What the attacks may add to the node's memory (their budgets allow 12 MiB, resident memory runs higher). */
const RSS_BOUND_MIB = 64;
const getBody = Buffer.from(toBinary(GetRequestSchema, create(GetRequestSchema, { key: enc('big') })));

/** Peak RSS of `pid` while `ms` pass. */
async function peakRss(pid: number, ms: number): Promise<number> {
  let peak = rssMiB(pid);
  for (const end = Date.now() + ms; Date.now() < end; ) {
    await sleep(100);
    peak = Math.max(peak, rssMiB(pid));
  }
  return peak;
}

describe('unary calls whose answers are never read', () => {
  const { clients, node: nodeOf } = useOneNode(191, ['--connection-max-buffered-bytes', String(CONNECTION_BYTES)]);
  let node: NodeHandle;
  beforeAll(() => (node = nodeOf()));

  it('over HTTP/2: each connection holds at most its budget, and others are served', async () => {
    const base = rssMiB(node.pid!);
    const victim = new LatencyProbe(() => clients.of(node).kv.get({ key: enc('small') }, { timeoutMs: 2_000 }));
    const sessions = Array.from({ length: 3 }, () => {
      const s = http2.connect(node.url);
      s.on('error', () => undefined);
      for (let i = 0; i < 100; i++) {
        const st = s.request({ ':method': 'POST', ':path': '/quorumkv.v1.KvService/Get', 'content-type': 'application/proto' });
        st.on('error', () => undefined);
        st.pause();
        st.end(getBody);
      }
      return s;
    });
    const peak = await peakRss(node.pid!, 3_000);
    const served = await victim.stop();
    for (const s of sessions) s.destroy();
    process.stdout.write(`HTTP/2: 3 connections x 100 Gets of ${VALUE_BYTES} bytes, none read: node RSS ${base.toFixed(0)} -> peak ${peak.toFixed(0)} MiB; victim ${served.calls} calls, ${served.failures} failed, p99 ${served.p99.toFixed(1)} ms\n`);
    expect(peak - base).toBeLessThan(RSS_BOUND_MIB);
    expect(served.failures).toBe(0);
    expect(served.calls).toBeGreaterThan(20);
  }, 30_000);

  it('over HTTP/1.1: a client that pipelines is cut, and the node holds little meanwhile', async () => {
    const base = rssMiB(node.pid!);
    const cutsBefore = await counter(node.url, 'quorumkv_connections_cut_total', 'reason="pipelining_limit"');
    const one = Buffer.concat([Buffer.from(`POST /quorumkv.v1.KvService/Get HTTP/1.1\r\nHost: x\r\nContent-Type: application/proto\r\nContent-Length: ${getBody.length}\r\n\r\n`), getBody]);
    const socket = net.connect({ host: node.host, port: node.port });
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.pause();
    socket.write(Buffer.concat(Array.from({ length: 300 }, () => one)));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const peak = await peakRss(node.pid!, 3_000);
    socket.resume();
    const cut = await Promise.race([closed.then(() => true), sleep(2_000).then(() => false)]);
    socket.destroy();
    process.stdout.write(`HTTP/1.1: 300 pipelined Gets of ${VALUE_BYTES} bytes in one write, none read: node RSS ${base.toFixed(0)} -> peak ${peak.toFixed(0)} MiB; cut: ${cut}\n`);
    expect(peak - base).toBeLessThan(RSS_BOUND_MIB);
    expect(cut).toBe(true);
    expect((await counter(node.url, 'quorumkv_connections_cut_total', 'reason="pipelining_limit"')) - cutsBefore).toBe(1);
    // Everything held was given back: a call on a fresh connection is served at once.
    const res = await clients.of(node).kv.get({ key: enc('big') }, { timeoutMs: 2_000 });
    expect(res.siblings[0]!.value.length).toBe(VALUE_BYTES);
  }, 30_000);
});
