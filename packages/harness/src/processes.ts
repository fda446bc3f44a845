// The processes the harness started, and how they end: stopped by pid (SIGTERM, then SIGKILL after a
// bounded grace), or, should the parent exit without stopping them, SIGKILLed synchronously from its
// 'exit' handler. Nothing here signals a process it did not start.
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** True while `child` has neither exited nor been killed by a signal (and it did spawn). */
export function isRunning(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

/**
 * Remembers `child` until it exits, so it is SIGKILLed if this process exits first (a test that
 * crashed, a benchmark that threw). Registers the one 'exit' handler on first use.
 */
export function killOnExit(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const c of live) if (isRunning(c)) c.kill('SIGKILL');
    });
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/**
 * Stops `child`: SIGCONT (a paused process cannot act on SIGTERM), SIGTERM, and SIGKILL if it has not
 * exited after `graceMs`. Resolves once it has exited; at once when it is not running.
 */
export async function stopProcess(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (!isRunning(child)) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.kill('SIGCONT');
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    if (isRunning(child)) child.kill('SIGKILL');
  }, graceMs);
  await exited;
  clearTimeout(timer);
}
