import fc from 'fast-check';
import { encodeEnvelope } from '@quorumkv/protocol';
import { MessageProgress } from './message-progress.js';

describe('MessageProgress', () => {
  it('sees a stream of envelopes arrive in any chunks: partial only inside a message', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 3000 }), { minLength: 1, maxLength: 8 }), fc.array(fc.nat({ max: 5000 }), { maxLength: 20 }), (sizes, cuts) => {
        const body = Buffer.concat(sizes.map((n) => encodeEnvelope(new Uint8Array(n))));
        const progress = new MessageProgress(true, 0);
        const points = [...new Set(cuts.map((c) => Math.min(c, body.length)))].sort((a, b) => a - b).concat(body.length);
        let from = 0;
        let now = 0;
        for (const to of points) {
          if (to <= from) continue;
          progress.feed(body.subarray(from, to), ++now);
          from = to;
        }
        expect(progress.partial).toBeUndefined();
        // One byte short: the last message (or its header) is still arriving.
        const half = new MessageProgress(true, 0);
        half.feed(body.subarray(0, body.length - 1), 7);
        expect(half.partial).toEqual({ sinceMs: 7, bytes: body.length - 1 });
      }),
      { seed: 15, numRuns: 100 },
    );
  });

  it('clocks a message from its first byte, and restarts when the node stops reading', () => {
    const p = new MessageProgress(true, 0);
    const framed = encodeEnvelope(new Uint8Array(100));
    p.feed(framed.subarray(0, 10), 50);
    expect(p.partial).toEqual({ sinceMs: 50, bytes: 10 });
    p.feed(framed.subarray(10, 40), 80);
    expect(p.partial).toEqual({ sinceMs: 50, bytes: 40 });
    p.restart(90);
    expect(p.partial).toEqual({ sinceMs: 90, bytes: 0 });
    p.feed(framed.subarray(40), 95);
    expect(p.partial).toBeUndefined();
  });

  it('clocks a unary body from the start of the request', () => {
    const p = new MessageProgress(false, 5);
    expect(p.partial).toEqual({ sinceMs: 5, bytes: 0 });
    p.feed(new Uint8Array(64), 9);
    expect(p.partial).toEqual({ sinceMs: 5, bytes: 64 });
  });
});
