#!/usr/bin/env node
// `npm run jepsen -- --time 300 --nodes 5 --seed S [--workload set,register,lww]
// [--nemesis kill,pause,partition,slow,skew] [--sessions] [--read-r R] [--out DIR]`, or `--crash-cycles N`. Exit code 1 when
// a checker found a violation (or membership changes did not finish within --settle seconds of
// heal, default 180), 2 on bad arguments.
import { exitWithUsage, parseCommandFlags } from '@quorumkv/harness';
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runJepsen } from '../jepsen-run.js';
import { runCrashCycles } from '../crash-cycles.js';
import { writeReport, verdictLines } from '../report.js';
import { NEMESIS_KINDS, type NemesisKind } from '../nemesis-schedule.js';
import type { Workload } from '../history.js';

const WORKLOADS: readonly Workload[] = ['set', 'register', 'lww'];

const USAGE = `usage: npm run jepsen -- [--time S] [--nodes N] [--seed S] [--workload ${WORKLOADS.join(',')}] [--nemesis ${NEMESIS_KINDS.join(',')}] [--clients C] [--sessions] [--read-r R] [--settle S] [--host-base B] [--out DIR]
       npm run jepsen -- --crash-cycles N [--nodes N] [--seed S] [--host-base B] [--out DIR]`;

const fail = (message: string): never => exitWithUsage('jepsen', USAGE, message);

function listOf<T extends string>(flag: string, text: string, allowed: readonly T[]): T[] {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const i of items) if (!allowed.includes(i as T)) fail(`--${flag}: unknown "${i}" (one or more of ${allowed.join(',')})`);
  return items as T[];
}

function intOf(flag: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) fail(`--${flag}: "${text}" is not an integer >= ${min}`);
  return n;
}

const OPTIONS = {
  time: { type: 'string' },
  nodes: { type: 'string' },
  seed: { type: 'string' },
  workload: { type: 'string' },
  nemesis: { type: 'string' },
  out: { type: 'string' },
  'crash-cycles': { type: 'string' },
  clients: { type: 'string' },
  'host-base': { type: 'string' },
  sessions: { type: 'boolean' },
  'read-r': { type: 'string' },
  settle: { type: 'string' },
  help: { type: 'boolean' },
} as const;

const { values } = parseCommandFlags('jepsen', USAGE, { options: OPTIONS, strict: true });
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

const seed = intOf('seed', values.seed, 1, 0);
const nodes = intOf('nodes', values.nodes, 5, 1);
const hostBase = intOf('host-base', values['host-base'], 76, 2);
const out = values.out ?? 'jepsen-results';
const log = (line: string): void => void process.stderr.write(`${line}\n`);

if (values['crash-cycles'] !== undefined) {
  const result = await runCrashCycles({ seed, nodes, cycles: intOf('crash-cycles', values['crash-cycles'], 100, 1), hostBase, log });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, `crash-cycles-seed-${seed}.json`), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`crash-cycles: ${result.valid ? 'PASS' : 'FAIL'} (cycles=${result.cycles} keys=${result.keys} acknowledged=${result.acknowledged} unknown=${result.unknown} checkedWrites=${result.checkedWrites} reads=${result.checks} late=${result.lateReads} lost=${result.lost.length} unexpected=${result.unexpected})\n`);
  process.exit(result.valid ? 0 : 1);
}

const result = await runJepsen({
  seed,
  nodes,
  hostBase,
  timeMs: intOf('time', values.time, 60, 1) * 1000,
  workloads: values.workload ? listOf('workload', values.workload, WORKLOADS) : WORKLOADS,
  nemesis: values.nemesis !== undefined ? listOf<NemesisKind>('nemesis', values.nemesis, NEMESIS_KINDS) : [...NEMESIS_KINDS],
  clientsPerWorkload: intOf('clients', values.clients, 3, 1),
  sessions: values.sessions ?? false,
  ...(values['read-r'] !== undefined ? { readR: intOf('read-r', values['read-r'], 2, 1) } : {}),
  settleMs: intOf('settle', values.settle, 180, 1) * 1000,
  log,
});
const files = writeReport(out, `jepsen-seed-${seed}`, result);
for (const line of verdictLines(result)) process.stdout.write(`${line}\n`);
process.stdout.write(`wrote ${files.join(', ')}\n`);
process.exit(result.valid ? 0 : 1);
