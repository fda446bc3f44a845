// Parsers for option values; they throw commander's InvalidArgumentError so the message names the option.
import { InvalidArgumentError } from 'commander';
import { fromBase64 } from '@quorumkv/client/node';

/** A positive integer (n, r, w, counts, ports). */
export function positiveInt(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('must be a positive integer');
  return Number(value);
}

/** A TCP port. */
export function port(value: string): number {
  const n = positiveInt(value);
  if (n > 65535) throw new InvalidArgumentError('must be a port number (1-65535)');
  return n;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration in ms: `500`, `500ms`, `30s`, `5m`, `2h`, `1d`. */
export function durationMs(value: string): number {
  const m = /^(\d+)(ms|s|m|h|d)?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('must be a duration like 500ms, 30s, 5m, 2h (a bare number is ms)');
  return Number(m[1]) * UNITS[m[2] ?? 'ms']!;
}

/** host:port (or a URL). */
export function nodeAddress(value: string): string {
  if (!/^([a-z][a-z0-9+.-]*:\/\/)?[^\s/:]+:\d{1,5}\/?$/i.test(value.trim())) throw new InvalidArgumentError('must be host:port');
  return value.trim();
}

/** A causal context printed by `get` (base64). */
export function context(value: string): Uint8Array {
  try {
    return fromBase64(value);
  } catch {
    throw new InvalidArgumentError('must be the base64 context printed by get');
  }
}

/** `siblings` or `lww`. */
export function conflicts(value: string): 'siblings' | 'lww' {
  if (value !== 'siblings' && value !== 'lww') throw new InvalidArgumentError('must be siblings or lww');
  return value;
}

/** Partition numbers: `3`, `3,7,12`, ranges `0-15`, or a mix (`0-3,9`). */
export function partitionList(value: string): number[] {
  const out: number[] = [];
  for (const part of value.split(',')) {
    const m = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(part);
    if (!m) throw new InvalidArgumentError('must be partition numbers like 3, 3,7,12 or 0-15');
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw new InvalidArgumentError(`range ${part.trim()} goes backwards`);
    if (to - from >= 65536) throw new InvalidArgumentError(`range ${part.trim()} is longer than the most partitions a ring has (65536)`);
    for (let p = from; p <= to; p++) out.push(p);
  }
  return out;
}
