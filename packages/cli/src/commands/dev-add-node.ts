// quorumkv dev add-node: one more node for a running `quorumkv dev` cluster. It knows only a seed
// (node-1) and joins by itself (--auto-join): the claimant stages and commits its join, and its
// share of the partitions is handed off to it while the others keep serving.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '@quorumkv/client/node';
import { NodeHandle, locateServer } from '@quorumkv/harness';
import type { Command } from 'commander';
import { globals } from '../context.js';
import { CliExit, ExitCode } from '../exit-codes.js';
import { fields, toJson, type Output } from '../output.js';
import { nodeAddress } from '../parse.js';
import { untilStopped } from './until-stopped.js';

interface AddNodeFlags {
  basePort: number;
  dataDir: string;
  seed?: string;
  verbose?: boolean;
}

/** How long add-node waits for the new node to own partitions. */
const OWN_TIMEOUT_MS = 120_000;

/** The first node-N whose data dir does not exist yet under `dataDir`. */
function nextIndex(dataDir: string): number {
  let n = 1;
  while (existsSync(join(dataDir, `node-${n}`))) n++;
  return n;
}

/** Polls the seed's ring until `id` owns partitions; answers how many (0 when time ran out). */
async function partitionsOwned(seed: string, id: string): Promise<number> {
  const client = createClient({ nodes: [seed], routing: false, timeoutMs: 5_000 });
  try {
    const until = Date.now() + OWN_TIMEOUT_MS;
    while (Date.now() < until) {
      const ring = await client.admin.ring().catch(() => undefined);
      const owned = ring?.ownership.find((o) => o.nodeId === id)?.partitions ?? 0;
      if (owned > 0) return owned;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return 0;
  } finally {
    client.close();
  }
}

/** Adds `add-node` under `dev`. */
export function registerDevAddNode(dev: Command, out: Output): void {
  dev
    .command('add-node')
    .description(
      "start one more node (node-N) that joins the running dev cluster by itself (--seeds and --auto-join) and receives its share of the data; runs until Ctrl-C. Takes dev's --base-port, --data-dir and --verbose (node-N listens on base + N - 1)",
    )
    .option('--seed <host:port>', 'a member to learn the cluster from (default: node-1)', nodeAddress)
    .action(async (own: { seed?: string }, cmd: Command) => {
      // --base-port, --data-dir and --verbose are dev's options: commander gives them to `dev`
      // wherever they appear on the line.
      const f: AddNodeFlags = { ...(cmd.parent!.opts() as Omit<AddNodeFlags, 'seed'>), ...own };
      const g = globals(cmd);
      const server = locateServer();
      if (!server) throw new CliExit('cannot find quorumkv-server: set QKV_SERVER_BIN, install @quorumkv/server, or put it on PATH', ExitCode.Error);
      if (existsSync(join(f.dataDir, 'tls'))) throw new CliExit(`${f.dataDir} holds a --secure dev cluster: add-node starts plaintext nodes only`, ExitCode.Usage);
      const index = nextIndex(f.dataDir);
      const id = `node-${index}`;
      const address = `127.0.0.1:${f.basePort + index - 1}`;
      const seed = f.seed ?? `127.0.0.1:${f.basePort}`;
      const dataDir = join(f.dataDir, id);
      // The node must be started with the cluster's partitions and n: ask the seed for them.
      const seedClient = createClient({ nodes: [seed], routing: false, timeoutMs: 5_000 });
      const cluster = await seedClient.admin.status().finally(() => seedClient.close()).catch((err: unknown) => {
        throw new CliExit(`cannot reach the seed ${seed} (is \`quorumkv dev\` running with --base-port ${f.basePort}?): ${(err as Error).message}`, ExitCode.Error);
      });
      const node = new NodeHandle({
        id,
        host: '127.0.0.1',
        port: f.basePort + index - 1,
        dataDir,
        server,
        logFile: join(f.dataDir, `${id}.log`),
        args: ['--node-id', id, '--listen', address, '--data-dir', dataDir, '--seeds', seed, '--partitions', String(cluster.partitionCount), '--n', String(cluster.n), '--auto-join', '--log-level', 'info'],
        ...(f.verbose ? { onLog: (line: string) => out.err(`[${id}] ${line}`) } : {}),
        onExit: (code, signal) => out.err(`warning: ${id} exited (${signal ?? `code ${code}`})`),
      });
      node.start();
      try {
        await node.waitReady(30_000);
      } catch (err) {
        await node.stop();
        throw new CliExit(`${id} did not become ready: ${(err as Error).message} (see ${node.logFile})`, ExitCode.Error);
      }
      const partitions = await partitionsOwned(seed, id);
      const info = { id, address, dataDir, log: node.logFile!, pid: node.pid, seed, partitions };
      if (g.json) out.out(toJson({ ready: true, node: info }));
      else {
        out.out(
          fields([
            ['node', `${id} at ${address} (data ${dataDir}, log ${info.log})`],
            ['joined', partitions > 0 ? `owns ${partitions} partitions; their data moves to it now` : `not an owner yet (a change may be in progress): see \`quorumkv cluster status\``],
            ['watch', `npx quorumkv cluster transfers --watch   (Ctrl-C here stops ${id})`],
          ]),
        );
      }
      await untilStopped(out, id, { stop: () => node.stop(10_000), killNow: () => void node.kill('SIGKILL') });
    });
}
