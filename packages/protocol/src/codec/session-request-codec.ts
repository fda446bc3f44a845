// Hand-written binary codec for KvService.Session's requests (the SDK's stream): the same bytes as
// protobuf-es (checked in hot-codecs.test.ts), without its reflection.
import type { DeleteRequest, GetRequest, PutRequest, SessionOp, SessionRequest } from '../gen/quorumkv/v1/kv_pb.js';
import { ByteReader, type ByteWriter } from '@quorumkv/bytes';
import { readTag, readBool, readBytes, readString, readNested, skipField, readRepeatedField1 } from './wire-reader.js';
import {
  messageWriter,
  optionalUintField,
  boolField,
  bigintField,
  bytesField,
  stringField,
  lenFieldSize,
  optionalUintFieldSize,
  bigintFieldSize,
  boolFieldSize,
  bytesFieldSize,
  stringFieldSize,
} from './wire-writer.js';
import { nested, slot, type Sizes } from './nested-sizes.js';
import { SESSION_MAX_OPS_PER_MESSAGE } from '../session-limits.js';

const EMPTY = new Uint8Array(0);

// --- requests

function sizeGetRequest(m: GetRequest): number {
  return stringFieldSize(m.bucket) + bytesFieldSize(m.key) + optionalUintFieldSize(m.r) + optionalUintFieldSize(m.timeoutMs);
}

function sizePutRequest(m: PutRequest): number {
  return (
    stringFieldSize(m.bucket) +
    bytesFieldSize(m.key) +
    bytesFieldSize(m.value) +
    bytesFieldSize(m.context) +
    optionalUintFieldSize(m.w) +
    optionalUintFieldSize(m.timeoutMs) +
    bigintFieldSize(m.ttlMs) +
    boolFieldSize(m.returnBody)
  );
}

function sizeDeleteRequest(m: DeleteRequest): number {
  return stringFieldSize(m.bucket) + bytesFieldSize(m.key) + bytesFieldSize(m.context) + optionalUintFieldSize(m.w) + optionalUintFieldSize(m.timeoutMs);
}

function sizeOp(m: SessionOp, s: Sizes): number {
  const i = slot(s);
  let n = bigintFieldSize(m.id);
  const op = m.op;
  if (op.case !== undefined) {
    const j = slot(s);
    const body = op.case === 'get' ? sizeGetRequest(op.value) : op.case === 'put' ? sizePutRequest(op.value) : sizeDeleteRequest(op.value);
    s.list[j] = body;
    n += lenFieldSize(body);
  }
  s.list[i] = n;
  return n;
}

function writeOp(w: ByteWriter, m: SessionOp, s: Sizes): void {
  nested(w, 1, s);
  bigintField(w, 1, m.id);
  const op = m.op;
  switch (op.case) {
    case 'get': {
      const v = op.value;
      nested(w, 2, s);
      stringField(w, 1, v.bucket);
      bytesField(w, 2, v.key);
      optionalUintField(w, 3, v.r);
      optionalUintField(w, 4, v.timeoutMs);
      return;
    }
    case 'put': {
      const v = op.value;
      nested(w, 3, s);
      stringField(w, 1, v.bucket);
      bytesField(w, 2, v.key);
      bytesField(w, 3, v.value);
      bytesField(w, 4, v.context);
      optionalUintField(w, 5, v.w);
      optionalUintField(w, 6, v.timeoutMs);
      bigintField(w, 7, v.ttlMs);
      boolField(w, 8, v.returnBody);
      return;
    }
    case 'delete': {
      const v = op.value;
      nested(w, 4, s);
      stringField(w, 1, v.bucket);
      bytesField(w, 2, v.key);
      bytesField(w, 3, v.context);
      optionalUintField(w, 4, v.w);
      optionalUintField(w, 5, v.timeoutMs);
      return;
    }
    default:
  }
}

/** Bytes one operation adds to an encoded SessionRequest (the SDK splits its messages by them). */
export function sessionOpBytes(op: SessionOp): number {
  return lenFieldSize(sizeOp(op, { list: [], at: 0 }));
}

