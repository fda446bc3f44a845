// Random but well-formed messages of any type, by reflection over the generated descriptors: every
// field of every kind (scalars at their edges, enums including unknown numbers, nested messages,
// lists, maps, oneofs), bounded in depth and size. What the strings may never be is given: the
// fuzzer keeps its canary bucket and the real node ids out of reach, and addresses point at a
// loopback address where nothing listens (a node may dial an address it is told about).
import { create, ScalarType, type DescField, type DescMessage, type Message } from '@bufbuild/protobuf';
import type { FuzzRandom } from './fuzz-random.js';

/** What generated strings must respect. */
export interface MessageGeneratorOptions {
  /** Strings no field may hold (the canary bucket, real node ids). */
  readonly forbidden: ReadonlySet<string>;
  /** Host every address-like field (a name containing `address`) points at; a random port is added. */
  readonly sinkHost: string;
  /** Largest string or bytes field, in bytes. Default 4096. */
  readonly maxFieldBytes?: number;
  /** Deepest nesting of messages. Default 4. */
  readonly maxDepth?: number;
}

const ALPHABETS = ['abcdefghijklmnopqrstuvwxyz0123456789-_.:/', 'ÄéЖ中文😀\u0000\u007f \t\n', 'zZ'];

const INT32_EDGES = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31)];
const UINT32_EDGES = [0, 1, 2 ** 32 - 1, 2 ** 31];
const INT64_EDGES = [0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n)];
const UINT64_EDGES = [0n, 1n, 2n ** 64n - 1n, 2n ** 53n + 1n];
const DOUBLE_EDGES = [0, -0, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.MAX_VALUE, Number.MIN_VALUE];

/** Makes random messages of any generated type. */
export class MessageGenerator {
  private readonly maxFieldBytes: number;
  private readonly maxDepth: number;

  constructor(
    private readonly random: FuzzRandom,
    private readonly options: MessageGeneratorOptions,
  ) {
    this.maxFieldBytes = options.maxFieldBytes ?? 4096;
    this.maxDepth = options.maxDepth ?? 4;
  }

  /** A random message of `desc`'s type; each field is set with probability 0.7 (so zero values occur too). */
  message<D extends DescMessage>(desc: D, depth = 0): Message {
    const init: Record<string, unknown> = {};
    for (const field of desc.fields) {
      if (field.oneof || !this.random.chance(0.7)) continue;
      const value = this.fieldValue(field, depth);
      if (value !== undefined) init[field.localName] = value;
    }
    for (const oneof of desc.oneofs) {
      if (!this.random.chance(0.8)) continue;
      const field = this.random.pick(oneof.fields);
      const value = this.single(field, depth);
      if (value !== undefined) init[oneof.localName] = { case: field.localName, value };
    }
    return create(desc, init as never);
  }

  private fieldValue(field: DescField, depth: number): unknown {
    switch (field.fieldKind) {
      case 'list': {
        const count = this.random.chance(0.95) ? this.random.int(0, 4) : this.random.int(5, 64);
        const items: unknown[] = [];
        for (let i = 0; i < count; i++) {
          const item = field.listKind === 'message' ? this.nested(field.message, depth) : field.listKind === 'enum' ? this.enumNumber(field.enum.values.map((v) => v.number)) : this.scalar(field.scalar, field.name);
          if (item !== undefined) items.push(item);
        }
        return items;
      }
      case 'map': {
        const out: Record<string, unknown> = {};
        for (let i = this.random.int(0, 3); i > 0; i--) {
          const key = String(this.scalar(field.mapKey, field.name));
          out[key] = field.mapKind === 'message' ? this.nested(field.message, depth) : field.mapKind === 'enum' ? this.enumNumber(field.enum.values.map((v) => v.number)) : this.scalar(field.scalar, field.name);
        }
        return out;
      }
      default:
        return this.single(field, depth);
    }
  }

  private single(field: DescField, depth: number): unknown {
    if (field.fieldKind === 'message') return this.nested(field.message, depth);
    if (field.fieldKind === 'enum') return this.enumNumber(field.enum.values.map((v) => v.number));
    if (field.fieldKind === 'scalar') return this.scalar(field.scalar, field.name);
    return undefined;
  }

  private nested(desc: DescMessage, depth: number): Message | undefined {
    return depth >= this.maxDepth ? undefined : this.message(desc, depth + 1);
  }

  /** A declared value mostly; sometimes a number the enum does not declare (open enums keep it). */
  private enumNumber(declared: readonly number[]): number {
    return this.random.chance(0.9) ? this.random.pick(declared) : this.random.pick([-1, 99, 2 ** 31 - 1]);
  }

  private scalar(type: ScalarType, fieldName: string): unknown {
    const r = this.random;
    switch (type) {
      case ScalarType.STRING:
        return this.string(fieldName);
      case ScalarType.BYTES:
        return r.bytes(r.length(this.maxFieldBytes));
      case ScalarType.BOOL:
        return r.chance(0.5);
      case ScalarType.DOUBLE:
      case ScalarType.FLOAT:
        return r.chance(0.5) ? r.pick(DOUBLE_EDGES) : r.int(-1e6, 1e6) / 7;
      case ScalarType.INT32:
      case ScalarType.SINT32:
      case ScalarType.SFIXED32:
        return r.chance(0.4) ? r.pick(INT32_EDGES) : r.int(-1000, 100_000);
      case ScalarType.UINT32:
      case ScalarType.FIXED32:
        return r.chance(0.4) ? r.pick(UINT32_EDGES) : r.int(0, 100_000);
      case ScalarType.UINT64:
      case ScalarType.FIXED64:
        return r.chance(0.4) ? r.pick(UINT64_EDGES) : BigInt(r.int(0, 2 ** 31 - 1));
      default:
        return r.chance(0.4) ? r.pick(INT64_EDGES) : BigInt(r.int(-(2 ** 31), 2 ** 31 - 1));
    }
  }

  private string(fieldName: string): string {
    const r = this.random;
    if (fieldName.includes('address')) return r.chance(0.9) ? `${this.options.sinkHost}:${r.int(1, 65535)}` : '';
    const alphabet = [...r.pick(ALPHABETS)];
    let s = '';
    for (let n = r.length(this.maxFieldBytes / 4); n > 0; n--) s += r.pick(alphabet);
    while (this.options.forbidden.has(s)) s += '~';
    return s;
  }
}
