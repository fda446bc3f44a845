// Processes and temp dirs the peer benchmark creates, so that every one of them is stopped by pid
// and removed: on a normal stop (SIGTERM, then SIGKILL after a grace period), and as a last resort
// synchronously on process exit (SIGKILL, rm), with @quorumkv/harness's process helpers. Nothing
// here signals a process it did not spawn.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killOnExit, stopProcess } from '@quorumkv/harness';

const children = new Set();
const dirs = new Set();

// The processes themselves are SIGKILLed at exit by the harness (killOnExit); the dirs are ours.
process.on('exit', () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A new temp dir under the OS temp dir, removed by {@link removeDir} or at exit. */
export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

/**
 * Spawns a long-running server process and tracks it. Its output goes to `logFile`'s fd if given
 * (opened by the caller), else is ignored.
 * @returns {import('node:child_process').ChildProcess}
 */
export function spawnTracked(cmd, args, { cwd, stdio = ['ignore', 'ignore', 'ignore'], env } = {}) {
  const child = spawn(cmd, args, { cwd, stdio, env });
  killOnExit(child);
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** Stops each of `procs` still running by pid (SIGTERM, SIGKILL after `graceMs`); resolves when all exited. */
export async function stopProcesses(procs, graceMs = 10_000) {
  await Promise.all(procs.map((p) => stopProcess(p, graceMs)));
}

/** Stops every tracked process and removes every tracked dir. */
export async function stopAllTracked() {
  await stopProcesses([...children]);
  for (const dir of [...dirs]) removeDir(dir);
}

const canListen = (port, host) =>
  new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, host, () => s.close(() => res(true)));
  });

/**
 * `count` distinct ports p with p and p + `offset` both free on `host` (Redis Cluster puts its bus
 * on port + 10000), drawn at random from [20000, 45000) and checked by binding them.
 */
export async function freePortPairs(count, offset, host = '127.0.0.1') {
  const ports = [];
  for (let tries = 0; ports.length < count; tries++) {
    if (tries > 1000) throw new Error(`no ${count} free port pairs (p, p+${offset}) on ${host}`);
    const p = 20000 + Math.floor(Math.random() * 25000);
    if (ports.some((q) => Math.abs(q - p) < 2)) continue;
    if ((await canListen(p, host)) && (await canListen(p + offset, host))) ports.push(p);
  }
  return ports;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
