import { grantOf, parseTokenFile, tokenDigest, TokenFileError } from './token-file.js';

const entry = (token: string, extra: Record<string, unknown> = {}) => ({ name: token, sha256: tokenDigest(token), scopes: ['read'], ...extra });
const file = (...tokens: unknown[]): string => JSON.stringify({ tokens });

describe('token file', () => {
  it('grants by digest, with scopes, buckets and expiry; an unknown or expired token gets nothing', () => {
    const grants = parseTokenFile(file(entry('a', { scopes: ['read', 'write'], buckets: ['users'] }), entry('b', { expiresAt: '2026-01-01T00:00:00Z' })));
    const a = grantOf(grants, 'a', 0)!;
    expect([...a.scopes]).toEqual(['read', 'write']);
    expect([...a.buckets!]).toEqual(['users']);
    expect(grantOf(grants, 'b', Date.parse('2025-12-31T23:59:59Z'))?.name).toBe('b');
    expect(grantOf(grants, 'b', Date.parse('2026-01-01T00:00:00Z'))).toBeUndefined();
    expect(grantOf(grants, 'c', 0)).toBeUndefined();
  });

  it('refuses a file it cannot use, naming the field', () => {
    expect(() => parseTokenFile('{')).toThrow(TokenFileError);
    expect(() => parseTokenFile(file({ ...entry('a'), sha256: 'abc' }))).toThrow(/tokens\.0\.sha256: must be 64 lower-case hex digits/);
    expect(() => parseTokenFile(file(entry('a', { scopes: ['root'] })))).toThrow(/tokens\.0\.scopes\.0/);
    expect(() => parseTokenFile(file(entry('a', { token: 'a' })))).toThrow(/tokens\.0/);
    expect(() => parseTokenFile(file(entry('a'), { ...entry('a'), name: 'again' }))).toThrow('tokens: "again" repeats another token\'s sha256');
  });
});
