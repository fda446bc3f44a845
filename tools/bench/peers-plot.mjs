// The peer benchmark's figure, written as SVG by hand: two panels (ops/s, p99 latency), each with a
// group of bars per phase and one bar per system. Log scales, because the systems differ by orders
// of magnitude; every bar carries its value.
import { PHASES, phaseOf } from './peers-report.mjs';

const COLORS = ['#1f77b4', '#9ecae1', '#d62728', '#ff7f0e', '#2ca02c', '#9467bd'];
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const compact = (x) => (x >= 10_000 ? `${(x / 1000).toFixed(0)}k` : x >= 1000 ? `${(x / 1000).toFixed(1)}k` : x >= 10 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toFixed(2));

/**
 * @param {{ label: string, result?: { phases: object[] } }[]} systems
 * @param {{ title: string, subtitle: string }} text
 * @returns {string} the SVG document
 */
export function peersSvg(systems, { title, subtitle }) {
  const width = 960;
  const panelH = 300;
  const top = 70;
  const gap = 70;
  const left = 80;
  const right = 20;
  const legendH = 40;
  const height = top + 2 * panelH + gap + legendH + 30;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="24" text-anchor="middle" font-size="17" font-weight="bold">${esc(title)}</text>`,
    `<text x="${width / 2}" y="44" text-anchor="middle" fill="#555">${esc(subtitle)}</text>`,
  ];
  const panels = [
    { name: 'throughput, ops/s (log scale, higher is better)', value: (p) => p.opsPerSec },
    { name: 'p99 latency, ms (log scale, lower is better)', value: (p) => p.latency.p99Ms },
  ];
  panels.forEach((panel, i) => {
    const y0 = top + i * (panelH + gap);
    parts.push(panelSvg(systems, panel, { x: left, y: y0, w: width - left - right, h: panelH }));
  });
  // Legend
  const ly = top + 2 * panelH + gap + 30;
  const itemW = (width - left - right) / systems.length;
  systems.forEach((s, k) => {
    const x = left + k * itemW;
    parts.push(`<rect x="${x}" y="${ly - 11}" width="14" height="14" fill="${COLORS[k % COLORS.length]}"/>`);
    parts.push(`<text x="${x + 20}" y="${ly}">${esc(s.label)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function panelSvg(systems, panel, { x, y, w, h }) {
  const out = [`<text x="${x}" y="${y - 10}" font-size="14" font-weight="bold">${esc(panel.name)}</text>`];
  const values = [];
  for (const s of systems) for (const name of PHASES) {
    const p = phaseOf(s, name);
    if (p && panel.value(p) > 0) values.push(panel.value(p));
  }
  if (values.length === 0) return out.join('\n');
  const lo = Math.floor(Math.log10(Math.min(...values)));
  const hi = Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...values)) + 0.15));
  const plotTop = y + 14; // room for value labels above the tallest bar
  const plotH = h - 14 - 24;
  const base = plotTop + plotH;
  const yOf = (v) => base - ((Math.log10(v) - lo) / (hi - lo)) * plotH;
  out.push(`<rect x="${x}" y="${plotTop}" width="${w}" height="${plotH}" fill="#fafafa" stroke="#ccc"/>`);
  for (let e = lo; e <= hi; e++) {
    const gy = yOf(10 ** e);
    out.push(`<line x1="${x}" y1="${gy}" x2="${x + w}" y2="${gy}" stroke="#ddd"/>`);
    const tick = 10 ** e;
    out.push(`<text x="${x - 6}" y="${gy + 4}" text-anchor="end" fill="#444">${tick >= 1000 ? `${tick / 1000}k` : tick}</text>`);
  }
  const groupW = w / PHASES.length;
  const barW = Math.min(34, (groupW * 0.8) / systems.length);
  PHASES.forEach((name, g) => {
    const gx = x + g * groupW + (groupW - barW * systems.length) / 2;
    out.push(`<text x="${x + g * groupW + groupW / 2}" y="${base + 17}" text-anchor="middle" font-weight="bold">${name === 'load' ? 'load' : `YCSB-${name}`}</text>`);
    systems.forEach((s, k) => {
      const bx = gx + k * barW;
      const p = phaseOf(s, name);
      const v = p ? panel.value(p) : undefined;
      if (!(v > 0)) {
        out.push(`<text x="${bx + barW / 2}" y="${base - 4}" text-anchor="middle" font-size="9" fill="#888">n/a</text>`);
        return;
      }
      const by = yOf(v);
      out.push(`<rect x="${bx.toFixed(1)}" y="${by.toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(base - by).toFixed(1)}" fill="${COLORS[k % COLORS.length]}"><title>${esc(`${s.label}, ${name}: ${v}`)}</title></rect>`);
      out.push(`<text x="${(bx + barW / 2 - 1).toFixed(1)}" y="${(by - 3).toFixed(1)}" text-anchor="middle" font-size="9">${compact(v)}</text>`);
    });
  });
  return out.join('\n');
}
