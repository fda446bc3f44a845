import { spawn, type ChildProcess } from 'node:child_process';
import * as https from 'node:https';
import { HarnessError } from './harness-error.js';
import { NodeLog } from './node-log.js';
import { isRunning, killOnExit, stopProcess } from './processes.js';
import { locateServer, type ServerCommand } from './server-locator.js';

/** How to run one server process. */
export interface NodeHandleOptions {
  /** The node's id (for messages; the flags carry it to the server). */
  readonly id: string;
  /** Address it listens on: where {@link NodeHandle.url} points and `/readyz` is polled. */
  readonly host: string;
  readonly port: number;
  /** The server's flags, everything after the executable. */
  readonly args: readonly string[];
  /** Its data directory, for the caller's reference (pass it in `args` too). */
  readonly dataDir?: string;
  /** The executable; default {@link locateServer}'s answer. */
  readonly server?: ServerCommand;
  /** Working directory of the process. */
  readonly cwd?: string;
  /**
   * Environment added to this process's. `NODE_OPTIONS` is cleared unless set here: the parent's
   * (a test runner's `--experimental-vm-modules`, a debugger's `--inspect`) must not reach servers.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Append the node's output to this file. */
  readonly logFile?: string;
  /** Called with each line the node prints. */
  readonly onLog?: (line: string) => void;
  /** Called when the process ends without the harness having asked it to (a crash). */
  readonly onExit?: (code: number | null, signal: NodeJS.Signals | null) => void;
  /** The node serves TLS with a certificate this CA (PEM) signed: {@link NodeHandle.url} is https. */
  readonly tlsCa?: string;
}

/**
 * One `quorumkv-server` process, which can be started, stopped, killed, paused and restarted from
 * outside (faults come from outside the node). Output is kept: {@link logs} for a failing test.
 */
export class NodeHandle {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  readonly dataDir: string | undefined;
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  /** Set when the harness itself ends the process, so {@link NodeHandleOptions.onExit} stays quiet. */
  private ending = false;
  private readonly log: NodeLog;

  constructor(private readonly options: NodeHandleOptions) {
    this.id = options.id;
    this.host = options.host;
    this.port = options.port;
    this.dataDir = options.dataDir;
    this.log = new NodeLog({ ...(options.logFile ? { file: options.logFile } : {}), ...(options.onLog ? { onLine: options.onLog } : {}) });
  }

  /** `host:port`, as clients and `--initial-cluster` name it. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** Base URL for HTTP clients (https when the node serves TLS). */
  get url(): string {
    return `${this.options.tlsCa ? 'https' : 'http'}://${this.address}`;
  }

  /** The running process's id. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The file the node's output is appended to, when there is one. */
  get logFile(): string | undefined {
    return this.options.logFile;
  }

  get running(): boolean {
    return this.child !== undefined && isRunning(this.child);
  }

  /** The last lines the process printed (across restarts). */
  logs(): string {
    return this.log.text();
  }

  /** Starts the process, optionally with extra flags for this run only. */
  start(extraArgs: readonly string[] = []): void {
    if (this.running) throw new HarnessError('already-running', `${this.id} is already running (pid ${this.pid})`, this.id);
    const server = this.options.server ?? locateServer();
    if (!server) throw new HarnessError('server-not-found', 'cannot find quorumkv-server: build @quorumkv/server, set QKV_SERVER_BIN or put it on PATH', this.id);
    const child = spawn(server.command, [...server.args, ...this.options.args, ...extraArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '', ...this.options.env },
      ...(this.options.cwd ? { cwd: this.options.cwd } : {}),
    });
    killOnExit(child);
    child.stdout!.on('data', (chunk: Buffer) => this.log.write(chunk));
    child.stderr!.on('data', (chunk: Buffer) => this.log.write(chunk));
    this.ending = false;
    this.exited = new Promise((done) => {
      child.once('error', (err) => {
        this.log.note(`spawn failed: ${err.message}`);
        done();
      });
      child.once('exit', (code, signal) => {
        if (!this.ending) this.options.onExit?.(code, signal);
        done();
      });
    });
    this.child = child;
  }

  /** Resolves when `/readyz` answers 200; throws `exited` or `not-ready` with the last log lines. */
  async waitReady(timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new HarnessError('exited', `${this.id} exited while starting (${this.exitDescription()})${this.log.tail()}`, this.id);
      try {
        if ((await this.readyzStatus()) === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() >= until) throw new HarnessError('not-ready', `${this.id} not ready at ${this.url}/readyz after ${timeoutMs} ms${this.log.tail()}`, this.id);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** The status `/readyz` answers (over TLS trusting {@link NodeHandleOptions.tlsCa} when set). */
  private async readyzStatus(): Promise<number> {
    const ca = this.options.tlsCa;
    if (!ca) return (await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(1_000) })).status;
    return new Promise((resolve, reject) => {
      const req = https.get(`${this.url}/readyz`, { ca, timeout: 1_000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
    });
  }

  /**
   * Sends `signal` (default SIGKILL: a crash) and, for signals that end the process, waits for it to
   * exit. SIGSTOP and SIGCONT return at once (see {@link pause}, {@link resume}).
   */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.running) return;
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') {
      this.child!.kill(signal);
      return;
    }
    this.ending = true;
    this.child!.kill(signal);
    // A paused process acts on no signal but SIGKILL until it runs again.
    if (signal !== 'SIGKILL') this.child!.kill('SIGCONT');
    await this.exited;
  }

  /** Freezes the process (SIGSTOP): it keeps its sockets open but answers nothing. */
  pause(): void {
    if (this.running) this.child!.kill('SIGSTOP');
  }

  /** Lets a paused process run again (SIGCONT). */
  resume(): void {
    if (this.running) this.child!.kill('SIGCONT');
  }

  /** SIGTERM, then SIGKILL if the process has not exited after `graceMs`; resolves once it has. */
  async stop(graceMs = 5_000): Promise<void> {
    if (!this.running) return;
    this.ending = true;
    await stopProcess(this.child!, graceMs);
  }

  /**
   * Ends the process (`signal` SIGKILL by default, a crash; SIGTERM for a clean stop), starts it again
   * with the same flags plus `extraArgs`, and waits until it is ready.
   */
  async restart(options: { signal?: 'SIGKILL' | 'SIGTERM'; extraArgs?: readonly string[]; readyTimeoutMs?: number } = {}): Promise<void> {
    if (options.signal === 'SIGTERM') await this.stop();
    else await this.kill('SIGKILL');
    this.start(options.extraArgs);
    await this.waitReady(options.readyTimeoutMs);
  }

  private exitDescription(): string {
    const c = this.child;
    if (!c) return 'never started';
    if (c.pid === undefined) return 'did not spawn';
    return c.signalCode ? `signal ${c.signalCode}` : `code ${c.exitCode}`;
  }
}
