// Idle streams cost memory (measured ~20 KiB each on the raw Connect path, ~75 KiB through
// connect-es) and are never cut while they hold nothing, so the per-connection stream limit times
// the connection limit (409,600 streams by default) does not bound a node: open streams are also
// capped node-wide, the extra ones refused with REFUSED_STREAM (nothing processed: safe to retry).
import * as http2 from 'node:http2';
import type { NodeHandle } from '@quorumkv/harness';
import { counter, rssMiB, sleep, until } from './hostile-clients.js';
import { enc, useOneNode } from './support.js';

const MAX_STREAMS = 150;
const PER_CONNECTION = 100;

/** `count` idle gRPC Session streams on a new connection; `refused` counts those the node reset with REFUSED_STREAM. */
function idleStreams(url: string, count: number): { session: http2.ClientHttp2Session; refused: () => number; closed: () => number } {
  const session = http2.connect(url);
  session.on('error', () => undefined);
  let refused = 0;
  let closed = 0;
  for (let i = 0; i < count; i++) {
    const s = session.request({ ':method': 'POST', ':path': '/quorumkv.v1.KvService/Session', 'content-type': 'application/grpc+proto', te: 'trailers' });
    s.on('error', () => undefined);
    s.resume();
    s.once('close', () => {
      closed++;
      if (s.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM) refused++;
    });
  }
  return { session, refused: () => refused, closed: () => closed };
}

describe('open streams, all connections together', () => {
  const { clients, node: nodeOf } = useOneNode(175, ['--max-streams', String(MAX_STREAMS)]);
  let node: NodeHandle;
  beforeAll(() => (node = nodeOf()));

  it('are capped node-wide; the cap frees as streams close', async () => {
    const baseRss = rssMiB(node.pid!);
    const cutsBefore = await counter(node.url, 'quorumkv_streams_cut_total', 'reason="stream_limit"');
    const a = idleStreams(node.url, PER_CONNECTION);
    await sleep(300);
    const b = idleStreams(node.url, PER_CONNECTION);
    expect(await until(() => b.refused() >= 2 * PER_CONNECTION - MAX_STREAMS, 5_000)).toBe(true);
    await sleep(500);
    process.stdout.write(
      `${2 * PER_CONNECTION} idle gRPC streams on 2 connections, cap ${MAX_STREAMS}: refused ${a.refused() + b.refused()}, open ${2 * PER_CONNECTION - a.closed() - b.closed()}; ` +
        `node RSS +${(rssMiB(node.pid!) - baseRss).toFixed(1)} MiB\n`,
    );
    expect(a.refused()).toBe(0);
    expect(b.refused()).toBe(2 * PER_CONNECTION - MAX_STREAMS);
    expect(a.closed() + b.closed()).toBe(2 * PER_CONNECTION - MAX_STREAMS);
    expect((await counter(node.url, 'quorumkv_streams_cut_total', 'reason="stream_limit"')) - cutsBefore).toBe(2 * PER_CONNECTION - MAX_STREAMS);

    // Closing streams gives their places back, exactly: the count neither leaks nor goes negative.
    a.session.destroy();
    await sleep(300);
    const c = idleStreams(node.url, PER_CONNECTION);
    await sleep(1_000);
    expect(c.refused()).toBe(0);
    b.session.destroy();
    c.session.destroy();
    await sleep(300);
    // A unary call (a stream too) is served again once there is room.
    const res = await clients.of(node).kv.get({ key: enc('small') }, { timeoutMs: 3_000 });
    expect(res.found).toBe(true);
  }, 30_000);
});
