// The run as a picture: one lane per client process, each operation a mark from invocation to
// completion (green ok, red fail, orange unknown), fault windows as bands behind, and the heal as
// a line. Hand-written SVG: a few element kinds, no library needed.
import type { Operation } from './history.js';

/** A fault window as drawn: its label and span (ms since the run started). */
export interface TimelineBand {
  readonly label: string;
  readonly kind: string;
  readonly startMs: number;
  readonly endMs: number;
}

/** Options of {@link timelineSvg}. */
export interface TimelineOptions {
  readonly ops: readonly Operation[];
  readonly bands: readonly TimelineBand[];
  readonly healMs: number;
  /** First line: what ran. */
  readonly title: string;
  /** Second line: the verdicts. */
  readonly subtitle?: string;
}

const BAND_COLOUR: Readonly<Record<string, string>> = { kill: '#d62728', pause: '#9467bd', partition: '#1f77b4', slow: '#8c564b', skew: '#e377c2', membership: '#17becf' };
const OUTCOME_COLOUR = { ok: '#2ca02c', fail: '#d62728', info: '#ff7f0e' } as const;
const [WIDTH, LANE, LEFT, TOP, RIGHT] = [1400, 14, 110, 56, 40];
/** Ok marks drawn at most (evenly thinned beyond), so a long run's picture stays a few hundred KB; failures are all drawn. */
const MAX_OK_MARKS = 2_000;
/** Fault labels are listed under the plot (numbered as on the bands), in this many columns. */
const LEGEND_COLUMNS = 4;

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function timelineSvg(o: TimelineOptions): string {
  const processes = [...new Set(o.ops.map((op) => op.process))].sort((a, b) => a - b);
  const lane = new Map(processes.map((p, i) => [p, i]));
  const endMs = Math.max(o.healMs, ...o.ops.map((op) => op.completeMs), 1);
  const x = (ms: number): number => LEFT + (ms / endMs) * (WIDTH - LEFT - RIGHT);
  const legendRows = Math.ceil(o.bands.length / LEGEND_COLUMNS);
  const height = TOP + processes.length * LANE + 64 + legendRows * 12;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" font-family="monospace" font-size="10">`,
    `<text x="4" y="14" font-size="12">${escape(o.title)}</text>`,
    `<text x="4" y="28">${escape(o.subtitle ?? '')}</text>`,
  ];
  for (const [i, b] of o.bands.entries()) {
    const colour = BAND_COLOUR[b.kind] ?? '#7f7f7f';
    parts.push(`<rect x="${x(b.startMs).toFixed(1)}" y="${TOP - 6}" width="${Math.max(1, x(b.endMs) - x(b.startMs)).toFixed(1)}" height="${processes.length * LANE + 6}" fill="${colour}" fill-opacity="0.15"><title>${escape(b.label)}</title></rect>`);
    parts.push(`<text x="${x(b.startMs).toFixed(1)}" y="${TOP - 10 - (i % 2) * 9}" fill="${colour}">${i + 1}</text>`);
  }
  const workloadOf = new Map(o.ops.map((op) => [op.process, op.workload]));
  for (const [p, i] of lane) parts.push(`<text x="4" y="${TOP + i * LANE + 9}">${escape(`client ${p} ${workloadOf.get(p)}`)}</text>`);
  // Failures last, so they are drawn over the many ok marks.
  const order = { ok: 0, info: 1, fail: 2 } as const;
  const oks = o.ops.filter((op) => op.outcome === 'ok');
  const stride = Math.ceil(oks.length / MAX_OK_MARKS);
  const drawn = [...oks.filter((_, i) => i % stride === 0), ...o.ops.filter((op) => op.outcome !== 'ok')];
  for (const op of drawn.sort((a, b) => order[a.outcome] - order[b.outcome])) {
    const y = TOP + lane.get(op.process)! * LANE;
    const w = Math.max(1, x(op.completeMs) - x(op.invokeMs));
    const tip = `${op.workload} ${op.key} ${op.value} ${op.outcome}${op.error ? `: ${op.error}` : ''}`;
    parts.push(`<rect x="${x(op.invokeMs).toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${LANE - 3}" fill="${OUTCOME_COLOUR[op.outcome]}"${op.outcome === 'ok' ? ' fill-opacity="0.5"' : ''}><title>${escape(tip)}</title></rect>`);
  }
  const bottom = TOP + processes.length * LANE;
  parts.push(`<line x1="${x(o.healMs).toFixed(1)}" y1="${TOP - 6}" x2="${x(o.healMs).toFixed(1)}" y2="${bottom}" stroke="black" stroke-dasharray="4 2"/>`);
  parts.push(`<text x="${x(o.healMs).toFixed(1)}" y="${bottom + 12}">heal</text>`);
  for (let s = 0; s * 1000 <= endMs; s += Math.max(1, Math.ceil(endMs / 1000 / 20))) parts.push(`<text x="${x(s * 1000).toFixed(1)}" y="${bottom + 28}">${s}s</text>`);
  const thinned = stride > 1 ? ` (1 in ${stride} of ${oks.length} ok drawn)` : '';
  parts.push(`<text x="4" y="${bottom + 48}">${escape(`green ok${thinned} · orange unknown (info) · red fail · bands: faults, numbered:`)}</text>`);
  const columnWidth = (WIDTH - 8) / LEGEND_COLUMNS;
  for (const [i, b] of o.bands.entries()) {
    const label = `${i + 1}. ${b.label} (${(b.startMs / 1000).toFixed(1)}-${(b.endMs / 1000).toFixed(1)} s)`;
    const [column, row] = [i % LEGEND_COLUMNS, Math.floor(i / LEGEND_COLUMNS)];
    parts.push(`<text x="${(4 + column * columnWidth).toFixed(1)}" y="${bottom + 62 + row * 12}" fill="${BAND_COLOUR[b.kind] ?? '#7f7f7f'}">${escape(label)}</text>`);
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
