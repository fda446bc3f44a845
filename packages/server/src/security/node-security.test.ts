import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '../config/load-config.js';
import { isLoopback, loadSecurity, SecuritySettingError } from './node-security.js';

const log = { warn: () => undefined, info: () => undefined };

describe('node security settings', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qkv-node-security-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('knows which listen hosts reach only this machine (plaintext elsewhere is warned about at start)', () => {
    expect(['127.0.0.1', '127.0.0.64', 'localhost', '::1'].filter(isLoopback)).toHaveLength(4);
    expect(['0.0.0.0', '10.0.0.7', 'node-1', '::'].filter(isLoopback)).toEqual([]);
  });

  it('is open without settings: no TLS, no members-only services, no tokens', () => {
    const s = loadSecurity(validateConfig({}), log);
    expect({ tls: s.serverTls, peer: s.peerTls, policy: s.policy, tokens: s.tokens, keys: s.gossipKeys }).toEqual({
      tls: undefined,
      peer: undefined,
      policy: { membersOnly: false, tokensRequired: false },
      tokens: undefined,
      keys: undefined,
    });
  });

  it('a file it cannot use stops the start, naming the setting', () => {
    expect(() => loadSecurity(validateConfig({ tokenFile: join(dir, 'missing.json') }), log)).toThrow(SecuritySettingError);
    const bad = join(dir, 'tokens.json');
    writeFileSync(bad, '{"tokens": [{"name": "x"}]}');
    expect(() => loadSecurity(validateConfig({ tokenFile: bad }), log)).toThrow(/^tokenFile: tokens\.0\.sha256/);
    const keys = join(dir, 'gossip.keys');
    writeFileSync(keys, 'c2hvcnQ=\n');
    expect(() => loadSecurity(validateConfig({ gossipKeyFile: keys }), log)).toThrow(/^gossipKeyFile: line 1: a key must be at least 32 bytes/);
    expect(() => loadSecurity(validateConfig({ tlsCert: join(dir, 'no.pem'), tlsKey: join(dir, 'no-key.pem') }), log)).toThrow(/^tlsCert: cannot read/);
  });
});
