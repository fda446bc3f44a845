// Hand-written binary codec for KvService.Session's responses: the same bytes as protobuf-es
// (checked in hot-codecs.test.ts), without its reflection.
import type { ErrorDetail, QuorumFailure, QuorumReceipt, ReplicaAnswer, Sibling } from '../gen/quorumkv/v1/common_pb.js';
import type { DeleteResponse, GetResponse, PutResponse, SessionError, SessionResponse, SessionResult } from '../gen/quorumkv/v1/kv_pb.js';
import type { ByteReader, ByteWriter } from '@quorumkv/bytes';
import { readTag, readBool, readInt64, readBytes, readString, readNested, skipField, readRepeatedField1 } from './wire-reader.js';
import {
  messageWriter,
  uintField,
  boolField,
  bigintField,
  bytesField,
  stringField,
  lenFieldSize,
  uintFieldSize,
  bigintFieldSize,
  boolFieldSize,
  bytesFieldSize,
  stringFieldSize,
} from './wire-writer.js';
import { nested, slot, type Sizes } from './nested-sizes.js';

const EMPTY = new Uint8Array(0);

// --- responses

function sizeAnswer(a: ReplicaAnswer): number {
  return (
    stringFieldSize(a.nodeId) +
    boolFieldSize(a.fallback) +
    stringFieldSize(a.standingInFor) +
    boolFieldSize(a.ok) +
    stringFieldSize(a.error) +
    uintFieldSize(a.latencyUs)
  );
}

function sizeAnswers(list: ReplicaAnswer[], s: Sizes): number {
  let n = 0;
  for (const a of list) {
    const i = slot(s);
    s.list[i] = sizeAnswer(a);
    n += lenFieldSize(s.list[i]!);
  }
  return n;
}

function writeAnswers(w: ByteWriter, field: number, list: ReplicaAnswer[], s: Sizes): void {
  for (const a of list) {
    nested(w, field, s);
    stringField(w, 1, a.nodeId);
    boolField(w, 2, a.fallback);
    stringField(w, 3, a.standingInFor);
    boolField(w, 4, a.ok);
    stringField(w, 5, a.error);
    uintField(w, 6, a.latencyUs);
  }
}

function sizeReceipt(r: QuorumReceipt, s: Sizes): number {
  const i = slot(s);
  const n =
    uintFieldSize(r.required) +
    uintFieldSize(r.asked) +
    uintFieldSize(r.answered) +
    sizeAnswers(r.replicas, s) +
    uintFieldSize(r.siblingCount) +
    bigintFieldSize(r.ringVersion) +
    stringFieldSize(r.coordinator) +
    boolFieldSize(r.forwarded) +
    boolFieldSize(r.lwwLost);
  s.list[i] = n;
  return n;
}

function writeReceipt(w: ByteWriter, field: number, r: QuorumReceipt, s: Sizes): void {
  nested(w, field, s);
  uintField(w, 1, r.required);
  uintField(w, 2, r.asked);
  uintField(w, 3, r.answered);
  writeAnswers(w, 4, r.replicas, s);
  uintField(w, 5, r.siblingCount);
  bigintField(w, 6, r.ringVersion);
  stringField(w, 7, r.coordinator);
  boolField(w, 8, r.forwarded);
  boolField(w, 9, r.lwwLost);
}

function sizeSiblings(list: Sibling[], s: Sizes): number {
  let n = 0;
  for (const x of list) {
    const i = slot(s);
    s.list[i] = bytesFieldSize(x.value) + bigintFieldSize(x.timestampMs) + boolFieldSize(x.tombstone) + bigintFieldSize(x.expiresAtMs) + stringFieldSize(x.writtenBy);
    n += lenFieldSize(s.list[i]!);
  }
  return n;
}

function writeSiblings(w: ByteWriter, field: number, list: Sibling[], s: Sizes): void {
  for (const x of list) {
    nested(w, field, s);
    bytesField(w, 1, x.value);
    bigintField(w, 2, x.timestampMs);
    boolField(w, 3, x.tombstone);
    bigintField(w, 4, x.expiresAtMs);
    stringField(w, 5, x.writtenBy);
  }
}

function sizeResultBody(r: SessionResult['result'], s: Sizes): number {
  switch (r.case) {
    case 'get': {
      const v = r.value;
      return boolFieldSize(v.found) + sizeSiblings(v.siblings, s) + bytesFieldSize(v.context) + (v.receipt ? lenFieldSize(sizeReceipt(v.receipt, s)) : 0);
    }
    case 'put': {
      const v = r.value;
      return bytesFieldSize(v.context) + sizeSiblings(v.siblings, s) + (v.receipt ? lenFieldSize(sizeReceipt(v.receipt, s)) : 0);
    }
    case 'delete':
      return r.value.receipt ? lenFieldSize(sizeReceipt(r.value.receipt, s)) : 0;
    case 'error': {
      const v = r.value;
      let n = uintFieldSize(v.code) + stringFieldSize(v.message);
      if (v.quorum) {
        const i = slot(s);
        const q = v.quorum;
        s.list[i] = stringFieldSize(q.operation) + uintFieldSize(q.asked) + uintFieldSize(q.answered) + uintFieldSize(q.required) + sizeAnswers(q.replicas, s);
        n += lenFieldSize(s.list[i]!);
      }
      if (v.detail) {
        const i = slot(s);
        s.list[i] = uintFieldSize(v.detail.reason) + stringFieldSize(v.detail.field) + stringFieldSize(v.detail.description);
        n += lenFieldSize(s.list[i]!);
      }
      return n;
    }
    default:
      return 0;
  }
}

