import fc from 'fast-check';
import { CODEC_VERSION, decodeMessage, encodeMessage } from './codec.js';
import { GossipCodecError } from './errors.js';
import { type Gossip, type GossipMessage, messageChannel } from './messages.js';

const str = fc.string({ unit: 'binary', maxLength: 20 });
const uint = fc.maxSafeNat();
const bytes = fc.uint8Array({ maxLength: 16 });
const gossip: fc.Arbitrary<Gossip> = fc.oneof(
  fc.record({ kind: fc.constant('alive' as const), id: str, address: str, incarnation: uint, meta: bytes }),
  fc.record({ kind: fc.constant('suspect' as const), id: str, incarnation: uint, from: str }),
  fc.record({ kind: fc.constant('dead' as const), id: str, incarnation: uint, from: str }),
  fc.record({ kind: fc.constant('left' as const), id: str, incarnation: uint }),
  fc.record({ kind: fc.constant('metadata' as const), key: str, version: uint, value: bytes }),
);
const gossips = fc.array(gossip, { maxLength: 5 });
const message: fc.Arbitrary<GossipMessage> = fc.oneof(
  fc.record({ type: fc.constant('ping' as const), seq: uint, sourceId: str, sourceAddress: str, targetId: str, gossip: gossips }),
  fc.record({
    type: fc.constant('ping-req' as const),
    seq: uint,
    sourceId: str,
    sourceAddress: str,
    targetId: str,
    targetAddress: str,
    timeoutMs: uint,
    wantNack: fc.boolean(),
    gossip: gossips,
  }),
  fc.record({ type: fc.constant('ack' as const), seq: uint, sourceId: str, gossip: gossips }),
  fc.record({ type: fc.constant('nack' as const), seq: uint, sourceId: str, gossip: gossips }),
  fc.record({ type: fc.constant('gossip' as const), sourceId: str, gossip: gossips }),
  fc.record({
    type: fc.constant('push-pull' as const),
    sourceId: str,
    sourceAddress: str,
    join: fc.boolean(),
    reply: fc.boolean(),
    members: fc.array(
      fc.record({ id: str, address: str, state: fc.constantFrom('alive' as const, 'suspect' as const, 'dead' as const, 'left' as const), incarnation: uint, meta: bytes }),
      { maxLength: 5 },
    ),
    metadata: fc.array(fc.record({ key: str, version: uint, value: bytes }), { maxLength: 3 }),
  }),
);

function decodeOrCodecError(data: Uint8Array): void {
  try {
    decodeMessage(data);
  } catch (error) {
    if (!(error instanceof GossipCodecError)) throw error;
  }
}

describe('codec', () => {
  test('round-trips every message', () => {
    fc.assert(
      fc.property(message, (m) => {
        expect(decodeMessage(encodeMessage(m))).toEqual(m);
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  test('starts with the codec version and rejects other versions', () => {
    const bytes = encodeMessage({ type: 'gossip', sourceId: 'a', gossip: [] });
    expect(bytes[0]).toBe(CODEC_VERSION);
    bytes[0] = 2;
    expect(() => decodeMessage(bytes)).toThrow(expect.objectContaining({ name: 'GossipCodecError', reason: 'bad-version' }));
  });

  test('every truncation of a valid message is a typed error', () => {
    fc.assert(
      fc.property(message, (m) => {
        const bytes = encodeMessage(m);
        for (let i = 0; i < bytes.length; i++) {
          let thrown: unknown;
          try {
            decodeMessage(bytes.subarray(0, i));
          } catch (error) {
            thrown = error;
          }
          if (!(thrown instanceof GossipCodecError)) throw new Error(`prefix of ${i} bytes decoded without a GossipCodecError`);
        }
        const longer = new Uint8Array(bytes.length + 1);
        longer.set(bytes);
        expect(() => decodeMessage(longer)).toThrow(expect.objectContaining({ reason: 'trailing-bytes' }));
      }),
      { seed: 42, numRuns: 50 },
    );
  });

  test('random bytes and bit flips never throw anything but GossipCodecError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (data) => decodeOrCodecError(data)),
      { seed: 42, numRuns: 2000 },
    );
    fc.assert(
      fc.property(message, fc.nat(), fc.integer({ min: 0, max: 255 }), (m, at, value) => {
        const bytes = encodeMessage(m);
        bytes[at % bytes.length] = value;
        decodeOrCodecError(bytes);
      }),
      { seed: 42, numRuns: 2000 },
    );
  });

  test('rejects invalid UTF-8 and oversized counts', () => {
    // gossip message, sourceId of length 1 holding a lone continuation byte
    expect(() => decodeMessage(Uint8Array.of(1, 5, 1, 0x80, 0))).toThrow(expect.objectContaining({ reason: 'bad-utf8' }));
    // encoded surrogate U+D800 (ED A0 80)
    expect(() => decodeMessage(Uint8Array.of(1, 5, 3, 0xed, 0xa0, 0x80, 0))).toThrow(expect.objectContaining({ reason: 'bad-utf8' }));
    // gossip count of 2^40 with no bytes behind it
    expect(() => decodeMessage(Uint8Array.of(1, 5, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20))).toThrow(expect.objectContaining({ reason: 'count-exceeds-input' }));
  });

  test('encoding a non-integer field is a typed error', () => {
    expect(() => encodeMessage({ type: 'ack', seq: 1.5, sourceId: 'a', gossip: [] })).toThrow(GossipCodecError);
  });

  test('maps messages to the three RPC channels', () => {
    expect(messageChannel({ type: 'ack', seq: 1, sourceId: 'a', gossip: [] })).toBe('ping');
    expect(messageChannel({ type: 'gossip', sourceId: 'a', gossip: [] })).toBe('ping');
    expect(
      messageChannel({ type: 'ping-req', seq: 1, sourceId: 'a', sourceAddress: 'x', targetId: 'b', targetAddress: 'y', timeoutMs: 1, wantNack: true, gossip: [] }),
    ).toBe('ping-req');
    expect(messageChannel({ type: 'push-pull', sourceId: 'a', sourceAddress: 'x', join: true, reply: false, members: [], metadata: [] })).toBe('push-pull');
  });
});
