// Growing a cluster from the command line: a node started with only --seeds is joined with
// `cluster join`, reviewed with `cluster plan`, applied with `cluster commit`; a node started with
// --auto-join joins with no command at all. Bad requests are refused in one line, changing nothing.
import { join } from 'node:path';
import { NodeHandle, freePort, startCluster, type Cluster } from '@quorumkv/harness';
import { runCli, runJson } from './run-cli.js';

const HOST_BASE = 116;
const FLAGS = ['--partitions', '64', '--n', '3', '--gossip-interval-ms', '200', '--log-level', 'warn'];

let cluster: Cluster;
const extra: NodeHandle[] = [];

beforeAll(async () => {
  cluster = await startCluster({ nodes: 3, partitions: 64, hostBase: HOST_BASE, extraArgs: ['--gossip-interval-ms', '200'] });
}, 60_000);

afterAll(async () => {
  await Promise.all(extra.map((n) => n.stop()));
  await cluster?.stop();
});

/** Starts node `id` on 127.0.0.(HOST_BASE + index) knowing only a seed. */
async function startJoiner(id: string, index: number, more: string[] = []): Promise<NodeHandle> {
  const host = `127.0.0.${HOST_BASE + index}`;
  const port = await freePort(host);
  const dataDir = join(cluster.dataDir, id);
  const node = new NodeHandle({ id, host, port, dataDir, args: ['--node-id', id, '--listen', `${host}:${port}`, '--data-dir', dataDir, '--seeds', cluster.addresses[1]!, ...FLAGS, ...more] });
  extra.push(node);
  node.start();
  await node.waitReady(30_000);
  return node;
}

interface RingJson {
  version: number;
  ownership: { nodeId: string; partitions: number }[];
}

