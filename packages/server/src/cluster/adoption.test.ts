import { createRing } from '@quorumkv/ring';
import { addressProblem, answersProblem, refusalToAdopt, refusalToPropose, type LoneNodeFacts } from './adoption.js';

const alone = (id: string) => createRing({ partitionCount: 16, nodes: [{ id, address: `${id}:1` }], targetN: 1 });
const lone: LoneNodeFacts = { selfId: 'n2', ring: alone('n2'), peers: [], records: 0, hints: 0, buckets: [], partitions: 16, n: 3 };
const shape = { partitions: 16, n: 3 };

describe('who may be brought in by cluster create', () => {
  it('takes a lone, empty node of the same shape', () => {
    expect(refusalToAdopt(lone, shape)).toBeUndefined();
  });

  it('refuses, naming what to change, a node with a ring of others, peers, data, hints, buckets or another shape', () => {
    const cases: [Partial<LoneNodeFacts>, RegExp][] = [
      [{ ring: createRing({ partitionCount: 16, nodes: ['n1', 'n2'].map((id) => ({ id, address: `${id}:1` })), targetN: 2 }) }, /belongs to a cluster of 2 ring nodes \(n1, n2\)/],
      [{ peers: ['n7'] }, /has peers \(n7\)/],
      [{ records: 4 }, /holds 4 records/],
      [{ hints: 2 }, /holds 2 hints/],
      [{ buckets: ['b'] }, /has buckets \(b\)/],
      [{ partitions: 32 }, /^partitions: .*--partitions 16/],
      [{ n: 2 }, /^n: .*--n 3/],
    ];
    for (const [change, why] of cases) expect(refusalToAdopt({ ...lone, ...change }, shape)).toMatch(why);
  });

  it('the first node may not hold data while it is alone', () => {
    expect(refusalToPropose({ ...lone, selfId: 'n1', ring: alone('n1') })).toBeUndefined();
    expect(refusalToPropose({ ...lone, selfId: 'n1', ring: alone('n1'), records: 1 })).toMatch(/holds 1 records/);
  });
});

describe('the addresses and answers of a create', () => {
  it('refuses an address twice, the own address, malformed ones and too few nodes for n', () => {
    expect(addressProblem(['a:1', 'b:2'], 'o:9', 3)).toBeUndefined();
    expect(addressProblem(['a:1', 'a:1'], 'o:9', 2)).toBe('a:1 is listed twice');
    expect(addressProblem(['o:9', 'a:1'], 'o:9', 2)).toMatch(/^o:9 is the node the cluster forms around/);
    expect(addressProblem(['a'], 'o:9', 2)).toMatch(/is not host:port/);
    // What a URL would not take (a fuzzed address drew an internal error before).
    for (const bad of ['a\u0000b:1', 'a/b:1', 'a b:1', 'a:0', 'a:70000', '[::1]:1', 'a@b:1']) expect(addressProblem([bad], 'o:9', 1)).toMatch(/is not host:port/);
    expect(addressProblem(['a:1'], 'o:9', 3)).toMatch(/a cluster of 2 nodes keeps fewer than n = 3/);
    expect(addressProblem([], 'o:9', 1)).toMatch(/at least one/);
  });

  it('lists every refusal, and refuses two nodes with one id or a ring member not listed', () => {
    expect(answersProblem([{ address: 'a:1', error: 'no' }, { address: 'b:2', error: 'did not answer' }], 'n1', [])).toBe('a:1: no; b:2: did not answer');
    expect(answersProblem([{ address: 'a:1', nodeId: 'n1', alreadyMember: false }], 'n1', [])).toMatch(/a:1 has node id n1, as this node has/);
    expect(answersProblem([{ address: 'a:1', nodeId: 'n2', alreadyMember: true }], 'n1', ['n2'])).toBeUndefined();
    expect(answersProblem([{ address: 'a:1', nodeId: 'n2', alreadyMember: false }], 'n1', ['n5'])).toMatch(/already belongs to a cluster with n5/);
  });
});
