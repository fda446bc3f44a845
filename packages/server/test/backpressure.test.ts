// A client that asks for large values and never reads the answers must not grow the node's memory
// without bound nor slow down other clients: its stream stops being read while its responses wait
// (back-pressure), on the raw Connect path the SDK uses and on the connect-es gRPC path, and the
// stream is cut once nothing of it drained for drainTimeoutMs.
import type { NodeHandle } from '@quorumkv/harness';
import { LatencyProbe, counter, openStream, rssMiB, sessionGets, sleep, until, within } from './hostile-clients.js';
import { BIG_VALUE_BYTES, enc, useOneNode } from './support.js';

const VALUE_BYTES = BIG_VALUE_BYTES;
const ATTACK_MS = 2_500;
const DRAIN_TIMEOUT_MS = 3_000;
/** Memory the attack may add to the node, at most. */
const RSS_BOUND_MIB = 64;

describe('a Session client that never reads', () => {
  const { clients, node: nodeOf } = useOneNode(151, ['--drain-timeout-ms', String(DRAIN_TIMEOUT_MS)]);
  let node: NodeHandle;
  beforeAll(() => (node = nodeOf()));

  const victim = (): LatencyProbe => new LatencyProbe(() => clients.of(node).kv.get({ key: enc('small') }));

  it.each([
    ['raw Connect path (the SDK)', 'application/connect+proto'],
    ['connect-es gRPC path', 'application/grpc+proto'],
  ])('keeps the node within its memory bound and other clients answered: %s', async (_path, contentType) => {
    const before = victim();
    await sleep(1_000);
    const calm = await before.stop();
    const baseRss = rssMiB(node.pid!);
    const cutsBefore = await counter(node.url, 'quorumkv_streams_cut_total', 'reason="drain_timeout"');

    const attacker = openStream(node.url, '/quorumkv.v1.KvService/Session', contentType, { read: false });
    const during = victim();
    let id = 1;
    let peakRss = baseRss;
    const started = Date.now();
    while (Date.now() - started < ATTACK_MS) {
      attacker.stream.write(sessionGets(id, 10, enc('big')));
      id += 10;
      await sleep(20);
      peakRss = Math.max(peakRss, rssMiB(node.pid!));
    }
    const attacked = await during.stop();
    process.stdout.write(
      `${contentType}: ${id - 1} Gets of ${VALUE_BYTES} bytes asked, none read; node RSS ${baseRss.toFixed(0)} -> peak ${peakRss.toFixed(0)} MiB (+${(peakRss - baseRss).toFixed(1)}); ` +
        `victim p50/p99/max before ${calm.p50.toFixed(1)}/${calm.p99.toFixed(1)}/${calm.max.toFixed(1)} ms (${calm.calls} calls), ` +
        `during ${attacked.p50.toFixed(1)}/${attacked.p99.toFixed(1)}/${attacked.max.toFixed(1)} ms (${attacked.calls} calls, ${attacked.failures} failed)\n`,
    );
    expect(peakRss - baseRss).toBeLessThan(RSS_BOUND_MIB);
    expect(attacked.failures).toBe(0);
    expect(attacked.calls).toBeGreaterThan(50);
    // Generous: the victim shares two cores with the node, the attacker and other test files.
    expect(attacked.p99).toBeLessThan(Math.max(250, 20 * calm.p99));

    // Nothing drained: the node cuts the stream (RST_STREAM ENHANCE_YOUR_CALM) and counts it.
    const closed = await within(attacker.closed, DRAIN_TIMEOUT_MS + 5_000);
    attacker.close();
    expect(closed?.rstCode).toBe(11);
    expect(await until(async () => (await counter(node.url, 'quorumkv_streams_cut_total', 'reason="drain_timeout"')) > cutsBefore, 2_000)).toBe(true);
  }, 30_000);
});
