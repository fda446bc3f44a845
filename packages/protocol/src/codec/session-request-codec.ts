// Hand-written binary codec for KvService.Session's requests (the SDK's stream): the same bytes as
// protobuf-es (checked in hot-codecs.test.ts), without its reflection.
import type { DeleteRequest, GetRequest, PutRequest, SessionOp, SessionRequest } from '../gen/quorumkv/v1/kv_pb.js';
import { WireReader } from './wire-reader.js';
import {
  WireWriter,
  bigintFieldSize,
  boolFieldSize,
  bytesFieldSize,
  lenFieldSize,
  optionalUintFieldSize,
  stringFieldSize,
} from './wire-writer.js';
import { nested, slot, type Sizes } from './nested-sizes.js';

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

function writeOp(w: WireWriter, m: SessionOp, s: Sizes): void {
  nested(w, 1, s);
  w.bigintField(1, m.id);
  const op = m.op;
  switch (op.case) {
    case 'get': {
      const v = op.value;
      nested(w, 2, s);
      w.stringField(1, v.bucket);
      w.bytesField(2, v.key);
      w.optionalUintField(3, v.r);
      w.optionalUintField(4, v.timeoutMs);
      return;
    }
    case 'put': {
      const v = op.value;
      nested(w, 3, s);
      w.stringField(1, v.bucket);
      w.bytesField(2, v.key);
      w.bytesField(3, v.value);
      w.bytesField(4, v.context);
      w.optionalUintField(5, v.w);
      w.optionalUintField(6, v.timeoutMs);
      w.bigintField(7, v.ttlMs);
      w.boolField(8, v.returnBody);
      return;
    }
    case 'delete': {
      const v = op.value;
      nested(w, 4, s);
      w.stringField(1, v.bucket);
      w.bytesField(2, v.key);
      w.bytesField(3, v.context);
      w.optionalUintField(4, v.w);
      w.optionalUintField(5, v.timeoutMs);
      return;
    }
    default:
  }
}

/** Encodes a SessionRequest; `offset` bytes are left free at the start (an envelope header). */
export function encodeSessionRequest(m: SessionRequest, offset = 0): Uint8Array {
  const s: Sizes = { list: [], at: 0 };
  let total = 0;
  for (const op of m.ops) total += lenFieldSize(sizeOp(op, s));
  const w = new WireWriter(total, offset);
  for (const op of m.ops) writeOp(w, op, s);
  return w.finish();
}

function readGetRequest(r: WireReader): GetRequest {
  const m: GetRequest = { $typeName: 'quorumkv.v1.GetRequest', bucket: '', key: EMPTY };
  while (!r.done) {
    const tag = r.tag();
    if (tag === 0x0a) m.bucket = r.string();
    else if (tag === 0x12) m.key = r.bytes();
    else if (tag === 0x18) m.r = r.varint32();
    else if (tag === 0x20) m.timeoutMs = r.varint32();
    else r.skip(tag);
  }
  return m;
}

function readPutRequest(r: WireReader): PutRequest {
  const m: PutRequest = { $typeName: 'quorumkv.v1.PutRequest', bucket: '', key: EMPTY, value: EMPTY, context: EMPTY, ttlMs: 0n, returnBody: false };
  while (!r.done) {
    const tag = r.tag();
    switch (tag) {
      case 0x0a:
        m.bucket = r.string();
        break;
      case 0x12:
        m.key = r.bytes();
        break;
      case 0x1a:
        m.value = r.bytes();
        break;
      case 0x22:
        m.context = r.bytes();
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
        m.returnBody = r.bool();
        break;
      default:
        r.skip(tag);
    }
  }
  return m;
}

function readDeleteRequest(r: WireReader): DeleteRequest {
  const m: DeleteRequest = { $typeName: 'quorumkv.v1.DeleteRequest', bucket: '', key: EMPTY, context: EMPTY };
  while (!r.done) {
    const tag = r.tag();
    if (tag === 0x0a) m.bucket = r.string();
    else if (tag === 0x12) m.key = r.bytes();
    else if (tag === 0x1a) m.context = r.bytes();
    else if (tag === 0x20) m.w = r.varint32();
    else if (tag === 0x28) m.timeoutMs = r.varint32();
    else r.skip(tag);
  }
  return m;
}

function readOp(r: WireReader): SessionOp {
  const m: SessionOp = { $typeName: 'quorumkv.v1.SessionOp', id: 0n, op: { case: undefined } };
  while (!r.done) {
    const tag = r.tag();
    if (tag === 0x08) m.id = r.varint64();
    else if (tag === 0x12) m.op = { case: 'get', value: readGetRequest(r.nested()) };
    else if (tag === 0x1a) m.op = { case: 'put', value: readPutRequest(r.nested()) };
    else if (tag === 0x22) m.op = { case: 'delete', value: readDeleteRequest(r.nested()) };
    else r.skip(tag);
  }
  return m;
}

/** Decodes a SessionRequest; bytes fields are views into `bytes`. */
export function decodeSessionRequest(bytes: Uint8Array): SessionRequest {
  const m: SessionRequest = { $typeName: 'quorumkv.v1.SessionRequest', ops: [] };
  const r = new WireReader(bytes);
  while (!r.done) {
    const tag = r.tag();
    if (tag === 0x0a) m.ops.push(readOp(r.nested()));
    else r.skip(tag);
  }
  return m;
}

