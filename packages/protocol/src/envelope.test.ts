import fc from 'fast-check';
import { ENVELOPE_END_STREAM, EnvelopeError, EnvelopeReader, encodeEnvelope, parseEndStream } from './envelope.js';

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
    expect(() => new EnvelopeReader().push(bad)).toThrow(EnvelopeError);
  });

  it('carries end-of-stream errors', () => {
    const [e] = new EnvelopeReader().push(encodeEnvelope(new TextEncoder().encode('{"error":{"code":"unavailable","message":"gone"}}'), ENVELOPE_END_STREAM));
    expect(e!.flags).toBe(ENVELOPE_END_STREAM);
    expect(parseEndStream(e!.data)).toEqual({ code: 'unavailable', message: 'gone' });
    expect(parseEndStream(new TextEncoder().encode('{}'))).toBeUndefined();
  });
});
