// A run's report as Markdown tables: what docs/verification/fuzz.md shows.
import type { AnswerClass } from './answer-class.js';
import { mib, type FuzzReport } from './run-fuzz.js';

const CLASSES: readonly AnswerClass[] = ['ok', 'error', 'internal', 'reset', 'timeout', 'unsent'];

function table(title: string, rows: Record<string, Record<AnswerClass, number>>): string {
  const lines = [`| ${title} | ${CLASSES.join(' | ')} |`, `|---|${CLASSES.map(() => '---:').join('|')}|`];
  for (const [name, c] of Object.entries(rows).sort(([a], [b]) => a.localeCompare(b))) lines.push(`| ${name} | ${CLASSES.map((k) => c[k]).join(' | ')} |`);
  return lines.join('\n');
}

/** The report as Markdown. */
export function formatReport(r: FuzzReport): string {
  const services: Record<string, Record<AnswerClass, number>> = {};
  for (const [rpc, c] of Object.entries(r.byRpc)) {
    const s = (services[rpc.split('/')[0]!] ??= { ok: 0, error: 0, internal: 0, reset: 0, timeout: 0, unsent: 0 });
    for (const k of CLASSES) s[k] += c[k];
  }
  const shapes: Record<string, Record<AnswerClass, number>> = {};
  for (const [shape, c] of Object.entries(r.byShape)) {
    const s = (shapes[shape.split(':')[0]!] ??= { ok: 0, error: 0, internal: 0, reset: 0, timeout: 0, unsent: 0 });
    for (const k of CLASSES) s[k] += c[k];
  }
  const memory = ['| node | RSS before | after warm-up | after run | settled | anon warm → settled |', '|---|---:|---:|---:|---:|---:|'];
  for (const m of r.memory) memory.push(`| ${m.node} | ${mib(m.before.rss)} | ${mib(m.warm.rss)} | ${mib(m.after.rss)} | ${mib(m.settled.rss)} | ${mib(m.warm.anon)} → ${mib(m.settled.anon)} |`);
  const codes = Object.entries(r.codes).sort(([, a], [, b]) => b - a).map(([code, n]) => `${code} ${n}`).join(', ');
  return [
    `seed ${r.seed}: ${r.requests} requests in ${(r.elapsedMs / 1000).toFixed(1)} s; crashes ${r.crashes.length}, lost ${r.lost.length} of ${r.canaries} canary keys, internal ${r.classes.internal}`,
    '',
    table('class', { all: r.classes }),
    '',
    table('service', services),
    '',
    table('shape', shapes),
    '',
    table('rpc', r.byRpc),
    '',
    `Error codes: ${codes}`,
    '',
    'Memory (MiB):',
    '',
    memory.join('\n'),
    '',
    r.failures.length === 0 ? 'verdict: PASS' : `verdict: FAIL\n${r.failures.map((f) => `- ${f}`).join('\n')}`,
    ...(r.samples.length > 0 ? ['', 'Answers other than ok or a clear error (first 20 of each class):', '', ...r.samples.map((i) => `- #${i.index} ${i.rpc} ${i.shape}: ${i.class} ${i.code} ${i.message ?? ''}`)] : []),
    '',
  ].join('\n');
}
