// Docs as tests: the code blocks of the root README and of every package README run as printed,
// so a README cannot drift from the code. Conventions (CONTRIBUTING.md, "READMEs are tested"):
//
// - ```sh blocks run as one bash script (`set -euo pipefail`) from the repository root and must
//   exit 0; ```ts blocks are compiled (transpile only) and run with node from there, and each
//   `console.log(...); // X` line promises that X is printed (in order).
// - Tags after the language: `no-test` (not run: installs, the test suite itself, fragments that
//   need code around them), `with-cluster` (runs with `npm start`'s dev cluster up, as after the
//   quick start; other blocks run with it stopped by Ctrl-C), `serves` (each command serves until
//   stopped: it must log that its node serves, answer /readyz there, and stop listening after
//   Ctrl-C).
// - Every package README has at least one block that runs: its standalone example.
//
// The commands use fixed addresses (127.0.0.1:7070, ./data), so each README runs in a network
// namespace of its own (test/net-namespace.ts): its own loopback and its own ./data, whatever else
// runs on this machine. The npm start cluster is `npm start --ignore-scripts` (prestart only
// rebuilds what this test already depends on; rebuilding here would rewrite dist/ under the tests).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import ts from 'typescript';
import { codeBlocks, promisedOutput, shellCommands, type CodeBlock } from './markdown-blocks.js';
import { NetNamespace, type RunResult } from './net-namespace.js';

const root = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../../..');
const scratch = join(root, 'node_modules', '.cache', 'quorumkv-readme-test');
// Generous: every `npx quorumkv` starts a Node process, seconds each on a loaded 2-core machine.
const BLOCK_TIMEOUT_MS = 180_000;
const RUNNABLE = new Set(['sh', 'ts']);
const TAGS = new Set(['no-test', 'with-cluster', 'serves']);

const readmes = ['README.md', ...readdirSync(join(root, 'packages')).map((p) => join('packages', p, 'README.md'))];

// What a person's shell has: no npm-script PATH entries (node_modules/.bin), no jest or nx
// settings (nx sets FORCE_COLOR), no QKV_* settings of the machine running the tests.
const DROP = new Set(['NODE_OPTIONS', 'INIT_CWD', 'FORCE_COLOR']);
const env: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !k.startsWith('QKV_') && !k.startsWith('npm_') && !k.startsWith('NX_') && !DROP.has(k)),
);
env['PATH'] = (process.env['PATH'] ?? '')
  .split(delimiter)
  .filter((dir) => !dir.includes('node_modules'))
  .join(delimiter);

function describeRun(block: CodeBlock, r: RunResult): string {
  return `block at line ${block.line} exited ${r.code}\n--- code\n${block.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

async function runShell(ns: NetNamespace, block: CodeBlock): Promise<void> {
  const r = await ns.run(`set -euo pipefail\n${block.code}`, BLOCK_TIMEOUT_MS);
  if (r.code !== 0) throw new Error(describeRun(block, r));
}

async function runTypeScript(ns: NetNamespace, block: CodeBlock, name: string): Promise<void> {
  const js = ts.transpileModule(block.code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  // Under the repository's node_modules, so the example's imports resolve as a user's would.
  const file = join(scratch, `${name}.mjs`);
  writeFileSync(file, js);
  const r = await ns.run(`exec node "${file}"`, BLOCK_TIMEOUT_MS);
  if (r.code !== 0) throw new Error(describeRun(block, r));
  const printed = r.stdout.split('\n').map((l) => l.trim());
  let at = 0;
  for (const line of promisedOutput(block.code)) {
    const found = printed.indexOf(line, at);
    if (found < 0) throw new Error(`block at line ${block.line} promised the output ${JSON.stringify(line)}\n${describeRun(block, r)}`);
    at = found + 1;
  }
}

/** Waits (10 s at most) until nothing accepts connections on `addresses`; returns those still open. */
async function stillListening(ns: NetNamespace, addresses: string[]): Promise<string> {
  const probe = addresses.map((a) => `(echo > /dev/tcp/${a.replace(':', '/')}) 2>/dev/null && open="$open ${a}"`).join('; ');
  const r = await ns.run(`for i in $(seq 100); do open=; ${probe}; [ -z "$open" ] && exit 0; sleep 0.1; done; echo $open`, 15_000);
  return r.stdout.trim();
}

/**
 * Each command of a `serves` block: it logs that its node serves, answers /readyz there, and stops
 * listening after Ctrl-C. (Its exit code is npx's: 130 after Ctrl-C.)
 */
async function runServers(ns: NetNamespace, block: CodeBlock): Promise<void> {
  for (const command of shellCommands(block.code)) {
    const server = await ns.start(command, /"msg":"quorumkv node serving"/, BLOCK_TIMEOUT_MS);
    const serving = /\{[^\n]*"msg":"quorumkv node serving"[^\n]*\}/.exec(server.output())![0];
    const { listen } = JSON.parse(serving) as { listen: string };
    const status = await ns.run(`curl -sf http://${listen}/readyz`, BLOCK_TIMEOUT_MS);
    const stopped = await server.stop('SIGINT');
    if (status.code !== 0) throw new Error(`${command}: not ready\n${describeRun(block, status)}`);
    const open = await stillListening(ns, [listen]);
    if (open !== '') throw new Error(`${command}: still listening on ${open} after Ctrl-C\n${describeRun(block, stopped)}`);
  }
}

