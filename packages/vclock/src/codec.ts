// Binary encodings of version vectors (client contexts), vector clocks and DVVSets.
//
// Format version 1. Every encoding starts with one header byte: the format version in the high
// nibble, the kind in the low nibble, so a reader can refuse what it does not understand instead
// of misreading it. Numbers are unsigned LEB128 varints (@quorumkv/bytes); node ids are UTF-8 with
// a varint length, written once per encoding in strictly ascending order (which makes the encoding
// canonical: one clock, one byte string) and followed by that node's data.
//
//   context    0x11  n  n × ( idLen id counter )
//   clock      0x12  n  [baseTs if n > 0]  n × ( idLen id counter tsDelta )     min tsDelta = 0
//   dvvset     0x13  n  n × ( idLen id counter k  k × ( gap valueLen value ) )
//
// In a DVVSet a node's siblings are listed newest first; the first dot is `counter - gap`, each
// next one `previous - 1 - gap`, so the usual consecutive dots cost one zero byte each.
//
// Decoders accept exactly the canonical encodings of valid values and throw VClockDecodeError for
// anything else. Untrusted lengths and counts are checked against the bytes left before use
// (@quorumkv/bytes's ByteReader), and its strict varints give each number one encoding.

import { BytesError, ByteReader, ByteWriter, decodeUtf8, encodeUtf8, prefixedUtf8Size, varintSize } from '@quorumkv/bytes';
import { InvalidClockError, VClockDecodeError, type VClockDecodeErrorCode } from './errors.js';
import { assertCounter, assertNodeId, assertTimestamp, compareNodeIds } from './node-id.js';
import type { DVVSet, Sibling } from './dvvset.js';
import type { ClockEntry, VectorClock } from './vector-clock.js';
import type { VersionVector } from './version-vector.js';

/** Current format version, in the high nibble of the header byte. */
export const FORMAT_VERSION = 1;

const KIND_CONTEXT = 1;
const KIND_CLOCK = 2;
const KIND_DVVSET = 3;

/** Turns values into bytes and back for {@link encodeDVVSet} / {@link decodeDVVSet}. */
export interface ValueCodec<V> {
  readonly encode: (value: V) => Uint8Array;
  readonly decode: (bytes: Uint8Array) => V;
}

/**
 * The codec for byte-string values: no copy either way. Decoded values are views into the decoded
 * buffer (`subarray`), so they share its memory: do not reuse the buffer while they are alive.
 */
export const bytesCodec: ValueCodec<Uint8Array> = {
  encode: (value) => value,
  decode: (bytes) => bytes,
};

/** A codec for string values as strict UTF-8 (handy in tests and tools). */
export const utf8Codec: ValueCodec<string> = {
  encode: encodeUtf8,
  decode: (bytes) => {
    try {
      return decodeUtf8(bytes);
    } catch (err) {
      throw decodeError(err);
    }
  },
};

/** Encodes a client's causal context (see `join`). Clients carry the bytes opaquely. */
export function encodeContext(vv: VersionVector): Uint8Array {
  const nodes = sortedNodes(vv);
  let size = 1 + varintSize(nodes.length);
  for (const node of nodes) size += prefixedUtf8Size(node) + varintSize(vv.get(node)!);
  const w = writer(size, KIND_CONTEXT);
  w.uvarint(nodes.length);
  for (const node of nodes) {
    w.prefixedUtf8(node);
    w.uvarint(vv.get(node)!);
  }
  return w.finish();
}

/** Decodes {@link encodeContext}'s output; throws {@link VClockDecodeError} on anything else. */
export function decodeContext(bytes: Uint8Array): VersionVector {
  try {
    const r = openReader(bytes, KIND_CONTEXT);
    const n = r.count(3);
    const out = new Map<string, number>();
    let prev: string | undefined;
    for (let i = 0; i < n; i++) {
      prev = readNextNode(r, prev);
      out.set(prev, varintAtLeast(r, 1, 'counter'));
    }
    r.expectEnd();
    return out;
  } catch (err) {
    throw decodeError(err);
  }
}

