// quorumkv dev: a local cluster of real server processes, stopped cleanly on Ctrl-C / SIGTERM.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { issueTokens, locateServer, startCluster } from '@quorumkv/harness';
import type { Command } from 'commander';
import { DEFAULT_NODE, globals } from '../context.js';
import { CliExit, ExitCode } from '../exit-codes.js';
import { table, toJson, type Output } from '../output.js';
import { port, positiveInt } from '../parse.js';
import { registerDevAddNode } from './dev-add-node.js';
import { untilStopped } from './until-stopped.js';

interface DevFlags {
  nodes: number;
  basePort: number;
  dataDir: string;
  partitions?: number;
  verbose?: boolean;
  secure?: boolean;
}

/** Adds `dev` to `program`. */
export function registerDevCommand(program: Command, out: Output): void {
  const dev = program
    .command('dev')
    .description('run a local cluster of quorumkv-server processes on 127.0.0.1 until Ctrl-C')
    .option('--nodes <n>', 'number of nodes', positiveInt, 3)
    .option('--base-port <port>', 'port of node-1; node-N listens on base + N - 1', port, 7070)
    .option('--data-dir <dir>', 'data directory (node-N below it)', './data/dev')
    .option('--partitions <q>', "partitions of the new ring, a power of two (default: the server's)", positiveInt)
    .option('--verbose', "print the nodes' logs on stderr")
    .option('--secure', 'TLS, mutual TLS between nodes (a new cluster CA) and client tokens (a new admin token)')
    .action(async (f: DevFlags, cmd: Command) => {
      const g = globals(cmd);
      const server = locateServer();
      if (!server) {
        throw new CliExit('cannot find quorumkv-server: set QKV_SERVER_BIN, install @quorumkv/server, or put it on PATH', ExitCode.Error);
      }
      // The same topology as docker-compose.yml: node-N on 127.0.0.1, port base + N - 1, data and
      // logs kept under the data dir. (Should this process die without cleaning up, the harness
      // SIGKILLs the nodes from its exit handler.)
      const admin = f.secure ? writeAdminToken(f.dataDir) : undefined;
      const cluster = await startCluster({
        server,
        nodes: f.nodes,
        hosts: Array.from({ length: f.nodes }, () => '127.0.0.1'),
        basePort: f.basePort,
        idPrefix: 'node-',
        dataDir: f.dataDir,
        logFiles: true,
        logLevel: 'info',
        ...(f.partitions !== undefined ? { partitions: f.partitions } : {}),
        ...(admin ? { secure: true, extraArgs: ['--token-file', admin.tokenFile] } : {}),
        ...(f.verbose ? { onLog: (id: string, line: string) => out.err(`[${id}] ${line}`) } : {}),
        onExit: (id, code, signal) => out.err(`warning: ${id} exited (${signal ?? `code ${code}`})`),
      });

      const nodes = cluster.nodes.map((n) => ({ id: n.id, address: n.address, dataDir: n.dataDir!, log: n.logFile!, pid: n.pid }));
      const secure = admin && cluster.tls ? { ca: cluster.tls.caFile, token: admin.token, tokenFile: admin.tokenFile } : undefined;
      if (g.json) out.out(toJson({ ready: true, nodes, ...(secure ? { secure } : {}) }));
      else {
        out.out(`quorumkv dev: ${nodes.length} nodes ready (server ${server.path})\n${table(['id', 'address', 'data dir', 'log'], nodes.map((n) => [n.id, n.address, n.dataDir, n.log]))}`);
        // Commands a newcomer can paste as printed in another terminal (npx finds the workspace's bin).
        const node = nodes[0]!.address === DEFAULT_NODE ? '' : ` --node ${nodes[0]!.address}`;
        const flags = secure ? ` --ca ${secure.ca} --token ${secure.token}` : '';
        out.out(`try, in another terminal: npx quorumkv${node}${flags} put greeting hello && npx quorumkv${node}${flags} get greeting   (Ctrl-C stops the cluster)`);
      }

      await untilStopped(out, `${nodes.length} nodes`, { stop: () => cluster.stop(10_000), killNow: () => cluster.killNow() });
    });
  registerDevAddNode(dev, out);
}

/** A new admin token for a secure dev cluster, and the token file granting it, under `dataDir`. */
function writeAdminToken(dataDir: string): { token: string; tokenFile: string } {
  const issued = issueTokens([{ name: 'admin', scopes: ['read', 'write', 'admin'] }]);
  mkdirSync(dataDir, { recursive: true });
  const tokenFile = join(dataDir, 'tokens.json');
  writeFileSync(tokenFile, issued.fileText, { mode: 0o600 });
  return { token: issued.tokens['admin']!, tokenFile };
}
