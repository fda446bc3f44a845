// Renders runYcsb results (tools/bench/ycsb.mjs) as one Markdown table, the same for every store,
// so sections of docs/benchmarks.md measured against different stores read side by side.

const ms = (x) => (x < 10 ? x.toFixed(2) : x.toFixed(1));
const int = (x) => Math.round(x).toLocaleString('en-US');
const mixLabel = (mix) =>
  Object.entries(mix)
    .map(([op, share]) => `${Math.round(share * 100)}% ${op}`)
    .join(' / ');

/**
 * One row per phase and operation type: throughput, operation count, latency percentiles, errors,
 * and CPU per operation (the phase's client and server CPU divided by its completed operations).
 * @param {{ phases: object[] }} result what runYcsb returned
 */
export function ycsbTable(result) {
  const rows = [
    '| phase | mix | ops/s | op | ops | p50 ms | p99 ms | p99.9 ms | errors | CPU µs/op client + server |',
    '|---|---|---:|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const p of result.phases) {
    const mix = p.phase === 'load' ? (p.complete ? 'insert all records' : 'insert (incomplete)') : mixLabel(p.mix);
    Object.entries(p.byOp).forEach(([op, o], i) => {
      const first = i === 0;
      rows.push(
        `| ${first ? p.phase : ''} | ${first ? mix : ''} | ${first ? int(p.opsPerSec) : ''} | ${op} | ${int(o.count)} | ${ms(o.p50Ms)} | ${ms(o.p99Ms)} | ${ms(o.p999Ms)} | ${o.errors} | ${first ? `${int(p.cpu.clientUsPerOp)} + ${int(p.cpu.serverUsPerOp)}` : ''} |`,
      );
    });
  }
  return rows.join('\n');
}