/** Runs one README's blocks in a namespace of its own; throws on the first that does not work. */
async function runReadme(readme: string): Promise<void> {
  const blocks = codeBlocks(readFileSync(join(root, readme), 'utf8')).filter((b) => RUNNABLE.has(b.lang));
  for (const b of blocks) {
    const unknown = b.tags.filter((t) => !TAGS.has(t));
    if (unknown.length > 0) throw new Error(`${readme}:${b.line}: unknown tag(s) ${unknown.join(' ')}`);
  }
  const runnable = blocks.filter((b) => !b.tags.includes('no-test'));
  if (readme !== 'README.md' && runnable.length === 0) throw new Error(`${readme} shows no standalone example that runs`);

  const ns = await NetNamespace.open(root, env);
  let cluster: Awaited<ReturnType<NetNamespace['start']>> | undefined;
  const stopCluster = async (): Promise<void> => {
    if (!cluster) return;
    // Ctrl-C, as the README says (npm then exits 130, as a program stopped by Ctrl-C does).
    const stopped = await cluster.stop('SIGINT');
    cluster = undefined;
    if (!/^stopped$/m.test(stopped.stderr)) throw new Error(`npm start did not say it stopped:\n${stopped.stderr}`);
    const open = await stillListening(ns, ['127.0.0.1:7070', '127.0.0.1:7071', '127.0.0.1:7072']);
    if (open !== '') throw new Error(`after Ctrl-C, npm start's nodes still listen on ${open}`);
  };
  try {
    for (const [i, block] of runnable.entries()) {
      if (!block.tags.includes('with-cluster')) await stopCluster();
      else if (!cluster) cluster = await ns.start('npm start --ignore-scripts', /nodes ready/, BLOCK_TIMEOUT_MS);
      if (block.tags.includes('serves')) await runServers(ns, block);
      else if (block.lang === 'sh') await runShell(ns, block);
      else await runTypeScript(ns, block, `${readme.replace(/\W+/g, '-')}-${i}`);
    }
    await stopCluster();
  } finally {
    if (cluster) await cluster.stop('SIGKILL');
    await ns.close();
  }
}

// Each README has a namespace of its own, so a few run side by side (most of their time is spent
// waiting for processes to start).
const PARALLEL = 3;
const runs = new Map<string, Promise<void>>();

beforeAll(() => {
  mkdirSync(scratch, { recursive: true });
  const queue = [...readmes];
  const next = async (): Promise<void> => {
    for (let readme = queue.shift(); readme !== undefined; readme = queue.shift()) {
      const run = runReadme(readme);
      runs.set(readme, run);
      await run.catch(() => undefined); // reported by the README's own test
    }
  };
  for (let i = 0; i < PARALLEL; i++) void next();
});

// Every run ends (and closes its namespace) before jest does, including those of filtered-out tests.
afterAll(async () => {
  while (runs.size < readmes.length) await new Promise((r) => setTimeout(r, 100));
  await Promise.allSettled(runs.values());
}, 300_000);

describe.each(readmes)('%s', (readme) => {
  it('runs as printed', async () => {
    // Its run may not have started yet when an earlier test ends.
    while (!runs.has(readme)) await new Promise((r) => setTimeout(r, 100));
    await runs.get(readme);
  }, 300_000);
});
