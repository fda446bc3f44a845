#!/usr/bin/env node
// The quorumkv-server binary: load and validate config, run a node, stop cleanly on SIGTERM/SIGINT.
import { ConfigError, loadConfig } from '../config/load-config.js';
import { QuorumNode } from '../node.js';
import { startCpuProfile } from '../observability/cpu-profile.js';

async function main(): Promise<void> {
  let loaded;
  try {
    loaded = loadConfig(process.argv.slice(2));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`quorumkv-server: ${err.message}\n`);
      process.exit(2);
    }
    const e = err as { code?: string; exitCode?: number; message: string };
    if (e.code?.startsWith('commander.')) process.exit(e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2);
    throw err;
  }
  if (loaded.printConfig) {
    process.stdout.write(JSON.stringify(loaded.config, null, 2) + '\n');
    return;
  }
  // A node whose leave finished stops by itself, as after SIGTERM; a force-removed one stops with
  // exit code 3 (its data dir is stale: it must be wiped before the node joins again).
  const config = loaded.config;
  // A node started alone that took a proposed cluster (cluster create) stops and starts again on it:
  // every layer is built from the cluster it belongs to.
  const events = { onLeft: () => stop('left the cluster'), onRemoved: () => stop('removed from the cluster', 3), onAdopted: () => void restart() };
  let node: QuorumNode = new QuorumNode(config, events);
  const profilePath = process.env['QKV_CPU_PROFILE'];
  const stopProfile = profilePath ? startCpuProfile(profilePath.replace('%p', String(process.pid))) : undefined;
  let stopping = false;
  const stop = (signal: string, exitCode = 0): void => {
    if (stopping) return;
    stopping = true;
    node.log.info({ signal }, 'stopping');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    node
      .stop()
      .then(() => stopProfile?.())
      .then(
      () => process.exit(exitCode),
      () => process.exit(1),
    );
  };
  const restart = async (): Promise<void> => {
    if (stopping) return;
    try {
      await node.stop();
      if (stopping) return process.exit(0);
      node = new QuorumNode(config, events);
      await node.start();
    } catch (err) {
      process.stderr.write(`quorumkv-server: cannot restart on the new cluster: ${(err as Error).message}\n`);
      process.exit(1);
    }
  };
  // Background work (read repair, hint delivery, reaping) is fire-and-forget; a failure there is
  // logged, never allowed to take the node down with requests in flight.
  process.on('unhandledRejection', (err) => node.log.error({ error: err instanceof Error ? err.message : String(err) }, 'background task failed'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  try {
    await node.start();
  } catch (err) {
    process.stderr.write(`quorumkv-server: cannot start: ${(err as Error).message}\n`);
    await node.stop().catch(() => undefined);
    process.exit(1);
  }
}

void main();
