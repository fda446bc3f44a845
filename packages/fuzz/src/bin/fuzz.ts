#!/usr/bin/env node
// `npm run fuzz -- --requests 100000 --seed 7`: one run against a new local cluster; prints the
// counts, writes the whole report as JSON with --out, exits 1 when the run failed, 2 on bad flags.
// `--replay 12,345` sends only those requests of the seed's run, one by one, and prints each answer.
import { writeFileSync } from 'node:fs';
import { exitWithUsage, parseCommandFlags } from '@quorumkv/harness';
import { formatReport } from '../format-report.js';
import { replay } from '../replay.js';
import { runFuzz } from '../run-fuzz.js';

const USAGE = `usage: npm run fuzz -- [--requests N] [--seed S] [--nodes N] [--host-base B] [--concurrency C] [--out FILE]
       npm run fuzz -- --seed S --replay I,J,...`;

const fail = (message: string): never => exitWithUsage('fuzz', USAGE, message);

const { values } = parseCommandFlags('fuzz', USAGE, {
  strict: true,
  options: {
    requests: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    nodes: { type: 'string', default: '3' },
    'host-base': { type: 'string', default: '112' },
    concurrency: { type: 'string', default: '32' },
    out: { type: 'string' },
    replay: { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const int = (name: keyof typeof values): number => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 0) fail(`--${name} must be a whole number, got ${String(values[name])}`);
  return n;
};

if (values.replay !== undefined) {
  const indices = values.replay.split(',').map(Number);
  for (const r of await replay({ seed: int('seed'), nodes: int('nodes'), hostBase: int('host-base'), indices })) process.stdout.write(JSON.stringify(r) + '\n');
  process.exit(0);
}

const report = await runFuzz({
  requests: int('requests'),
  seed: int('seed'),
  nodes: int('nodes'),
  hostBase: int('host-base'),
  concurrency: int('concurrency'),
  onProgress: (done, c) => process.stderr.write(`${done} requests: ${JSON.stringify(c)}\n`),
});
if (values.out) writeFileSync(values.out, JSON.stringify(report, null, 2) + '\n');
process.stdout.write(formatReport(report));
process.exitCode = report.failures.length > 0 ? 1 : 0;
