// quorumkv cluster transfers [--watch]: the handoff transfers of the change in progress, gathered
// from every ring member (each reports those it sends), with a progress bar each.
import type { HandoffInfo, QuorumKvClient } from '@quorumkv/client/node';
import type { Command } from 'commander';
import { withClient } from '../context.js';
import { toJson, type Output } from '../output.js';
import { durationMs } from '../parse.js';
import { TransferBars } from '../transfers/transfer-bars.js';
import { transferReport, type TransferReport } from '../transfers/transfer-report.js';

/** Asks the node for its ring, then every ring member for the transfers it sends. */
export async function gatherTransfers(client: QuorumKvClient): Promise<TransferReport> {
  const ring = await client.admin.ring();
  const answers = await Promise.allSettled(ring.nodes.map((n) => client.admin.status({ node: n.address })));
  const handoffs: HandoffInfo[] = [];
  const unreachable: string[] = [];
  answers.forEach((a, i) => {
    if (a.status === 'fulfilled') handoffs.push(...a.value.handoffs);
    else unreachable.push(ring.nodes[i]!.id);
  });
  return transferReport({ ringVersion: ring.version, ...(ring.transition ? { transition: ring.transition } : {}), handoffs, unreachable });
}

/** Adds `cluster transfers` to the `cluster` command. */
export function registerTransfersCommand(cluster: Command, out: Output): void {
  cluster
    .command('transfers')
    .description('handoff transfers of the change in progress: a progress bar each, keys and bytes done, rate, ETA, and why a failing one retries')
    .option('--watch', 'refresh until the change is done (with --json: one JSON document per line per refresh)')
    .option('--interval <duration>', 'time between refreshes with --watch', durationMs, 1000)
    .action(async (f: { watch?: boolean; interval: number }, cmd: Command) => {
      await withClient(cmd, async (client, g) => {
        const bars = g.json ? undefined : new TransferBars(process.stdout);
        try {
          for (;;) {
            const report = await gatherTransfers(client);
            if (bars) bars.show(report);
            else out.out(f.watch ? JSON.stringify(report) : toJson(report));
            if (!f.watch || report.done) return;
            await new Promise((resolve) => setTimeout(resolve, f.interval));
          }
        } finally {
          bars?.stop();
        }
      });
    });
}
