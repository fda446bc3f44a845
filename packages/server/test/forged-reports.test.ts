// Defence in depth behind forged-leave.test.ts: in the quick-start (insecure) mode gossip is not
// authenticated, so an outsider can also forge the transfer reports (gossip metadata
// "handoff:<node>") that the claimant turns into done partitions. During a genuine leave with slow
// transfers, forged reports of every transfer make the claimant finish the change at once. The
// leaving node must not drop its copies then: it drops a partition only once its new holder
// confirms, by a call the leaving node makes, that it received it complete. With n = 1 a dropped
// copy not yet transferred would be the only one.
import { createClient } from '@connectrpc/connect';
import { createConnectTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { encodeMessage } from '@quorumkv/gossip';
import { MembershipService } from '@quorumkv/protocol';
import { transfersOf } from '@quorumkv/ring';
import type { NodeHandle } from '@quorumkv/harness';
import { enc, eventually, fetchRing, localRecord, sleep, useCluster } from './support.js';

const HOST_BASE = 29;
const Q = 16;
const KEYS = 40;
const VALUE = 'x'.repeat(1000);

describe('forged transfer reports during a genuine leave (quick-start mode)', () => {
  // One record per handoff message at 1.5 kB/s: the leaving node's transfers take several seconds.
  const { clients, nodes } = useCluster({
    nodes: 4,
    hostBase: HOST_BASE,
    partitions: Q,
    n: 1,
    r: 1,
    w: 1,
    extraArgs: ['--log-level', 'warn', '--handoff-batch-items', '1', '--handoff-pace', 'fixed', '--handoff-bytes-per-second', '1500'],
  });
  let session: Http2SessionManager | undefined;
  afterAll(() => session?.abort());

  /** Which node holds each key (undefined: nobody). */
  const holders = async (): Promise<(string | undefined)[]> => {
    const out: (string | undefined)[] = [];
    for (let i = 0; i < KEYS; i++) {
      let holder: string | undefined;
      for (const node of nodes()) if (node.running && (await localRecord(clients, node, `k${i}`))) holder ??= node.id;
      out.push(holder);
    }
    return out;
  };

  it('keeps every key: the leaving node drops nothing its new holder has not confirmed, and keeps running', async () => {
    const [n1, n2] = nodes() as [NodeHandle, NodeHandle];
    for (let i = 0; i < KEYS; i++) await clients.of(n2).kv.put({ key: enc(`k${i}`), value: enc(`${i}:${VALUE}`), w: 1 });
    const before = await holders();
    const onN1 = before.filter((h) => h === 'n1').length;
    expect({ lost: before.filter((h) => h === undefined).length, onN1: onN1 > 2 }).toEqual({ lost: 0, onN1: true });

    // A genuine leave of n1 (the claimant) ...
    const admin = clients.of(n2).admin;
    await admin.leave({ nodeId: 'n1' });
    const { fromVersion } = await admin.plan({});
    await admin.commit({ fromVersion });
    // ... and, from outside, reports that every transfer of it is done.
    const ring = await fetchRing(clients, n1);
    const since = ring.transition!.since;
    const done = transfersOf(ring).map((t) => `${t.partition}>${t.to}`);
    const { clusterId } = await admin.status({});
    const message = encodeMessage({
      type: 'push-pull',
      sourceId: 'outsider',
      sourceAddress: '127.0.0.1:9',
      join: false,
      reply: true,
      members: [],
      metadata: [{ key: 'handoff:n2', version: Date.now() + 3_600_000, value: enc(JSON.stringify({ since, done })) }],
    });
    session = new Http2SessionManager(n1.url);
    const membership = createClient(MembershipService, createConnectTransport({ baseUrl: n1.url, httpVersion: '2', sessionManager: session }));
    await membership.pushPull({ clusterId, fromAddress: '127.0.0.1:9', message });

    // The claimant finishes the change on the forged reports.
    expect(await eventually(async () => (await fetchRing(clients, n2)).nodes.every((n) => n.id !== 'n1'), 10_000)).toBe(true);
    await sleep(3_000);
    const after = await holders();
    // eslint-disable-next-line no-console
    console.log('keys by holder', { before: count(before), after: count(after), n1Running: n1.running });
    expect(after.map((h, i) => (h === undefined ? `k${i}` : undefined)).filter((k) => k !== undefined)).toEqual([]);
    // Nor does it stop: a leave counts as finished for it only once every copy it held is confirmed.
    expect(n1.running).toBe(true);
  }, 90_000);
});

function count(holders: (string | undefined)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const h of holders) out[h ?? 'nobody'] = (out[h ?? 'nobody'] ?? 0) + 1;
  return out;
}
