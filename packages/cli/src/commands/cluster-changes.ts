// quorumkv cluster join | leave | replace | force-remove | move | plan | commit | clear: staged
// membership changes. Any node takes them to the claimant, which stages them, shows the plan and
// commits it.
import type { ClusterPlanInfo, QuorumKvClient, StagedChanges } from '@quorumkv/client/node';
import type { Command } from 'commander';
import { emit, withClient } from '../context.js';
import { fields, table, type Output } from '../output.js';
import { partitionList, positiveInt } from '../parse.js';
import { formatBytes, formatSeconds } from '../transfers/transfer-report.js';

function stagedLine(s: StagedChanges): string {
  const parts = [
    ...s.joins.map((id) => `join ${id}`),
    ...s.leaves.map((id) => `leave ${id}`),
    ...s.replacements.map((r) => `replace ${r.oldNode} by ${r.newNode}`),
    ...s.forceRemoves.map((id) => `force-remove ${id}`),
    ...s.moves.map((m) => `move ${m.partitions.length} partition${m.partitions.length === 1 ? '' : 's'} to ${m.toNode}`),
  ];
  return parts.length === 0 ? 'nothing staged' : `staged: ${parts.join(', ')} (review with \`cluster plan\`, apply with \`cluster commit\`)`;
}

/** Copies, records and bytes to move, and how long at the configured rate. */
function transfersLine(p: ClusterPlanInfo): string {
  const rate = p.handoffBytesPerSecond > 0 ? `ETA ${formatSeconds(p.etaSeconds)} at ${formatBytes(p.handoffBytesPerSecond)}/s per sender, longer while the adaptive pace slows for client requests` : 'handoff unthrottled';
  const missing = p.statsMissing.length > 0 ? ` (no counts from ${p.statsMissing.join(', ')})` : '';
  return `${p.transfers} copies, ${p.keys} records, ${formatBytes(p.bytes)}; ${rate}${missing}`;
}

/** The plan in a few lines: routes of owner changes, data to move, balance, partitions per node after. */
export function planText(p: ClusterPlanInfo): string {
  const routes = new Map<string, number>();
  for (const m of p.moves) routes.set(`${m.fromNode} -> ${m.toNode}`, (routes.get(`${m.fromNode} -> ${m.toNode}`) ?? 0) + 1);
  const head = fields([
    ['ring', `version ${p.fromVersion} -> ${p.toVersion} (commit with --from-version ${p.fromVersion})`],
    ['staged', stagedLine(p.staged).replace(/^staged: /, '').replace(/ \(review.*$/, '')],
    ['owner changes', `${p.moves.length} partitions${routes.size > 0 ? `: ${[...routes].map(([r, n]) => `${r} ${n}`).join(', ')}` : ''}`],
    ['transfers', transfersLine(p)],
    ['balance', `max/mean partitions per weight ${p.balanceBefore.toFixed(2)} -> ${p.balanceAfter.toFixed(2)}`],
  ]);
  const rows = p.ownershipAfter.map((o) => [o.nodeId, o.partitions, `${(o.share * 100).toFixed(1)}%`]);
  return `${head}\n\n${table(['node', 'partitions after', 'share'], rows)}`;
}

/** Adds the membership-change commands to the `cluster` command. */
export function registerClusterChangeCommands(cluster: Command, out: Output): void {
  const stage = {
    join: 'stage a node (started with --seeds, so a live member) to join the ring',
    leave: 'stage a ring member to leave (its partitions move to the others before it goes)',
  } as const;
  for (const [verb, description] of Object.entries(stage) as ['join' | 'leave', string][]) {
    cluster
      .command(`${verb} <node>`)
      .description(description)
      .action(async (node: string, _f: unknown, cmd: Command) => {
        await withClient(cmd, async (client, g) => {
          const staged = await client.admin[verb](node);
          emit(out, g, staged, () => stagedLine(staged));
        });
      });
  }

  const staging = (run: (client: QuorumKvClient) => Promise<StagedChanges>) => async (cmd: Command) =>
    withClient(cmd, async (client, g) => {
      const staged = await run(client);
      emit(out, g, staged, () => stagedLine(staged));
    });

  cluster
    .command('replace <old> <new>')
    .description('stage ring member <old> to be replaced by <new> (started with --seeds): all its partitions go to <new>, nothing else moves')
    .action(async (old: string, node: string, _f: unknown, cmd: Command) => staging((c) => c.admin.replace(old, node))(cmd));

  cluster
    .command('force-remove <node>')
    .description('stage a dead ring member to be removed without handing off from it: its partitions are rebuilt from the surviving replicas (also ends a change whose joiner died)')
    .action(async (node: string, _f: unknown, cmd: Command) => staging((c) => c.admin.forceRemove(node))(cmd));

  cluster
    .command('move')
    .description('stage partitions to move to an active member (a manual reshard)')
    .requiredOption('--partitions <list>', 'partitions to move: 3, 3,7,12 or 0-15 (required)', partitionList)
    .requiredOption('--to <node>', 'the receiving ring member, by node id (required)')
    .action(async (f: { partitions: number[]; to: string }, cmd: Command) => staging((c) => c.admin.move(f.partitions, f.to))(cmd));

  cluster
    .command('plan')
    .description('what committing the staged changes would do: partitions that move, copies to make, balance before and after')
    .action(async (_f: unknown, cmd: Command) => {
      await withClient(cmd, async (client, g) => {
        const p = await client.admin.plan();
        emit(out, g, p, () => planText(p));
      });
    });

  cluster
    .command('commit')
    .description('apply the staged changes: the claimant publishes the next ring version and the data moves')
    .option('--from-version <v>', 'the ring version the plan was made for (refused if the ring moved on); 0 accepts any', positiveInt, 0)
    .action(async (f: { fromVersion: number }, cmd: Command) => {
      await withClient(cmd, async (client, g) => {
        const version = await client.admin.commit(f.fromVersion);
        emit(out, g, { ringVersion: version }, () => `committed: ring version ${version}; data moves now (watch \`cluster status\`)`);
      });
    });

  cluster
    .command('clear')
    .description('drop the staged changes')
    .action(async (_f: unknown, cmd: Command) => {
      await withClient(cmd, async (client, g) => {
        const cleared = await client.admin.clear();
        emit(out, g, { cleared }, () => (cleared ? 'staged changes dropped' : 'nothing was staged'));
      });
    });
}
