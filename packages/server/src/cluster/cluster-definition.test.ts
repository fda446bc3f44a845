import { createRing } from '@quorumkv/ring';
import {
  ClusterDefinitionError,
  checkOwnSettings,
  clusterIdOf,
  decodeDefinitionText,
  defineCluster,
  definitionOfRing,
  encodeDefinitionText,
} from './cluster-definition.js';

const founders = [
  { id: 'b', address: 'h:2', zone: 'z2', weight: 2 },
  { id: 'a', address: 'h:1', zone: 'z1' },
  { id: 'c', address: 'h:3' },
];
const own = (nodeId: string, extra: Record<string, unknown> = {}) => ({ nodeId, partitions: 64, n: 3, ...extra });

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ClusterDefinitionError) return err.field;
    throw err;
  }
  return undefined;
}

describe('cluster definition', () => {
  it('every founder derives the same definition and id, whatever the order of the list', () => {
    const a = defineCluster(founders, own('a'), 'h:1');
    const c = defineCluster([...founders].reverse(), own('c'), 'h:3');
    expect(a).toEqual(c);
    expect(a.nodes.map((f) => `${f.id}:${f.zone}:${f.weight}`)).toEqual(['a:z1:1', 'b:z2:2', 'c:default:1']);
    expect(clusterIdOf(a)).toMatch(/^[0-9a-f]{16}$/);
    expect(clusterIdOf(a)).toBe(clusterIdOf(c));
  });

  it('the id changes with any founder field, partitions or n', () => {
    const base = clusterIdOf(defineCluster(founders, own('a'), 'h:1'));
    const variants = [
      defineCluster(founders.map((f) => (f.id === 'c' ? { ...f, zone: 'z3' } : f)), own('a'), 'h:1'),
      defineCluster(founders.map((f) => (f.id === 'c' ? { ...f, weight: 3 } : f)), own('a'), 'h:1'),
      defineCluster(founders.map((f) => (f.id === 'c' ? { ...f, address: 'h:4' } : f)), own('a'), 'h:1'),
      defineCluster(founders, own('a', { partitions: 128 }), 'h:1'),
      defineCluster(founders, own('a', { n: 2 }), 'h:1'),
    ];
    const ids = new Set(variants.map(clusterIdOf));
    expect(ids.size).toBe(variants.length);
    expect(ids.has(base)).toBe(false);
  });

  it('refuses own settings that disagree with the definition, naming the field', () => {
    expect(fieldOf(() => defineCluster(founders, own('a', { zone: 'z9' }), 'h:1'))).toBe('zone');
    expect(fieldOf(() => defineCluster(founders, own('b', { weight: 1 }), 'h:2'))).toBe('weight');
    expect(fieldOf(() => defineCluster(founders, own('c', { zone: 'z3' }), 'h:3'))).toBe('zone');
    expect(fieldOf(() => defineCluster(founders, own('a', { advertise: 'h:9' }), 'h:9'))).toBe('advertise');
    expect(fieldOf(() => defineCluster(founders, own('x'), 'h:9'))).toBe('initialCluster');
    // Agreeing settings, given or not, are fine.
    expect(fieldOf(() => defineCluster(founders, own('a', { zone: 'z1', weight: 1, advertise: 'h:1' }), 'h:1'))).toBeUndefined();
    const stored = defineCluster(founders, own('a'), 'h:1');
    expect(fieldOf(() => checkOwnSettings(stored, own('a', { partitions: 256 })))).toBe('partitions');
    expect(fieldOf(() => checkOwnSettings(stored, own('a', { n: 5 })))).toBe('n');
  });

  it('a node alone defines a cluster of itself, with its own zone and weight', () => {
    const d = defineCluster([], own('solo', { zone: 'z1', weight: 4 }), 'h:7');
    expect(d.nodes).toEqual([{ id: 'solo', address: 'h:7', zone: 'z1', weight: 4 }]);
  });

  it('round-trips through its stored text, and an old data dir gets it from its ring', () => {
    const d = defineCluster(founders, own('a'), 'h:1');
    expect(decodeDefinitionText(encodeDefinitionText(d))).toEqual(d);
    const ring = createRing({ partitionCount: 64, nodes: d.nodes, targetN: 3 });
    expect(definitionOfRing(ring, 3)).toEqual(d);
  });
});