/** Encodes a SessionRequest; `offset` bytes are left free at the start (an envelope header). */
export function encodeSessionRequest(m: SessionRequest, offset = 0): Uint8Array {
  const s: Sizes = { list: [], at: 0 };
  let total = 0;
  for (const op of m.ops) total += lenFieldSize(sizeOp(op, s));
  const w = messageWriter(total, offset);
  for (const op of m.ops) writeOp(w, op, s);
  return w.finish();
}

function readGetRequest(r: ByteReader): GetRequest {
  const m: GetRequest = { $typeName: 'quorumkv.v1.GetRequest', bucket: '', key: EMPTY };
  while (!r.done) {
    const tag = readTag(r);
    if (tag === 0x0a) m.bucket = readString(r);
    else if (tag === 0x12) m.key = readBytes(r);
    else if (tag === 0x18) m.r = r.varint32();
    else if (tag === 0x20) m.timeoutMs = r.varint32();
    else skipField(r, tag);
  }
  return m;
}

function readPutRequest(r: ByteReader): PutRequest {
  const m: PutRequest = { $typeName: 'quorumkv.v1.PutRequest', bucket: '', key: EMPTY, value: EMPTY, context: EMPTY, ttlMs: 0n, returnBody: false };
  while (!r.done) {
    const tag = readTag(r);
    switch (tag) {
      case 0x0a:
        m.bucket = readString(r);
        break;
      case 0x12:
        m.key = readBytes(r);
        break;
      case 0x1a:
        m.value = readBytes(r);
        break;
      case 0x22:
        m.context = readBytes(r);
        break;
      case 0x28:
        m.w = r.varint32();
        break;
      case 0x30:
        m.timeoutMs = r.varint32();
        break;
      case 0x38:
        m.ttlMs = r.varint64();
        break;
      case 0x40:
        m.returnBody = readBool(r);
        break;
      default:
        skipField(r, tag);
    }
  }
  return m;
}

function readDeleteRequest(r: ByteReader): DeleteRequest {
  const m: DeleteRequest = { $typeName: 'quorumkv.v1.DeleteRequest', bucket: '', key: EMPTY, context: EMPTY };
  while (!r.done) {
    const tag = readTag(r);
    if (tag === 0x0a) m.bucket = readString(r);
    else if (tag === 0x12) m.key = readBytes(r);
    else if (tag === 0x1a) m.context = readBytes(r);
    else if (tag === 0x20) m.w = r.varint32();
    else if (tag === 0x28) m.timeoutMs = r.varint32();
    else skipField(r, tag);
  }
  return m;
}

function readOp(r: ByteReader): SessionOp {
  const m: SessionOp = { $typeName: 'quorumkv.v1.SessionOp', id: 0n, op: { case: undefined } };
  while (!r.done) {
    const tag = readTag(r);
    if (tag === 0x08) m.id = r.varint64();
    else if (tag === 0x12) m.op = { case: 'get', value: readGetRequest(readNested(r)) };
    else if (tag === 0x1a) m.op = { case: 'put', value: readPutRequest(readNested(r)) };
    else if (tag === 0x22) m.op = { case: 'delete', value: readDeleteRequest(readNested(r)) };
    else skipField(r, tag);
  }
  return m;
}

/**
 * Decodes a SessionRequest; bytes fields are views into `bytes`. Throws `MessageLimitError`
 * as soon as the message holds more than `maxOps` operations, before decoding the rest.
 */
export function decodeSessionRequest(bytes: Uint8Array, maxOps = SESSION_MAX_OPS_PER_MESSAGE): SessionRequest {
  return { $typeName: 'quorumkv.v1.SessionRequest', ops: readRepeatedField1(bytes, readOp, maxOps) };
}

/**
 * The id of the one operation of a SessionRequest known only by its first bytes and its length (a
 * message too large to read, see `EnvelopeReader`'s skipping); undefined unless the message holds
 * exactly one operation whose id comes first, as the SDK writes it.
 */
export function soleSessionOpId(prefix: Uint8Array, messageBytes: number): bigint | undefined {
  try {
    const r = new ByteReader(prefix);
    if (readTag(r) !== 0x0a) return undefined;
    const opBytes = r.varint32();
    if (r.pos + opBytes !== messageBytes || readTag(r) !== 0x08) return undefined;
    return r.varint64();
  } catch {
    return undefined;
  }
}

