// A private machine for commands that use fixed addresses: its own network namespace (its own
// 127.0.0.1, so 127.0.0.1:7070 is free whatever runs on this machine), its own `<root>/data` (a
// fresh temporary directory bind-mounted over it) and its own PID namespace (closing kills every
// process started inside). Built with unshare and nsenter (util-linux) and ip (iproute2), in a user
// namespace so that it needs no root.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What a command printed and how it exited. */
export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

// The namespace's first process; it only waits. Bounded, so a namespace leaked by a killed test run
// ends by itself.
const INIT_SECONDS = 900;

function collect(child: ChildProcess): { result: Promise<RunResult>; output: () => string } {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const result = new Promise<RunResult>((done, fail) => {
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
  return { result, output: () => stdout + stderr };
}

/** A namespace; `cwd` is where commands start (`<cwd>/data` is private to the namespace). */
export class NetNamespace {
  private constructor(
    private readonly unshare: ChildProcess,
    private readonly initPid: number,
    private readonly dataDir: string,
    readonly cwd: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  static async open(cwd: string, env: NodeJS.ProcessEnv): Promise<NetNamespace> {
    const dataDir = mkdtempSync(join(tmpdir(), 'qkv-ns-data-'));
    mkdirSync(join(cwd, 'data'), { recursive: true });
    const script = `ip link set lo up && mount --bind "$1" "$2" && echo ready && exec sleep ${INIT_SECONDS}`;
    const unshare = spawn(
      'unshare',
      ['--user', '--map-root-user', '--net', '--mount', '--pid', '--fork', '--kill-child', 'sh', '-c', script, 'init', dataDir, join(cwd, 'data')],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const { result, output } = collect(unshare);
    await new Promise<void>((ready, fail) => {
      unshare.stdout!.on('data', () => output().includes('ready') && ready());
      void result.then((r) => fail(new Error(`unshare exited (${r.code}): ${r.stderr}`)), fail);
    });
    const children = readFileSync(`/proc/${unshare.pid}/task/${unshare.pid}/children`, 'utf8').trim();
    return new NetNamespace(unshare, Number(children.split(' ')[0]), dataDir, cwd, env);
  }

  private spawnInside(script: string): ChildProcess {
    return spawn(
      'nsenter',
      ['--target', String(this.initPid), '--user', '--net', '--mount', '--pid', '--preserve-credentials', 'bash', '-c', `cd "$1" && ${script}`, 'sh', this.cwd],
      { stdio: ['ignore', 'pipe', 'pipe'], env: this.env },
    );
  }

  /** Runs a bash script inside to its end; killed after `timeoutMs`. */
  async run(script: string, timeoutMs: number): Promise<RunResult> {
    const child = this.spawnInside(script);
    const { result } = collect(child);
    // What it started inside stays until close().
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    try {
      return await result;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Starts a command inside and resolves once its output (stdout and stderr) matches `ready`;
   * rejects when it exits first or `timeoutMs` passes. `stop(signal)` signals its whole process
   * group, as Ctrl-C in a terminal does, and resolves with how the command exited.
   */
  async start(command: string, ready: RegExp, timeoutMs: number): Promise<{ output: () => string; stop: (signal?: NodeJS.Signals) => Promise<RunResult> }> {
    // A job of its own (bash job control gives it a process group), waited for by the shell, so
    // its exit status is nsenter's.
    const child = this.spawnInside(`set -m; ${command} & echo "job $!" >&2; wait $!`);
    const { result, output } = collect(child);
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`not ready after ${timeoutMs} ms: ${output()}`)), timeoutMs);
      const check = (): void => {
        if (!ready.test(output())) return;
        clearTimeout(timer);
        done();
      };
      child.stdout!.on('data', check);
      child.stderr!.on('data', check);
      void result.then((r) => {
        clearTimeout(timer);
        fail(new Error(`exited (${r.code}) before it was ready: ${r.stdout}${r.stderr}`));
      });
    });
    const job = /job (\d+)/.exec(output())![1];
    const stop = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<RunResult> => {
      await this.run(`kill -s ${signal.slice(3)} -- -${job}`, 10_000);
      return result;
    };
    return { output, stop };
  }

  /** Kills every process inside and removes the namespace's data directory. */
  async close(): Promise<void> {
    const exited = new Promise((done) => (this.unshare.exitCode !== null ? done(undefined) : this.unshare.once('exit', done)));
    try {
      // SIGKILL to a PID namespace's first process ends every process in it.
      process.kill(this.initPid, 'SIGKILL');
    } catch {
      // already gone
    }
    await exited;
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