/** Encodes a vector clock with its entries' timestamps. */
export function encodeVectorClock(clock: VectorClock): Uint8Array {
  const nodes = [...clock.keys()].sort(compareNodeIds);
  let base = Number.MAX_SAFE_INTEGER;
  for (const node of nodes) {
    const e = clock.get(node)!;
    assertNodeId(node);
    assertCounter(e.counter);
    assertTimestamp(e.timestampMs);
    base = Math.min(base, e.timestampMs);
  }
  let size = 1 + varintSize(nodes.length) + (nodes.length > 0 ? varintSize(base) : 0);
  for (const node of nodes) {
    const e = clock.get(node)!;
    size += prefixedUtf8Size(node) + varintSize(e.counter) + varintSize(e.timestampMs - base);
  }
  const w = writer(size, KIND_CLOCK);
  w.uvarint(nodes.length);
  if (nodes.length > 0) w.uvarint(base);
  for (const node of nodes) {
    const e = clock.get(node)!;
    w.prefixedUtf8(node);
    w.uvarint(e.counter);
    w.uvarint(e.timestampMs - base);
  }
  return w.finish();
}

/** Decodes {@link encodeVectorClock}'s output; throws {@link VClockDecodeError} on anything else. */
export function decodeVectorClock(bytes: Uint8Array): VectorClock {
  try {
    const r = openReader(bytes, KIND_CLOCK);
    const n = r.count(4);
    const out = new Map<string, ClockEntry>();
    if (n === 0) {
      r.expectEnd();
      return out;
    }
    const base = r.uvarint();
    let minDelta = Number.MAX_SAFE_INTEGER;
    let prev: string | undefined;
    for (let i = 0; i < n; i++) {
      prev = readNextNode(r, prev);
      const counter = varintAtLeast(r, 1, 'counter');
      const at = r.pos;
      const delta = r.uvarint();
      const timestampMs = base + delta;
      if (timestampMs > Number.MAX_SAFE_INTEGER) throw new VClockDecodeError('out-of-range', at, 'timestamp above 2^53-1');
      minDelta = Math.min(minDelta, delta);
      out.set(prev, { counter, timestampMs });
    }
    // The base must be the smallest timestamp, otherwise the same clock would have many encodings.
    if (minDelta !== 0) throw new VClockDecodeError('non-canonical', 1, 'timestamp base is not the minimum');
    r.expectEnd();
    return out;
  } catch (err) {
    throw decodeError(err);
  }
}

/**
 * Encodes a DVVSet; `encodeValue` turns each sibling's value into bytes (use `bytesCodec.encode`
 * for byte values, which are then copied exactly once, into the output). Throws
 * `InvalidClockError` if the set breaks the DVVSet invariants (a hand-built set with a sibling
 * outside its context or out of order), rather than write bytes that would decode differently.
 */
export function encodeDVVSet<V>(set: DVVSet<V>, encodeValue: (value: V) => Uint8Array): Uint8Array {
  const { context, siblings } = set;
  const nodes = sortedNodes(context);
  const encoded: Uint8Array[] = new Array<Uint8Array>(siblings.length);
  const perNode: number[] = new Array<number>(nodes.length);
  // First pass: validate, encode values and measure, so the output is allocated once at its size.
  let size = 1 + varintSize(nodes.length);
  let j = 0;
  for (let n = 0; n < nodes.length; n++) {
    const node = nodes[n]!;
    const counter = context.get(node)!;
    let prev = counter + 1;
    let k = 0;
    for (let s = siblings[j]; s !== undefined && s.node === node; s = siblings[++j]) {
      if (!Number.isSafeInteger(s.counter) || s.counter < 1 || s.counter >= prev) {
        throw new InvalidClockError('siblings', s, `sibling dot (${node}, ${s.counter}) is out of order or not covered by the context`);
      }
      const v = encodeValue(s.value);
      encoded[j] = v;
      size += varintSize(prev - 1 - s.counter) + varintSize(v.length) + v.length;
      prev = s.counter;
      k++;
    }
    perNode[n] = k;
    size += prefixedUtf8Size(node) + varintSize(counter) + varintSize(k);
  }
  if (j !== siblings.length) {
    throw new InvalidClockError('siblings', siblings[j], 'sibling node is missing from the context or out of order');
  }

  const w = writer(size, KIND_DVVSET);
  w.uvarint(nodes.length);
  j = 0;
  for (let n = 0; n < nodes.length; n++) {
    const node = nodes[n]!;
    const counter = context.get(node)!;
    const k = perNode[n]!;
    w.prefixedUtf8(node);
    w.uvarint(counter);
    w.uvarint(k);
    let prev = counter + 1;
    for (let i = 0; i < k; i++, j++) {
      const s = siblings[j]!;
      w.uvarint(prev - 1 - s.counter);
      w.prefixedBytes(encoded[j]!);
      prev = s.counter;
    }
  }
  return w.finish();
}

/**
 * Decodes {@link encodeDVVSet}'s output. `decodeValue` receives each value as a view into `bytes`
 * (no copy); whatever it throws is reported as a {@link VClockDecodeError} with code `value-codec`
 * and the original error as `cause`.
 */
