// Hints are bounded (issue #15): only ring members get hints; a dead node's hints are capped, the
// oldest making room, with the disk they use bounded and the figures in metrics and status; the
// newest ones are what the node gets when it is back; a node down longer than the hint window gets
// no new hints, and hints past their max age are dropped. Hints are written through the replica
// path (DeliverHints from a test client), as fallbacks receive them.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { ReplicaItemSchema, ReplicaOp, ReplicaService, ReplicaStatus, type ReplicaHeader, type ReplicaItemResult } from '@quorumkv/protocol';
import type { NodeHandle } from '@quorumkv/harness';
import { enc, eventually, sleep, useCluster, waitSeenUp, type Clients } from './support.js';

const CAP = 1_000;
/** At the cap the oldest go in batches of 1 + CAP / 64: between CAP - 15 and CAP are kept. */
const BATCH = 1 + Math.floor(CAP / 64);
const FLOOD = 50 * CAP;
const WINDOW_MS = 2_500;
const MAX_AGE_MS = 5_000;

describe('hint limits', () => {
  const { clients, nodes } = useCluster({
    nodes: 3,
    n: 3,
    r: 2,
    w: 2,
    hostBase: 125,
    extraArgs: ['--hint-delivery-interval-ms', '300'],
    nodeArgs: {
      0: ['--max-hints-per-target', String(CAP), '--max-hints', String(2 * CAP), '--hint-window-ms', '600000'],
      1: ['--hint-window-ms', String(WINDOW_MS), '--hint-max-age-ms', String(MAX_AGE_MS)],
    },
  });
  const sessions: Http2SessionManager[] = [];
  let record: Uint8Array;
  let kept = 0;
  let header: ReplicaHeader;

  const replicaClient = (node: NodeHandle): Client<typeof ReplicaService> => {
    const sessionManager = new Http2SessionManager(node.url);
    sessions.push(sessionManager);
    return createClient(ReplicaService, createConnectTransport({ baseUrl: node.url, httpVersion: '2', sessionManager, acceptCompression: [] }));
  };
  /**
   * Hints for `target` of keys `${prefix}${first}` .. `${prefix}${first + count - 1}`, through one
   * node's DeliverHints, one call after another: the node keeps the newest by arrival, so the
   * order of arrival must be the order of the keys for the test to know which ones it kept.
   */
  const hint = async (node: NodeHandle, target: string, prefix: string, first: number, count: number): Promise<ReplicaItemResult[]> => {
    const client = replicaClient(node);
    const results: ReplicaItemResult[] = [];
    for (let at = first; at < first + count; at += 1024) {
      const items = [];
      for (let i = at; i < Math.min(first + count, at + 1024); i++) {
        items.push(create(ReplicaItemSchema, { id: BigInt(i), op: ReplicaOp.WRITE, bucket: 'default', key: enc(`${prefix}${i}`), record, hintFor: target }));
      }
      results.push(...(await client.deliverHints({ header, items })).results);
    }
    return results;
  };
  const metric = async (node: NodeHandle, name: string): Promise<number> => {
    const text = await (await fetch(`${node.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`) && !l.startsWith('#'));
    return Number(line?.split(' ').pop() ?? NaN);
  };
  const cpuSeconds = (node: NodeHandle) => metric(node, 'quorumkv_process_process_cpu_seconds_total');
  const pending = async (c: Clients, node: NodeHandle) => Number((await c.of(node).admin.status({})).hintsPending);

  beforeAll(async () => {
    const [n1] = nodes();
    await clients.of(n1!).kv.put({ key: enc('seed'), value: enc('a hinted value') });
    record = (await clients.of(n1!).admin.localGet({ key: enc('seed') })).record;
    const status = await clients.of(n1!).admin.status({});

    header = { $typeName: 'quorumkv.v1.ReplicaHeader', fromNode: 'n2', ringVersion: status.ringVersion, clusterId: status.clusterId, ring: new Uint8Array(0) };
  });
  afterAll(() => {
    for (const s of sessions) s.abort();
  });

  it('refuses a hint for a node that is not a member of the ring', async () => {
    const [n1] = nodes();
    const [res] = await hint(n1!, 'made-up-node', 'stranger-', 0, 1);
    expect(res!.status).toBe(ReplicaStatus.ERROR);
    expect(res!.error).toMatch(/hint_for: "made-up-node" is not a member of the ring/);
    expect(await pending(clients, n1!)).toBe(0);
    expect(await metric(n1!, 'quorumkv_hints_refused_total{reason="not_member"}')).toBe(1);
  });

  it('keeps the newest hints up to the cap for a dead node, with bounded disk and idle CPU, and reports them', async () => {
    const [n1, n2, n3] = nodes();
    await n3!.kill('SIGKILL');
    clients.reset(n3!);
    expect(await eventually(async () => (await clients.of(n1!).admin.verify({})).problems.some((p) => p.down.includes('n3')), 15_000)).toBe(true);
    const started = Date.now();
    const results = await hint(n1!, 'n3', 'h-', 0, FLOOD);
    const tookMs = Date.now() - started;
    expect(results.filter((r) => r.status !== ReplicaStatus.OK)).toEqual([]);
    const status = await clients.of(n1!).admin.status({});
    kept = Number(status.hintsPending);
    expect(kept).toBeLessThanOrEqual(CAP);
    expect(kept).toBeGreaterThan(CAP - BATCH);
    expect(status.hintTargets.map((t) => [t.nodeId, Number(t.pending), t.windowClosed])).toEqual([['n3', kept, false]]);
    expect(Number(status.hintsEvicted)).toBe(FLOOD - kept);
    expect(await metric(n1!, 'quorumkv_hints_pending')).toBe(kept);
    expect(await metric(n1!, 'quorumkv_hints_pending_by_target{target="n3"}')).toBe(kept);
    expect(await metric(n1!, 'quorumkv_hints_evicted_total{limit="per_target"}')).toBe(FLOOD - kept);
    const hintBytes = await metric(n1!, 'quorumkv_hint_bytes');
    const fileBytes = statSync(join(n1!.dataDir!, 'data.mdb')).size;
    // Idle with the hints pending: nothing scans them while their target is down.
    const cpuBefore = await cpuSeconds(n1!);
    await sleep(3_000);
    const idleCpu = ((await cpuSeconds(n1!)) - cpuBefore) / 3;
    process.stdout.write(
      `${FLOOD} hints for a dead node in ${tookMs} ms: ${status.hintsPending} kept (${hintBytes} bytes), ${status.hintsEvicted} evicted; data.mdb ${fileBytes} bytes; idle CPU ${(idleCpu * 100).toFixed(1)}%\n`,
    );
    // Uncapped, 50k hints of this size take over 7 MB.
    expect(fileBytes).toBeLessThan(2 * 1024 * 1024);
    expect(idleCpu).toBeLessThan(0.1);
    void n2;
  }, 180_000);

  it('hands the newest hints over when the node is back', async () => {
    const [n1, , n3] = nodes();
    n3!.start();
    await n3!.waitReady();
    await waitSeenUp(clients, [n1!], ['n3']);
    expect(await eventually(async () => (await pending(clients, n1!)) === 0, 30_000)).toBe(true);
    const has = async (key: string) => (await clients.of(n3!).admin.localGet({ key: enc(key) })).found;
    expect(await has(`h-${FLOOD - 1}`)).toBe(true);
    expect(await has(`h-${FLOOD - kept}`)).toBe(true);
    expect(await has(`h-${FLOOD - kept - 1}`)).toBe(false);
    expect(await has('h-0')).toBe(false);
  }, 60_000);

  it('stores no hint for a node down longer than the window, and drops hints past their max age', async () => {
    const [, n2, n3] = nodes();
    await n3!.kill('SIGKILL');
    clients.reset(n3!);
    expect(await eventually(async () => (await clients.of(n2!).admin.verify({})).problems.some((p) => p.down.includes('n3')), 15_000, 20)).toBe(true);
    const [early] = await hint(n2!, 'n3', 'early-', 0, 1);
    expect(early!.status).toBe(ReplicaStatus.OK);
    const storedAt = Date.now();
    await sleep(WINDOW_MS + 200);
    const [late] = await hint(n2!, 'n3', 'late-', 0, 1);
    expect(late!.status).toBe(ReplicaStatus.ERROR);
    expect(late!.error).toMatch(/hint_for: "n3" has been down for \d+ ms, longer than the hint window \(2500 ms\)/);
    expect(await metric(n2!, 'quorumkv_hints_refused_total{reason="window"}')).toBe(1);
    const status = await clients.of(n2!).admin.status({});
    expect(status.hintTargets.map((t) => [t.nodeId, Number(t.pending), t.windowClosed])).toEqual([['n3', 1, true]]);
    await sleep(Math.max(0, storedAt + MAX_AGE_MS - Date.now()));
    expect(await eventually(async () => (await pending(clients, n2!)) === 0, 5_000)).toBe(true);
    expect(await metric(n2!, 'quorumkv_hints_expired_total')).toBe(1);
  }, 60_000);
});
