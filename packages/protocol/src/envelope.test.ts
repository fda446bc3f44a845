import fc from 'fast-check';
import { ENVELOPE_END_STREAM, EnvelopeReader, MessageLimitError, OVERSIZE_PREFIX_BYTES, encodeEnvelope, parseEndStream } from './envelope.js';

describe('envelopes', () => {
  it('round-trips any messages split at any chunk boundaries', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), fc.array(fc.nat({ max: 400 }), { maxLength: 30 }), (messages, cuts) => {
        const stream = new Uint8Array(messages.reduce((n, m) => n + 5 + m.length, 0));
        let at = 0;
        for (const m of messages) {
          stream.set(encodeEnvelope(m), at);
          at += 5 + m.length;
        }
        const reader = new EnvelopeReader();
        const got: Uint8Array[] = [];
        let from = 0;
        for (const cut of [...cuts].sort((a, b) => a - b).map((c) => Math.min(c, stream.length)).concat(stream.length)) {
          if (cut < from) continue;
          for (const e of reader.push(stream.subarray(from, cut))) got.push(e.data.slice());
          from = cut;
        }
        expect(got).toEqual(messages);
        expect(reader.midMessage).toBe(false);
      }),
      { seed: 7, numRuns: 200 },
    );
  });

  it('refuses a length prefix beyond the limit instead of buffering it', () => {
    const bad = new Uint8Array([0, 0xff, 0xff, 0xff, 0xff, 1, 2]);
    expect(() => new EnvelopeReader().push(bad)).toThrow(MessageLimitError);
    expect(() => new EnvelopeReader({ maxMessageBytes: 10 }).push(encodeEnvelope(new Uint8Array(11)))).toThrow('message of 11 bytes exceeds the limit of 10');
  });

  it('skips a message over the limit but within the skip limit, keeping only its first bytes', () => {
    const reader = new EnvelopeReader({ maxMessageBytes: 100, skipMessagesUpToBytes: 1000 });
    const big = new Uint8Array(900).map((_, i) => i % 251);
    const stream = new Uint8Array([...encodeEnvelope(big), ...encodeEnvelope(new Uint8Array([9]))]);
    const got = [];
    for (let at = 0; at < stream.length; at += 7) got.push(...reader.push(stream.subarray(at, at + 7)));
    expect(got).toHaveLength(2);
    expect(got[0]!.oversizeBytes).toBe(900);
    expect(got[0]!.data).toEqual(big.subarray(0, OVERSIZE_PREFIX_BYTES));
    expect(got[1]).toEqual({ flags: 0, data: new Uint8Array([9]) });
    // Never more than one chunk held while skipping.
    expect(reader.bufferedBytes).toBe(0);
    expect(() => reader.push(encodeEnvelope(new Uint8Array(1001)))).toThrow(MessageLimitError);
  });

  it('hands out envelopes one at a time with next(), keeping the rest buffered', () => {
    const reader = new EnvelopeReader();
    reader.append(new Uint8Array([...encodeEnvelope(new Uint8Array([1])), ...encodeEnvelope(new Uint8Array([2, 2])), 0, 0]));
    expect(reader.next()?.data).toEqual(new Uint8Array([1]));
    expect(reader.bufferedBytes).toBe(9);
    expect(reader.next()?.data).toEqual(new Uint8Array([2, 2]));
    expect(reader.next()).toBeUndefined();
    expect(reader.midMessage).toBe(true);
  });

  it('carries end-of-stream errors', () => {
    const [e] = new EnvelopeReader().push(encodeEnvelope(new TextEncoder().encode('{"error":{"code":"unavailable","message":"gone"}}'), ENVELOPE_END_STREAM));
    expect(e!.flags).toBe(ENVELOPE_END_STREAM);
    // The error's JSON comes along, so a client can rebuild it with its details (errorFromJson).
    expect(parseEndStream(e!.data)).toEqual({ code: 'unavailable', message: 'gone', json: { code: 'unavailable', message: 'gone' } });
    expect(parseEndStream(new TextEncoder().encode('{}'))).toBeUndefined();
  });
});

/** Bytes copied by Uint8Array#set and #slice while `body` runs: the work reassembly does. */
function bytesCopied(body: () => void): number {
  const proto = Uint8Array.prototype;
  const set = proto.set;
  const slice = proto.slice;
  let copied = 0;
  proto.set = function (this: Uint8Array, array: ArrayLike<number>, offset?: number) {
    copied += array.length;
    return set.call(this, array, offset);
  } as typeof set;
  proto.slice = function (this: Uint8Array, start?: number, end?: number) {
    const out = slice.call(this, start, end);
    copied += out.length;
    return out;
  } as typeof slice;
  try {
    body();
  } finally {
    proto.set = set;
    proto.slice = slice;
  }
  return copied;
}

describe('reassembly of a message split over many chunks', () => {
  // HTTP/2 delivers a large message in frames of 16 KiB: what a stream handler is fed.
  const CHUNK = 16 * 1024;
  function reassemble(messageBytes: number): { copied: number; cpuMs: number } {
    const framed = encodeEnvelope(new Uint8Array(messageBytes).fill(7));
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < framed.length; at += CHUNK) chunks.push(framed.slice(at, at + CHUNK));
    const reader = new EnvelopeReader();
    const got: Uint8Array[] = [];
    const started = process.cpuUsage();
    const copied = bytesCopied(() => {
      for (const c of chunks) for (const e of reader.push(c)) got.push(e.data);
    });
    const used = process.cpuUsage(started);
    expect(got.map((m) => m.length)).toEqual([messageBytes]);
    expect(got[0]![messageBytes - 1]).toBe(7);
    return { copied, cpuMs: (used.user + used.system) / 1000 };
  }

  it('costs linear work: a 48 MiB message copies no more than twice what a 24 MiB one does', () => {
    const small = reassemble(24 * 1024 * 1024);
    const large = reassemble(48 * 1024 * 1024);
    process.stdout.write(`reassembly: 24 MiB copied ${small.copied} bytes in ${small.cpuMs.toFixed(0)} ms CPU; 48 MiB copied ${large.copied} bytes in ${large.cpuMs.toFixed(0)} ms CPU\n`);
    expect(large.copied).toBeLessThanOrEqual(2 * small.copied);
    // Each byte is copied once, when the message is joined.
    expect(large.copied).toBeLessThanOrEqual(48 * 1024 * 1024 + CHUNK);
  });
});