function sizeResult(m: SessionResult, s: Sizes): number {
  const i = slot(s);
  let n = bigintFieldSize(m.id);
  if (m.result.case !== undefined) {
    const j = slot(s);
    s.list[j] = sizeResultBody(m.result, s);
    n += lenFieldSize(s.list[j]!);
  }
  s.list[i] = n;
  return n;
}

function writeResult(w: ByteWriter, m: SessionResult, s: Sizes): void {
  nested(w, 1, s);
  bigintField(w, 1, m.id);
  const r = m.result;
  switch (r.case) {
    case 'get': {
      const v = r.value;
      nested(w, 2, s);
      boolField(w, 1, v.found);
      writeSiblings(w, 2, v.siblings, s);
      bytesField(w, 3, v.context);
      if (v.receipt) writeReceipt(w, 4, v.receipt, s);
      return;
    }
    case 'put': {
      const v = r.value;
      nested(w, 3, s);
      bytesField(w, 1, v.context);
      writeSiblings(w, 2, v.siblings, s);
      if (v.receipt) writeReceipt(w, 3, v.receipt, s);
      return;
    }
    case 'delete':
      nested(w, 4, s);
      if (r.value.receipt) writeReceipt(w, 1, r.value.receipt, s);
      return;
    case 'error': {
      const v = r.value;
      nested(w, 5, s);
      uintField(w, 1, v.code);
      stringField(w, 2, v.message);
      if (v.quorum) {
        const q = v.quorum;
        nested(w, 3, s);
        stringField(w, 1, q.operation);
        uintField(w, 2, q.asked);
        uintField(w, 3, q.answered);
        uintField(w, 4, q.required);
        writeAnswers(w, 5, q.replicas, s);
      }
      if (v.detail) {
        nested(w, 5, s);
        uintField(w, 1, v.detail.reason);
        stringField(w, 2, v.detail.field);
        stringField(w, 3, v.detail.description);
      }
      return;
    }
    default:
  }
}

/** Bytes one result adds to an encoded SessionResponse (a node splits its responses by them). */
export function sessionResultBytes(r: SessionResult): number {
  return lenFieldSize(sizeResult(r, { list: [], at: 0 }));
}

/** Encodes a SessionResponse; `offset` bytes are left free at the start (an envelope header). */
export function encodeSessionResponse(m: SessionResponse, offset = 0): Uint8Array {
  const s: Sizes = { list: [], at: 0 };
  let total = 0;
  for (const r of m.results) total += lenFieldSize(sizeResult(r, s));
  const w = messageWriter(total, offset);
  for (const r of m.results) writeResult(w, r, s);
  return w.finish();
}

// --- readers

function readAnswer(r: ByteReader): ReplicaAnswer {
  const a: ReplicaAnswer = { $typeName: 'quorumkv.v1.ReplicaAnswer', nodeId: '', fallback: false, standingInFor: '', ok: false, error: '', latencyUs: 0 };
  while (!r.done) {
    const tag = readTag(r);
    if (tag === 0x0a) a.nodeId = readString(r);
    else if (tag === 0x10) a.fallback = readBool(r);
    else if (tag === 0x1a) a.standingInFor = readString(r);
    else if (tag === 0x20) a.ok = readBool(r);
    else if (tag === 0x2a) a.error = readString(r);
    else if (tag === 0x30) a.latencyUs = r.varint32();
    else skipField(r, tag);
  }
  return a;
}

function readReceipt(r: ByteReader): QuorumReceipt {
  const m: QuorumReceipt = {
    $typeName: 'quorumkv.v1.QuorumReceipt',
    required: 0,
    asked: 0,
    answered: 0,
    replicas: [],
    siblingCount: 0,
    ringVersion: 0n,
    coordinator: '',
    forwarded: false,
    lwwLost: false,
  };
  while (!r.done) {
    const tag = readTag(r);
    switch (tag) {
      case 0x08:
        m.required = r.varint32();
        break;
      case 0x10:
        m.asked = r.varint32();
        break;
      case 0x18:
        m.answered = r.varint32();
        break;
      case 0x22:
        m.replicas.push(readAnswer(readNested(r)));
        break;
      case 0x28:
        m.siblingCount = r.varint32();
        break;
      case 0x30:
        m.ringVersion = r.varint64();
        break;
      case 0x3a:
        m.coordinator = readString(r);
        break;
      case 0x40:
        m.forwarded = readBool(r);
        break;
      case 0x48:
        m.lwwLost = readBool(r);
        break;
      default:
        skipField(r, tag);
    }
  }
  return m;
}

