import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'qkv-config-unit-'));

describe('loadConfig', () => {
  it('serves alone with defaults when nothing is configured', () => {
    const { config } = loadConfig([], {});
    expect(config).toMatchObject({ listen: '127.0.0.1:7070', dataDir: './data', partitions: 256, n: 3, r: 2, w: 2, durability: 'sync' });
  });

  it('merges file < environment < flags', () => {
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'zone: from-file\nn: 5\nr: 1\nseeds: a:1,b:2\n');
    const { config } = loadConfig(['--config', file, '--r', '3', '--initial-cluster', 'x=h:1,y=h:2'], { QKV_ZONE: 'from-env', QKV_R: '2' });
    expect(config.zone).toBe('from-env');
    expect(config.n).toBe(5);
    expect(config.r).toBe(3);
    expect(config.seeds).toEqual(['a:1', 'b:2']);
    expect(config.initialCluster).toEqual([{ id: 'x', address: 'h:1' }, { id: 'y', address: 'h:2' }]);
  });

  it('reads JSON files and boolean flags', () => {
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ hintedHandoff: true, partitions: 64 }));
    expect(loadConfig(['--config', file, '--hinted-handoff', 'false'], {}).config.hintedHandoff).toBe(false);
    expect(loadConfig(['--config', file, '--no-hinted-handoff'], {}).config.hintedHandoff).toBe(false);
    expect(loadConfig(['--config', file], {}).config.partitions).toBe(64);
  });

  it.each([
    [['--partitions', '100'], 'partitions'],
    [['--listen', 'nowhere'], 'listen'],
    [['--n', '2', '--w', '3'], 'w'],
    [['--node-id', 'bad id!'], 'nodeId'],
    [['--initial-cluster', 'justanaddress:1'], 'initialCluster'],
    [['--replica-transport', 'carrier-pigeon'], 'replicaTransport'],
  ])('names the bad field for %j', (argv, field) => {
    expect(() => loadConfig(argv, {})).toThrow(ConfigError);
    try {
      loadConfig(argv, {});
    } catch (err) {
      expect((err as ConfigError).field).toBe(field);
    }
  });

  it('refuses unknown settings in a file', () => {
    const file = join(dir, 'typo.yaml');
    writeFileSync(file, 'replicas: 3\n');
    expect(() => loadConfig(['--config', file], {})).toThrow(/unknown setting\(s\): replicas/);
  });
});