export function decodeDVVSet<V>(bytes: Uint8Array, decodeValue: (bytes: Uint8Array) => V): DVVSet<V> {
  try {
    const r = openReader(bytes, KIND_DVVSET);
    const n = r.count(4);
    const context = new Map<string, number>();
    const siblings: Sibling<V>[] = [];
    let prevNode: string | undefined;
    for (let i = 0; i < n; i++) {
      const node = readNextNode(r, prevNode);
      prevNode = node;
      const counter = varintAtLeast(r, 1, 'counter');
      context.set(node, counter);
      const kAt = r.pos;
      const k = r.count(2);
      if (k > counter) throw new VClockDecodeError('out-of-range', kAt, `${k} siblings cannot fit under counter ${counter}`);
      let prev = counter + 1;
      for (let s = 0; s < k; s++) {
        const gapAt = r.pos;
        const dot = prev - 1 - r.uvarint();
        if (dot < 1) throw new VClockDecodeError('out-of-range', gapAt, `sibling dot of ${node} below 1`);
        const valueAt = r.pos;
        const raw = r.prefixedView();
        let value: V;
        try {
          value = decodeValue(raw);
        } catch (err) {
          throw new VClockDecodeError('value-codec', valueAt, `value codec failed: ${String(err)}`, { cause: err });
        }
        siblings.push({ node, counter: dot, value });
        prev = dot;
      }
    }
    r.expectEnd();
    return { context, siblings };
  } catch (err) {
    throw decodeError(err);
  }
}

/** A writer over a new array of `size` bytes, the header byte written. */
function writer(size: number, kind: number): ByteWriter {
  const w = new ByteWriter(new Uint8Array(size));
  w.u8((FORMAT_VERSION << 4) | kind);
  return w;
}

function openReader(bytes: Uint8Array, kind: number): ByteReader {
  if (!(bytes instanceof Uint8Array)) throw new VClockDecodeError('truncated', 0, 'input is not a Uint8Array');
  const r = new ByteReader(bytes);
  const h = r.u8();
  if (h >> 4 !== FORMAT_VERSION) throw new VClockDecodeError('unsupported-version', 0, `unsupported format version ${h >> 4}`);
  if ((h & 0x0f) !== kind) throw new VClockDecodeError('wrong-kind', 0, `expected kind ${kind}, got ${h & 0x0f}`);
  return r;
}

/** `err` as the decoders report it: a byte-level failure of @quorumkv/bytes becomes a VClockDecodeError. */
function decodeError(err: unknown): unknown {
  if (!(err instanceof BytesError)) return err;
  return new VClockDecodeError(codeOf(err), err.offset, err.detail, { cause: err });
}

function codeOf(err: BytesError): VClockDecodeErrorCode {
  switch (err.reason) {
    case 'truncated':
    case 'count-exceeds-input':
      return 'truncated';
    case 'overlong-varint':
      return 'bad-varint';
    case 'non-canonical-varint':
      return 'non-canonical';
    case 'varint-out-of-range':
    case 'not-a-uint53':
      return 'out-of-range';
    case 'invalid-utf8':
    case 'lone-surrogate':
      return 'bad-utf8';
    case 'trailing-bytes':
    case 'size-mismatch':
      return 'trailing-bytes';
  }
}

/** A varint that must be at least `min` (counters are at least 1, lengths of node ids too). */
function varintAtLeast(r: ByteReader, min: number, what: string): number {
  const at = r.pos;
  const n = r.uvarint();
  if (n < min) throw new VClockDecodeError('out-of-range', at, `${what} must be at least ${min}, got ${n}`);
  return n;
}

/** Reads a node id (non-empty, strict UTF-8) that must sort strictly after `prev`: refuses duplicates and non-canonical order. */
function readNextNode(r: ByteReader, prev: string | undefined): string {
  const at = r.pos;
  const node = r.utf8(varintAtLeast(r, 1, 'node id length'));
  if (prev !== undefined && compareNodeIds(prev, node) >= 0) {
    throw new VClockDecodeError('non-canonical', at, 'node ids are duplicated or not in ascending order');
  }
  return node;
}

/** The nodes of a vector with a non-zero counter, sorted; validates the counters on the way. */
function sortedNodes(vv: VersionVector): string[] {
  const nodes: string[] = [];
  for (const [node, counter] of vv) {
    if (counter === 0) continue; // a zero entry carries no information and has no encoding
    assertNodeId(node);
    assertCounter(counter);
    nodes.push(node);
  }
  return nodes.sort(compareNodeIds);
}

