import { fromBinary, fromJsonString } from '@bufbuild/protobuf';
import { GetBucketRequestSchema, PingRequestSchema } from '@quorumkv/protocol';
import { FuzzRandom } from './fuzz-random.js';
import { MessageGenerator } from './message-generator.js';
import { METHODS, RequestGenerator, type FuzzRequest, type RequestGeneratorOptions } from './request-generator.js';

const options: RequestGeneratorOptions = { seed: 42, nodes: 3, forbidden: new Set(['n1', 'canary']), sinkHost: '127.0.0.9', clusterId: 'c1' };
const take = (o: RequestGeneratorOptions, count: number): FuzzRequest[] => {
  const g = new RequestGenerator(o);
  return Array.from({ length: count }, () => g.next());
};

describe('RequestGenerator', () => {
  it('makes the same requests from the same seed, and others from another', () => {
    const a = take(options, 300);
    expect(take(options, 300)).toEqual(a);
    expect(take({ ...options, seed: 43 }, 300)).not.toEqual(a);
  });

  it('reaches every method of every service, every kind of damage and every node', () => {
    const requests = take(options, 4000);
    const rpcs = new Set(requests.map((r) => r.rpc));
    for (const m of METHODS) expect(rpcs).toContain(`${m.parent.name}/${m.name}`);
    const shapes = new Set(requests.map((r) => r.shape.split(':')[0]));
    expect([...shapes].sort()).toEqual(['bytes', 'envelope', 'gossip', 'headers', 'oversize', 'path', 'raw', 'well-formed']);
    expect(new Set(requests.map((r) => r.node))).toEqual(new Set([0, 1, 2]));
    expect(new Set(requests.flatMap((r) => (r.kind === 'rpc' ? [r.http] : [])))).toEqual(new Set(['h1', 'h2']));
  });

  it('sends well-formed unary messages that decode as their request type', () => {
    const unary = take(options, 3000).filter((r) => r.kind === 'rpc' && r.shape === 'well-formed' && /^application\/(proto|json)$/.test(r.headers['content-type'] ?? ''));
    expect(unary.length).toBeGreaterThan(100);
    for (const r of unary) {
      if (r.kind !== 'rpc') continue;
      const method = METHODS.find((m) => `${m.parent.name}/${m.name}` === r.rpc)!;
      if (r.headers['content-type'] === 'application/json') expect(() => fromJsonString(method.input, new TextDecoder().decode(r.body))).not.toThrow();
      else expect(() => fromBinary(method.input, r.body)).not.toThrow();
    }
  });
});

describe('MessageGenerator', () => {
  it('never writes a forbidden string, and points addresses at the sink host', () => {
    const forbidden = new Set(['', ...'abcdefghijklmnopqrstuvwxyz0123456789'.split('')]);
    const g = new MessageGenerator(new FuzzRandom(7), { forbidden, sinkHost: '127.0.0.9' });
    let named = 0;
    for (let i = 0; i < 3000; i++) {
      const { name } = g.message(GetBucketRequestSchema) as unknown as { name: string };
      // An unset field is the proto default, which no request can avoid; a set one is never forbidden.
      if (name !== '') {
        named++;
        expect(forbidden.has(name)).toBe(false);
      }
      const { fromAddress } = g.message(PingRequestSchema) as unknown as { fromAddress: string };
      expect(fromAddress === '' || fromAddress.startsWith('127.0.0.9:')).toBe(true);
    }
    expect(named).toBeGreaterThan(1000);
  });
});
