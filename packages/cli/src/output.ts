// Everything the CLI prints: JSON documents for scripts (--json), aligned tables for people.
import { bytesToStringStrict, toBase64, type Receipt, type Sibling } from '@quorumkv/client/node';

/** Where a command writes; injectable so commands can be tested without a process. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

/** The process's stdout and stderr. */
export const processOutput: Output = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

/** Pretty JSON; byte arrays become base64 and bigints decimal strings so nothing throws. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (v instanceof Uint8Array) return toBase64(v);
      return v;
    },
    2,
  );
}

/** Bytes for a person: the text when it is printable UTF-8, else `base64:...`. */
export function displayBytes(bytes: Uint8Array): string {
  const text = bytesToStringStrict(bytes);
  // eslint-disable-next-line no-control-regex
  if (text !== undefined && !/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text)) return text;
  return `base64:${toBase64(bytes)}`;
}

/** A sibling as scripts see it: `value` as (lossy) UTF-8 text, `valueBase64` exact. */
export function siblingJson(s: Sibling): Record<string, unknown> {
  return {
    value: new TextDecoder().decode(s.value),
    valueBase64: toBase64(s.value),
    timestampMs: s.timestampMs,
    writtenBy: s.writtenBy,
    expiresAtMs: s.expiresAtMs,
  };
}

/** Aligned columns with an upper-case header row. */
export function table(headers: string[], rows: (string | number | boolean)[][]): string {
  const cells = [headers.map((h) => h.toUpperCase()), ...rows.map((r) => r.map((c) => String(c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd())
    .join('\n');
}

/** `key: value` lines, keys aligned. */
export function fields(pairs: [string, string | number | boolean][]): string {
  const w = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(w + 1)} ${String(v)}`).join('\n');
}

/** An ISO time, or `-` for 0. */
export function time(ms: number): string {
  return ms > 0 ? new Date(ms).toISOString() : '-';
}

/** A one-line summary of a quorum receipt, e.g. `2/2 replicas (node-1 coordinated, ring v3)`. */
export function receiptLine(r: Receipt): string {
  const fallbacks = r.replicas.filter((x) => x.fallback && x.ok).length;
  const extra = fallbacks > 0 ? `, ${fallbacks} fallback` : '';
  return `${r.answered}/${r.required} replicas answered of ${r.asked} asked${extra} (coordinator ${r.coordinator || '?'}, ring v${r.ringVersion})`;
}

/** A millisecond duration for people: 1500 → "1.5s", 0 → "none". */
export function duration(ms: number): string {
  if (ms <= 0) return 'none';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
