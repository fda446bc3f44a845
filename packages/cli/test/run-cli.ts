// Runs the built `quorumkv` binary as a separate process, the way scripts use it.
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The built CLI entry. */
export const cliBin = resolve(here, '../dist/bin/quorumkv.js');

/** What a run printed and how it exited. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `quorumkv ...args`; `stdin` is piped in when given (else stdin is empty). */
export function runCli(args: string[], options: { stdin?: string | Uint8Array; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [cliBin, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '', QKV_NODE: '', ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

/** Runs and parses stdout as JSON (throws with the output when it is not JSON). */
export async function runJson<T = Record<string, unknown>>(args: string[], options?: Parameters<typeof runCli>[1]): Promise<{ code: number | null; json: T; stderr: string }> {
  const r = await runCli([...args, '--json'], options);
  try {
    return { code: r.code, json: JSON.parse(r.stdout) as T, stderr: r.stderr };
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
}