/** Polls `cluster ring --json` on `node` until `done` holds (bounded). */
async function ringUntil(node: string, done: (r: RingJson) => boolean, timeoutMs = 60_000): Promise<RingJson> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = (await runJson<RingJson>(['--node', node, 'cluster', 'ring'])).json;
    if (done(r)) return r;
    if (Date.now() > until) throw new Error(`ring not as expected: ${JSON.stringify(r.ownership)}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

describe('cluster join | plan | commit', () => {
  it('joins a node started with --seeds through staged changes, and refuses bad requests in one line', async () => {
    const node = ['--node', cluster.addresses[0]!];
    const nothing = await runCli([...node, 'cluster', 'commit']);
    expect(nothing.code).toBe(4);
    expect(nothing.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: .*nothing staged/)]);
    const unknown = await runCli([...node, 'cluster', 'join', 'n9']);
    expect(unknown.stderr).toMatch(/n9 is not a live member of this cluster/);
    expect((await runCli([...node, 'cluster', 'leave', 'n9'])).stderr).toMatch(/n9 is not a ring member/);

    await startJoiner('n4', 3);
    const joinAttempt = async (): Promise<{ code: number | null; stdout: string }> => runCli([...node, 'cluster', 'join', 'n4']);
    let joined = await joinAttempt();
    for (let i = 0; i < 50 && joined.code !== 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      joined = await joinAttempt();
    }
    expect(joined.stdout).toMatch(/staged: join n4/);
    const plan = await runJson<{ fromVersion: number; toVersion: number; moves: { toNode: string }[]; balanceAfter: number }>([...node, 'cluster', 'plan']);
    expect(plan.json.moves.length).toBeGreaterThan(0);
    expect(plan.json.moves.every((m) => m.toNode === 'n4')).toBe(true);
    const human = await runCli([...node, 'cluster', 'plan']);
    expect(human.stdout).toMatch(new RegExp(`owner changes:\\s+${plan.json.moves.length} partitions: n\\d -> n4`));
    const commit = await runCli([...node, 'cluster', 'commit', '--from-version', String(plan.json.fromVersion)]);
    expect(commit.stdout).toMatch(new RegExp(`committed: ring version ${plan.json.toVersion}`));
    const ring = await ringUntil(cluster.addresses[2]!, (r) => r.ownership.some((o) => o.nodeId === 'n4' && o.partitions === plan.json.moves.length) && r.version > plan.json.toVersion);
    expect(ring.ownership.map((o) => o.nodeId).sort()).toEqual(['n1', 'n2', 'n3', 'n4']);
    // A stale plan is refused.
    await runCli([...node, 'cluster', 'leave', 'n4']);
    const stale = await runCli([...node, 'cluster', 'commit', '--from-version', String(plan.json.fromVersion)]);
    expect(stale.stderr).toMatch(/plan again/);
    expect((await runJson<{ cleared: boolean }>([...node, 'cluster', 'clear'])).json.cleared).toBe(true);
  }, 120_000);

  it('a node started with --seeds and --auto-join becomes an owner with no other command', async () => {
    await startJoiner('n5', 4, ['--auto-join']);
    const ring = await ringUntil(cluster.addresses[0]!, (r) => (r.ownership.find((o) => o.nodeId === 'n5')?.partitions ?? 0) > 0);
    expect(ring.ownership.map((o) => o.nodeId).sort()).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
  }, 120_000);

  it('moves partitions by hand through plan and commit, and refuses replace, move and force-remove of the wrong nodes', async () => {
    const node = ['--node', cluster.addresses[1]!];
    const refused = async (args: string[], message: RegExp): Promise<void> => {
      const r = await runCli([...node, 'cluster', ...args]);
      expect({ args, code: r.code, lines: r.stderr.trim().split('\n') }).toEqual({ args, code: 4, lines: [expect.stringMatching(message)] });
    };
    await refused(['replace', 'n9', 'n4'], /^error: .*old_node_id: node n9 is not a ring member/);
    await refused(['replace', 'n2', 'n7'], /^error: .*new_node_id: node n7 is not a live member of this cluster/);
    await refused(['move', '--partitions', '1', '--to', 'n9'], /^error: .*to_node: node n9 is not a ring member/);
    await refused(['move', '--partitions', '64', '--to', 'n1'], /^error: .*partitions: 64 is not in 0..63/);
    await refused(['force-remove', 'n3'], /^error: .*node_id: node n3 is up: use `cluster leave`/);
    const badList = await runCli([...node, 'cluster', 'move', '--partitions', '3-1', '--to', 'n1']);
    expect(badList.stderr).toMatch(/--partitions.*range 3-1 goes backwards/);
    expect((await runJson<{ cleared: boolean }>([...node, 'cluster', 'clear'])).json.cleared).toBe(false);

    const staged = await runCli([...node, 'cluster', 'move', '--partitions', '0-3', '--to', 'n1']);
    expect(staged.stdout).toMatch(/^staged: move 4 partitions to n1/);
    type Plan = { fromVersion: number; moves: { partition: number; toNode: string }[]; staged: { moves: { toNode: string; partitions: number[] }[] } };
    // The auto-join of the previous test may still be moving data: a plan waits for it to finish.
    let plan: Plan | undefined;
    for (let i = 0; i < 120 && plan === undefined; i++) {
      const r = await runCli([...node, 'cluster', 'plan', '--json']);
      if (r.code === 0) plan = JSON.parse(r.stdout) as Plan;
      else await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(plan!.staged.moves).toEqual([{ toNode: 'n1', partitions: [0, 1, 2, 3] }]);
    expect(plan!.moves.every((m) => m.partition <= 3 && m.toNode === 'n1')).toBe(true);
    const before = (await runJson<RingJson>([...node, 'cluster', 'ring'])).json;
    const n1Before = before.ownership.find((o) => o.nodeId === 'n1')!.partitions;
    expect((await runCli([...node, 'cluster', 'commit', '--from-version', String(plan!.fromVersion)])).code).toBe(0);
    await ringUntil(cluster.addresses[2]!, (r) => r.ownership.find((o) => o.nodeId === 'n1')?.partitions === n1Before + plan!.moves.length);
  }, 120_000);
});
