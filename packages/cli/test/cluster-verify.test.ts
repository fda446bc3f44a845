// Issue #16, observation 3 and `cluster verify`: a node started with another --partitions (or --n)
// than the rest derives another cluster definition, hence another cluster id. The cluster refuses
// it (it never counts as a live member), and `quorumkv cluster verify` names it with its partitions
// and n. The old node joined gossip as alive, its puts failed their quorum with only warnings in
// the logs, and verify (versions only) said healthy.
import { rmSync } from 'node:fs';
import { startCluster, type Cluster } from '@quorumkv/harness';
import { runCli, runJson } from './run-cli.js';

let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster({ nodes: 3, partitions: 64, hostBase: 165, nodeArgs: { 2: ['--partitions', '128'] } });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('cluster verify with a misconfigured node', () => {
  it('a node started with other --partitions is never a live member, and verify names it and its partitions', async () => {
    const [n1, , n3] = cluster.nodes;
    const node = ['--node', n1!.address];
    // Long enough for several probe, gossip and push-pull rounds.
    await sleep(3_000);
    const members = await runJson<{ members: { id: string; liveness: string }[] }>([...node, 'cluster', 'status']);
    expect(members.json.members.find((m) => m.id === 'n3')?.liveness).not.toBe('alive');

    const human = await runCli([...node, 'cluster', 'verify']);
    expect(human.code).toBe(3);
    expect(human.stdout).toMatch(/n3: belongs to cluster [0-9a-f]{16} \(partitions 128, n 3\); n1 belongs to cluster [0-9a-f]{16} \(partitions 64, n 3\)/);
    const json = await runJson<{ healthy: boolean; ringDisagreements: string[] }>([...node, 'cluster', 'verify']);
    expect(json.json.healthy).toBe(false);
    expect(json.json.ringDisagreements).toEqual([expect.stringMatching(/^n3: belongs to cluster .* \(partitions 128, n 3\)/)]);
    // The node itself says, in one line, that the others refuse it.
    expect(n3!.logs()).toMatch(/refuses this node as belonging to another cluster/);
  });

  it('a node started with another --n is reported with its n', async () => {
    const n3 = cluster.nodes[2]!;
    await n3.stop();
    rmSync(n3.dataDir!, { recursive: true, force: true });
    n3.start(['--partitions', '64', '--n', '2']);
    await n3.waitReady();
    const json = await runJson<{ healthy: boolean; ringDisagreements: string[] }>(['--node', cluster.nodes[0]!.address, 'cluster', 'verify']);
    expect(json.json.healthy).toBe(false);
    expect(json.json.ringDisagreements).toEqual([expect.stringMatching(/^n3: belongs to cluster .* \(partitions 64, n 2\)/)]);
  });
});
