// quorumkv cluster status | ring | verify (and the membership changes of cluster-changes.ts)
import type { HintsInfo } from '@quorumkv/client';
import type { Command } from 'commander';
import { registerClusterChangeCommands } from './cluster-changes.js';
import { registerClusterCreateCommand } from './cluster-create.js';
import { registerTransfersCommand } from './transfers.js';
import { transferDetail, transferLabel, transferRow } from '../transfers/transfer-report.js';
import { emit, withClient } from '../context.js';
import { CliExit, ExitCode } from '../exit-codes.js';
import { fields, table, type Output } from '../output.js';
import { positiveInt } from '../parse.js';

function seconds(ms: number): string {
  return ms < 60_000 ? `${Math.round(ms / 1000)}s` : `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

/** `12 (3456 of 1073741824 bytes; 2 evicted, 0 expired, 1 refused); n3: 12, oldest 5s, down 40s (window closed)` */
function hintSummary(pending: number, h: HintsInfo): string {
  const totals = `${pending} (${h.bytes} of ${h.quotaBytes} bytes; ${h.evicted} evicted, ${h.expired} expired, ${h.refused} refused)`;
  const targets = h.targets.map(
    (t) => `${t.nodeId}: ${t.pending}${t.pending > 0 ? `, oldest ${seconds(t.oldestAgeMs)}` : ''}${t.downForMs > 0 ? `, down ${seconds(t.downForMs)}` : ''}${t.windowClosed ? ' (window closed)' : ''}`,
  );
  return [totals, ...targets].join('; ');
}

/** Adds `cluster status|ring|verify` to `program`. */
export function registerClusterCommands(program: Command, out: Output): void {
  const cluster = program.command('cluster').description('inspect the cluster and change its membership');
  registerClusterChangeCommands(cluster, out);
  registerClusterCreateCommand(cluster, out);
  registerTransfersCommand(cluster, out);

  cluster
    .command('status')
    .description("the node's view: members and their states, ring version and checksum, hints pending")
    .action(async (_f: unknown, cmd: Command) => {
      await withClient(cmd, async (client, g) => {
        const [status, members] = await Promise.all([client.admin.status(), client.admin.members()]);
        emit(out, g, { status, members }, () => {
          const head = fields([
            ['node', `${status.nodeId} (${status.ready ? 'ready' : 'not ready'}, up ${seconds(status.uptimeMs)}, version ${status.version})`],
            ['cluster', `${status.clusterId} (partitions ${status.partitionCount}, n ${status.n})`],
            ['ring', `version ${status.ringVersion}, checksum ${status.ringChecksum}`],
            ['claimant', status.claimant],
            ['members', `${status.aliveCount} alive of ${status.memberCount}`],
            ['hints pending', hintSummary(status.hintsPending, status.hints)],
            ['keys', `${status.keys}, ${status.partitionsOwned} partitions owned`],
            ['storage', `${status.bytes} of ${status.storageLimitBytes} bytes${status.storageFull ? ' (FULL: writes refused until room returns)' : ''}`],
            ['handoffs', status.handoffs.length === 0 ? 'none' : status.handoffs.map((h) => `\n  ${transferLabel(transferRow(h))}  ${transferDetail(transferRow(h))}`).join('')],
          ]);
          const rows = members.map((m) => [m.id, m.address, m.zone, m.state, m.liveness, m.weight]);
          return `${head}\n\n${table(['id', 'address', 'zone', 'state', 'liveness', 'weight'], rows)}`;
        });
      });
    });

  cluster
    .command('ring')
    .description('partitions per node and balance')
    .action(async (_f: unknown, cmd: Command) => {
      await withClient(cmd, async (client, g) => {
        const ring = await client.admin.ring();
        const counts = ring.ownership.map((o) => o.partitions);
        const ideal = ring.ownership.length > 0 ? ring.partitionCount / ring.ownership.length : 0;
        const max = counts.length > 0 ? Math.max(...counts) : 0;
        const min = counts.length > 0 ? Math.min(...counts) : 0;
        // Balance: the busiest node's load relative to an even split (1.00 is perfect).
        const balance = ideal > 0 ? max / ideal : 0;
        const json = {
          version: ring.version,
          partitionCount: ring.partitionCount,
          checksum: ring.checksum,
          defaultN: ring.defaultN,
          ownership: ring.ownership,
          balance: { min, max, ideal, maxOverIdeal: Number(balance.toFixed(4)) },
          nodes: ring.nodes,
        };
        emit(out, g, json, () => {
          const head = fields([
            ['ring', `version ${ring.version}, ${ring.partitionCount} partitions, checksum ${ring.checksum}, n ${ring.defaultN}`],
            ['balance', `min ${min}, max ${max}, ideal ${ideal.toFixed(1)} (max/ideal ${balance.toFixed(2)})`],
          ]);
          const rows = ring.ownership.map((o) => [o.nodeId, ring.nodes.find((n) => n.id === o.nodeId)?.address ?? '', o.partitions, `${(o.share * 100).toFixed(1)}%`]);
          return `${head}\n\n${table(['node', 'address', 'partitions', 'share'], rows)}`;
        });
      });
    });

  cluster
    .command('verify')
    .description('check every partition has n live, distinct replicas and every member has this cluster and ring (exit code 3 when not)')
    .option('--n <n>', "replicas to require (default: the default bucket's n)", positiveInt)
    .action(async (f: { n?: number }, cmd: Command) => {
      await withClient(cmd, async (client, g) => {
        const report = await client.admin.verify(f.n ?? 0);
        emit(out, g, report, () => {
          if (report.healthy) return `healthy: every partition has ${report.n} live, distinct replicas and all members agree on the ring`;
          const lines = [`NOT healthy (n ${report.n}): ${report.problems.length} partitions short of replicas, ${report.ringDisagreements.length} members disagreeing`];
          if (report.problems.length > 0) {
            lines.push(table(['partition', 'replicas', 'down', 'reason'], report.problems.map((p) => [p.partition, p.replicas.join(','), p.down.join(',') || '-', p.reason])));
          }
          if (report.ringDisagreements.length > 0) lines.push(`${report.ringDisagreements.length} members disagree with this node:`, ...report.ringDisagreements.map((d) => `  ${d}`));
          return lines.join('\n');
        });
        if (!report.healthy) throw new CliExit('cluster is not healthy', ExitCode.Unavailable);
      });
    });
}
