// Byte-level damage to a request body or a message inside it: what a broken client, a bad proxy or
// an attacker sends. Each mutation names itself, so a run counts its answers per kind of damage.
import type { FuzzRandom } from './fuzz-random.js';

/** The ways {@link mutateBytes} damages bytes. */
export const BYTE_MUTATIONS = ['truncate', 'flip-bits', 'splice-garbage', 'garbage', 'duplicate'] as const;
export type ByteMutation = (typeof BYTE_MUTATIONS)[number];

/** `bytes` damaged one way (never in place). */
export function mutateBytes(random: FuzzRandom, bytes: Uint8Array, how: ByteMutation): Uint8Array {
  switch (how) {
    case 'truncate':
      return bytes.slice(0, bytes.length === 0 ? 0 : random.int(0, bytes.length - 1));
    case 'flip-bits': {
      const out = bytes.length === 0 ? random.bytes(1) : bytes.slice();
      for (let n = random.int(1, 8); n > 0; n--) out[random.int(0, out.length - 1)]! ^= 1 << random.int(0, 7);
      return out;
    }
    case 'splice-garbage': {
      const at = random.int(0, bytes.length);
      return concat(bytes.subarray(0, at), random.bytes(random.int(1, 64)), bytes.subarray(at));
    }
    case 'garbage':
      return random.bytes(random.length(4096));
    case 'duplicate':
      return concat(bytes, bytes);
  }
}

/**
 * A well-formed message made too large: an unknown length-delimited field (number 2047) of
 * `extra` zero bytes appended, which a reader must skip, so only the size is wrong.
 */
export function oversize(bytes: Uint8Array, extra: number): Uint8Array {
  const tag = varint((2047 << 3) | 2);
  return concat(bytes, tag, varint(extra), new Uint8Array(extra));
}

function varint(n: number): Uint8Array {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return new Uint8Array(out);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
