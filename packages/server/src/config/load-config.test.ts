import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { maxMessageBytesOf, serverConfigSchema } from './config-schema.js';
import { ConfigError, loadConfig, validateConfig } from './load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'qkv-config-unit-'));

describe('loadConfig', () => {
  it('sizes the message limit for one Put of the largest value unless set, and refuses a smaller one naming it', () => {
    expect(maxMessageBytesOf(loadConfig([], {}).config)).toBe(1024 * 1024 + 1024 + 256 * 1024);
    expect(maxMessageBytesOf(loadConfig(['--max-value-bytes', '4194304'], {}).config)).toBe(4 * 1024 * 1024 + 1024 + 256 * 1024);
    expect(maxMessageBytesOf(loadConfig(['--max-message-bytes', '3000000'], {}).config)).toBe(3_000_000);
    expect(() => loadConfig(['--max-message-bytes', '1048576'], {})).toThrow(/maxMessageBytes: must be at least maxValueBytes \+ maxKeyBytes \+ 65536/);
    expect(() => loadConfig(['--max-value-bytes', String(64 * 1024 * 1024)], {})).toThrow(/maxValueBytes/);
    // Larger keys would pass the request check and then fail in storage (INTERNAL instead of a clear error).
    expect(() => loadConfig(['--max-key-bytes', '1641'], {})).toThrow(/maxKeyBytes/);
    expect(loadConfig(['--max-key-bytes', '1640'], {}).config.maxKeyBytes).toBe(1640);
  });

  it('paces handoff adaptively by default, and refuses a handoff rate between 0 and 1 KiB/s naming it', () => {
    expect(loadConfig([], {}).config).toMatchObject({ handoffPace: 'adaptive', handoffBytesPerSecond: 16 * 1024 * 1024 });
    expect(loadConfig(['--handoff-pace', 'fixed'], {}).config.handoffPace).toBe('fixed');
    expect(() => loadConfig(['--handoff-pace', 'fast'], {})).toThrow(/handoffPace/);
    expect(loadConfig(['--handoff-bytes-per-second', '0'], {}).config.handoffBytesPerSecond).toBe(0);
    expect(loadConfig(['--handoff-bytes-per-second', '1024'], {}).config.handoffBytesPerSecond).toBe(1024);
    expect(() => loadConfig(['--handoff-bytes-per-second', '1023'], {})).toThrow(/handoffBytesPerSecond/);
    expect(() => loadConfig(['--handoff-bytes-per-second', '1'], {})).toThrow(/handoffBytesPerSecond/);
  });

  it('takes the address to connect to peers from, and refuses one that is not an IP naming the setting', () => {
    expect(loadConfig(['--source-address', '127.0.0.2'], {}).config.sourceAddress).toBe('127.0.0.2');
    expect(loadConfig([], {}).config.sourceAddress).toBeUndefined();
    expect(() => loadConfig(['--source-address', 'localhost'], {})).toThrow(/sourceAddress: must be an IP address/);
  });

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

  it("reads each founder's zone and weight from --initial-cluster, and leaves zone and weight to it unless given", () => {
    const { config } = loadConfig(['--initial-cluster', 'x=h:1;zone=z1;weight=2, y=h:2 ;zone=z2,z=h:3'], {});
    expect(config.initialCluster).toEqual([
      { id: 'x', address: 'h:1', zone: 'z1', weight: 2 },
      { id: 'y', address: 'h:2', zone: 'z2' },
      { id: 'z', address: 'h:3' },
    ]);
    expect(config.zone).toBeUndefined();
    expect(config.weight).toBeUndefined();
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
    [['--initial-cluster', 'x=h:1;rack=3'], 'initialCluster'],
    [['--initial-cluster', 'x=h:1;weight=heavy'], 'initialCluster'],
    [['--initial-cluster', 'x=h:1;zone=bad zone'], 'initialCluster.0.zone'],
    [['--initial-cluster', 'x=h:1,x=h:2'], 'initialCluster'],
    [['--initial-cluster', 'x=h:1,y=h:1'], 'initialCluster'],
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

describe('quorumkv-server --help', () => {
  function help(): string {
    let out = '';
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    try {
      expect(() => loadConfig(['--help'], {})).toThrow(expect.objectContaining({ code: 'commander.helpDisplayed' }));
    } finally {
      write.mockRestore();
    }
    // Commander wraps descriptions: read the help as one line per option.
    return out.replace(/\n {20,}/g, ' ').replace(/ {2,}/g, '  ');
  }

  it('describes every setting of the schema with its unit, default and environment variable', () => {
    const text = help().split('\n');
    const defaults = validateConfig({}) as Record<string, unknown>;
    const problems: string[] = [];
    for (const key of Object.keys(serverConfigSchema.shape)) {
      const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      const line = text.find((l) => l.trimStart().startsWith(`${flag} `)) ?? '';
      // flag, <unit> (or [bool]), a description of a few words, then (… default: …; env: QKV_…).
      const m = /^\s*--[a-z-]+ (<[^>]+>|\[bool\]) {2}(.{10,}) \((.*)default: (.+); env: (QKV_[A-Z_]+)\)$/.exec(line);
      const env = `QKV_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
      const value = defaults[key];
      // A fixed default is printed as it is; the others (known only when the node starts) in words.
      const shown = typeof value === 'object' || value === undefined ? /^[a-z]/ : new RegExp(`^${String(value).replace('.', '\\.')}\\b`);
      if (!m || m[5] !== env || !shown.test(m[4]!)) problems.push(`${key}: ${line.trim() || '(no line)'}`);
    }
    expect(problems).toEqual([]);
  });
});
