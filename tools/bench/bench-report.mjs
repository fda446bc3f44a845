// Shared by the benchmarks: percentiles, CPU time of processes from /proc, machine description, and
// rewriting one package's section of docs/benchmarks.md.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const docs = resolve(dirname(fileURLToPath(import.meta.url)), '../../docs/benchmarks.md');

let sink = 0;
/**
 * CPU nanoseconds per call of `fn` (this process's user + system time, GC threads included), calling
 * it in batches of 64 for `roundMs` of wall time (micro-benchmarks). CPU time rather than wall time:
 * on a machine shared with other work, waiting for a core is not the code's cost. What `fn` returns
 * is folded into a sink so the work cannot be optimised away.
 */
/** A positive integer from the environment variable `name`, else `fallback`; anything else throws, naming it. */
export function envInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return v;
}

export function nsPerCall(fn, roundMs) {
  let n = 0;
  const start = performance.now();
  const cpu = process.cpuUsage();
  while (performance.now() - start < roundMs) {
    for (let i = 0; i < 64; i++) sink ^= fn() ? 1 : 0;
    n += 64;
  }
  const used = process.cpuUsage(cpu);
  return ((used.user + used.system) * 1000) / n;
}

/** p-th percentile (0..100) of a numeric array (sorted in place). */
export function percentile(values, p) {
  if (values.length === 0) return 0;
  values.sort((a, b) => a - b);
  return values[Math.min(values.length - 1, Math.floor((p / 100) * values.length))];
}

/**
 * CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat: all its threads, plus
 * children it has waited for (e.g. the fork Redis makes to rewrite its append-only file).
 */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
}

/** "CPU model, N cores, Node version, date" for the report. */
export function machine() {
  return `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
}

/** Replaces the text between <!-- bench:NAME:start --> and <!-- bench:NAME:end -->. */
export function writeSection(name, body) {
  const text = readFileSync(docs, 'utf8');
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  const next = i >= 0 && j > i ? `${text.slice(0, i + start.length)}\n${body.trim()}\n${text.slice(j)}` : `${text.trimEnd()}\n\n${start}\n${body.trim()}\n${end}\n`;
  writeFileSync(docs, next);
}

/** Which QuorumKV code was measured: the commit, and whether client or server sources differ from it. */
export function codeVersion() {
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const git = (...args) => execFileSync('git', args, { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    return { commit: git('rev-parse', '--short', 'HEAD'), dirty: git('status', '--porcelain', '--', 'packages/client/src', 'packages/server/src').length > 0 };
  } catch {
    return { commit: 'unknown', dirty: false };
  }
}
