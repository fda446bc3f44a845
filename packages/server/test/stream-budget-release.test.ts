// A stream that goes away must give back everything it held of the node's stream budget, whatever
// the path it came by: streams that a client resets while their responses wait unread must not
// add up until the node starts no work on any stream any more.
import type { NodeHandle } from '@quorumkv/harness';
import { openStream, sessionGets, sleep, within } from './hostile-clients.js';
import { enc, useOneNode } from './support.js';

/** Small, so a few leaked streams would fill it: each may hold up to streamMaxBufferedBytes (8 MiB). */
const NODE_BUFFER_BYTES = 16 * 1024 * 1024;
const STREAMS = 6;
const PATHS = [
  ['raw Connect path (the SDK)', 'application/connect+proto'],
  ['connect-es gRPC path', 'application/grpc+proto'],
] as const;

describe('streams reset while their responses wait unread', () => {
  const { node: nodeOf } = useOneNode(171, ['--max-buffered-bytes', String(NODE_BUFFER_BYTES)]);
  let node: NodeHandle;
  beforeAll(() => (node = nodeOf()));

  it.each(PATHS)('give their budget back: %s', async (_path, contentType) => {
    for (let i = 0; i < STREAMS; i++) {
      const attacker = openStream(node.url, '/quorumkv.v1.KvService/Session', contentType, { read: false });
      attacker.stream.write(sessionGets(1, 8, enc('big')));
      // Long enough for the Gets to run and their results to wait unread.
      await sleep(300);
      attacker.close();
      await within(attacker.closed, 2_000);
    }
    // Well-behaved clients on fresh streams of either path, reading everything: the node's
    // budget is shared, so a leak by one path would starve both.
    for (const [, probeType] of PATHS) {
      const probe = openStream(node.url, '/quorumkv.v1.KvService/Session', probeType, { read: true });
      probe.stream.end(sessionGets(1, 1, enc('small')));
      const end = await within(probe.closed, 5_000);
      probe.close();
      process.stdout.write(`after ${STREAMS} reset ${contentType} streams, a fresh ${probeType} stream's Get ${end ? `answered ${end.body.length} bytes` : 'got nothing within 5 s'}\n`);
      expect(end?.body.length).toBeGreaterThan(0);
    }
  }, 30_000);
});