function readSibling(r: ByteReader): Sibling {
  const m: Sibling = { $typeName: 'quorumkv.v1.Sibling', value: EMPTY, timestampMs: 0n, tombstone: false, expiresAtMs: 0n, writtenBy: '' };
  while (!r.done) {
    const tag = readTag(r);
    if (tag === 0x0a) m.value = readBytes(r);
    else if (tag === 0x10) m.timestampMs = readInt64(r);
    else if (tag === 0x18) m.tombstone = readBool(r);
    else if (tag === 0x20) m.expiresAtMs = r.varint64();
    else if (tag === 0x2a) m.writtenBy = readString(r);
    else skipField(r, tag);
  }
  return m;
}

function readGetResponse(r: ByteReader): GetResponse {
  const m: GetResponse = { $typeName: 'quorumkv.v1.GetResponse', found: false, siblings: [], context: EMPTY, receipt: undefined };
  while (!r.done) {
    const tag = readTag(r);
    if (tag === 0x08) m.found = readBool(r);
    else if (tag === 0x12) m.siblings.push(readSibling(readNested(r)));
    else if (tag === 0x1a) m.context = readBytes(r);
    else if (tag === 0x22) m.receipt = readReceipt(readNested(r));
    else skipField(r, tag);
  }
  return m;
}

function readPutResponse(r: ByteReader): PutResponse {
  const m: PutResponse = { $typeName: 'quorumkv.v1.PutResponse', context: EMPTY, siblings: [], receipt: undefined };
  while (!r.done) {
    const tag = readTag(r);
    if (tag === 0x0a) m.context = readBytes(r);
    else if (tag === 0x12) m.siblings.push(readSibling(readNested(r)));
    else if (tag === 0x1a) m.receipt = readReceipt(readNested(r));
    else skipField(r, tag);
  }
  return m;
}

function readDeleteResponse(r: ByteReader): DeleteResponse {
  const m: DeleteResponse = { $typeName: 'quorumkv.v1.DeleteResponse', receipt: undefined };
  while (!r.done) {
    const tag = readTag(r);
    if (tag === 0x0a) m.receipt = readReceipt(readNested(r));
    else skipField(r, tag);
  }
  return m;
}

function readFailure(r: ByteReader): QuorumFailure {
  const m: QuorumFailure = { $typeName: 'quorumkv.v1.QuorumFailure', operation: '', asked: 0, answered: 0, required: 0, replicas: [] };
  while (!r.done) {
    const tag = readTag(r);
    if (tag === 0x0a) m.operation = readString(r);
    else if (tag === 0x10) m.asked = r.varint32();
    else if (tag === 0x18) m.answered = r.varint32();
    else if (tag === 0x20) m.required = r.varint32();
    else if (tag === 0x2a) m.replicas.push(readAnswer(readNested(r)));
    else skipField(r, tag);
  }
  return m;
}

function readDetail(r: ByteReader): ErrorDetail {
  const m: ErrorDetail = { $typeName: 'quorumkv.v1.ErrorDetail', reason: 0, field: '', description: '' };
  while (!r.done) {
    const tag = readTag(r);
    if (tag === 0x08) m.reason = r.varint32();
    else if (tag === 0x12) m.field = readString(r);
    else if (tag === 0x1a) m.description = readString(r);
    else skipField(r, tag);
  }
  return m;
}

function readError(r: ByteReader): SessionError {
  const m: SessionError = { $typeName: 'quorumkv.v1.SessionError', code: 0, message: '', quorum: undefined, detail: undefined };
  while (!r.done) {
    const tag = readTag(r);
    if (tag === 0x08) m.code = r.varint32();
    else if (tag === 0x12) m.message = readString(r);
    else if (tag === 0x1a) m.quorum = readFailure(readNested(r));
    else if (tag === 0x2a) m.detail = readDetail(readNested(r));
    else skipField(r, tag);
  }
  return m;
}

function readResult(r: ByteReader): SessionResult {
  const m: SessionResult = { $typeName: 'quorumkv.v1.SessionResult', id: 0n, result: { case: undefined } };
  while (!r.done) {
    const tag = readTag(r);
    if (tag === 0x08) m.id = r.varint64();
    else if (tag === 0x12) m.result = { case: 'get', value: readGetResponse(readNested(r)) };
    else if (tag === 0x1a) m.result = { case: 'put', value: readPutResponse(readNested(r)) };
    else if (tag === 0x22) m.result = { case: 'delete', value: readDeleteResponse(readNested(r)) };
    else if (tag === 0x2a) m.result = { case: 'error', value: readError(readNested(r)) };
    else skipField(r, tag);
  }
  return m;
}

/** Decodes a SessionResponse; bytes fields are views into `bytes`. */
export function decodeSessionResponse(bytes: Uint8Array): SessionResponse {
  return { $typeName: 'quorumkv.v1.SessionResponse', results: readRepeatedField1(bytes, readResult) };
}
