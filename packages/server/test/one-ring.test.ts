// Issue #16, observation 2: founders computed different rings (each knew only its own zone, and
// --weight was ignored): with zones z1/z2/z3 the three nodes had three checksums at version 1. Now
// the definition (--initial-cluster with each founder's zone and weight, plus partitions and n)
// gives every founder the same ring, and a node whose own settings disagree with it refuses to
// start with one line naming the setting.
import { Clients } from './support.js';
import { exitOf, founders, type Founders } from './founders.js';

describe('one ring from the cluster definition', () => {
  const clients = new Clients();
  let cluster: Founders | undefined;
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });
  afterAll(() => clients.close());

  it('three zones and weights 1/2/3: one checksum on every founder, and partitions shared by weight', async () => {
    cluster = await founders({
      hostBase: 157,
      specs: [
        { id: 'n1', attributes: ';zone=z1;weight=1' },
        { id: 'n2', attributes: ';zone=z2;weight=2' },
        { id: 'n3', attributes: ';zone=z3;weight=3' },
      ],
    });
    await cluster.startAll();
    const statuses = await Promise.all(cluster.nodes.map((n) => clients.of(n).admin.status({})));
    expect(new Set(statuses.map((s) => `${s.ringVersion}/${s.ringChecksum}`)).size).toBe(1);
    expect(new Set(statuses.map((s) => s.clusterId)).size).toBe(1);
    const ring = await clients.of(cluster.nodes[0]!).admin.ring({});
    const owned = Object.fromEntries(ring.ownership.map((o) => [o.nodeId, o.partitions]));
    // 64 partitions by weight 1:2:3 is 10.7 / 21.3 / 32, each within one partition of its share.
    expect(Math.abs(owned['n1']! - 64 / 6)).toBeLessThan(1);
    expect(Math.abs(owned['n2']! - 128 / 6)).toBeLessThan(1);
    expect(Math.abs(owned['n3']! - 32)).toBeLessThan(1);
    expect(ring.ring!.nodes.map((n) => `${n.id}:${n.zone}:${n.weight}`)).toEqual(['n1:z1:1', 'n2:z2:2', 'n3:z3:3']);

    // Restarted with settings the cluster was not defined with: refused, naming the setting.
    const n2 = cluster.nodes[1]!;
    await n2.stop();
    for (const [flags, said] of [
      [['--zone', 'z9'], /cannot start: zone: this node has --zone z9 but its cluster definition gives n2 zone z2/],
      [['--weight', '5'], /cannot start: weight: this node has --weight 5 but its cluster definition gives n2 weight 2/],
      [['--n', '2'], /cannot start: n: this node has --n 2 but its cluster was defined with n 3/],
    ] as const) {
      n2.start([...flags]);
      expect(await exitOf(n2)).toMatch(said);
    }
    n2.start(['--zone', 'z2', '--weight', '2']);
    await n2.waitReady();
  });

  it('per-node --zone flags with an --initial-cluster that names no zones: every founder refuses to start, naming zone', async () => {
    cluster = await founders({
      hostBase: 161,
      specs: [
        { id: 'n1', args: ['--zone', 'z1'] },
        { id: 'n2', args: ['--zone', 'z2'] },
        { id: 'n3', args: ['--zone', 'z3'] },
      ],
    });
    for (const node of cluster.nodes) node.start();
    for (const [i, node] of cluster.nodes.entries()) {
      const output = await exitOf(node);
      expect(output).toMatch(new RegExp(`cannot start: zone: this node has --zone z${i + 1} but its cluster definition gives n${i + 1} zone default`));
      expect(output.trim().split('\n').filter((l) => l.includes('cannot start'))).toHaveLength(1);
    }
  });
});
