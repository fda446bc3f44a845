/**
 * Crash safety for real: a child process writes through the LMDB engine (durability `sync`) with
 * many writes in flight and reports each acknowledged key; the parent SIGKILLs it mid-stream,
 * reopens the data directory and checks every acknowledged key is there with its value. Repeated
 * 20 times on the same directory, so recovery after recovery is exercised too.
 *
 * SIGKILL loses the process, not the machine: it proves acknowledged writes were committed, and
 * that a commit interrupted at any point leaves a consistent store. The fsync half of `sync` (power
 * loss) cannot be tested from a process; it rests on waiting for lmdb-js's `flushed`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openLmdbEngine } from '../src/lmdb-engine.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROUNDS = 20;
const enc = new TextEncoder();
const partitioner = (_bucket: Uint8Array, key: Uint8Array): number => key.reduce((h, x) => (h * 31 + x) >>> 0, 7) % 64;
const valueFor = (key: string): string => `${key}|`.repeat(Math.ceil(600 / (key.length + 1)));

/** Builds dist/ when it is missing or older than a source file (nx's dependsOn covers `nx test`). */
function ensureBuilt(): void {
  const newest = (dir: string): number =>
    Math.max(0, ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)));
  let built = 0;
  try {
    built = statSync(join(packageDir, 'dist', 'index.js')).mtimeMs;
  } catch {
    built = 0;
  }
  if (built < newest(join(packageDir, 'src'))) {
    execFileSync(process.execPath, [join(packageDir, '..', '..', 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.lib.json'], { cwd: packageDir, stdio: 'inherit' });
  }
}

/** Runs one child until it has acknowledged `killAfter` writes, SIGKILLs it, returns every acked key. */
function crashOnce(dir: string, round: number, killAfter: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(packageDir, 'test', 'crash-worker.mjs'), dir, String(round)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: string[] = [];
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) if (line.startsWith('ack ')) acked.push(line.slice(4));
      if (acked.length >= killAfter && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    // 'close' fires after stdout is drained: acks printed before the kill are all counted.
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`worker exited on its own (code ${code}): ${stderr}`));
      else resolve(acked);
    });
  });
}

describe('crash safety', () => {
  let dir: string;
  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'qkv-crash-'));
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(`keeps every acknowledged write across ${ROUNDS} SIGKILLs mid-stream`, async () => {
    const allAcked: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Vary the kill point so it lands in different phases of the batched commits.
      const acked = await crashOnce(dir, round, 50 + ((round * 97) % 400));
      expect(acked.length).toBeGreaterThan(0);
      allAcked.push(...acked);
      const engine = await openLmdbEngine({ path: dir, partitionCount: 64, partitioner });
      try {
        const missing = allAcked.filter((key) => {
          const record = engine.get(enc.encode('crash'), enc.encode(key));
          return record === undefined || new TextDecoder().decode(record.value) !== valueFor(key);
        });
        expect(missing).toEqual([]);
      } finally {
        await engine.close();
      }
    }
  }, 60_000);
});
