// Issue #17: the SDK in headless Chromium against a secure cluster. The page, on an origin of its
// own, calls the nodes over TLS (ALPN picks the protocol) with a bearer token, through CORS; a
// refusal reaches the page as the SDK's typed error. Chromium trusts exactly the nodes' keys
// (their SPKI pins), not every certificate.
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueTokens, startCluster, type Cluster } from '@quorumkv/harness';
import { openSdkPage, type SdkPage } from './sdk-page.js';

/** What the page's `quorumkvTry` answers: the values read, or the error thrown. */
type Outcome = { ok: true; values: string[] } | { ok: false; name: string; code: string; reason: string; typed: boolean };
interface Attempt {
  readonly nodes: readonly string[];
  readonly token: string | undefined;
  readonly put?: string;
}

/** base64 SHA-256 of a certificate's SubjectPublicKeyInfo: Chromium's `--ignore-certificate-errors-spki-list` form. */
function spkiPin(pem: string): string {
  const spki = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

describe('the SDK in headless Chromium and a secure cluster', () => {
  let cluster: Cluster;
  let page: SdkPage;
  const dir = mkdtempSync(join(tmpdir(), 'qkv-browser-secure-'));
  const issued = issueTokens([
    { name: 'reader', scopes: ['read'] },
    { name: 'writer', scopes: ['read', 'write'] },
  ]);

  beforeAll(async () => {
    writeFileSync(join(dir, 'tokens.json'), issued.fileText);
    cluster = await startCluster({ nodes: 3, n: 3, r: 2, w: 2, partitions: 64, hostBase: 66, secure: true, extraArgs: ['--token-file', join(dir, 'tokens.json')] });
    const pins = cluster.nodes.map((n) => spkiPin(readFileSync(join(cluster.tls!.dir, `${n.id}.pem`), 'utf8')));
    page = await openSdkPage(
      `import { createClient, PermissionDeniedError, UnauthenticatedError } from '@quorumkv/client/web';
      window.quorumkvTry = async ({ nodes, token, put }) => {
        const client = createClient({ nodes, timeoutMs: 5000, ...(token ? { token } : {}) });
        try {
          if (put !== undefined) await client.putString('greeting', put, { w: 3 });
          return { ok: true, values: (await client.getString('greeting', { r: 3 })).values };
        } catch (e) {
          const typed = e instanceof PermissionDeniedError || e instanceof UnauthenticatedError;
          return { ok: false, name: e.name, code: e.code, reason: e.reason, typed };
        } finally {
          client.close();
        }
      };`,
      [`--ignore-certificate-errors-spki-list=${pins.join(',')}`],
    );
  }, 60_000);

  afterAll(async () => {
    await page?.close();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes and reads with a write token, reads with a read token, and refuses with the typed error', async () => {
    const tab = await page.browser.newPage();
    const protocols = new Set<string>();
    tab.on('response', (r) => void r.securityDetails().then((d) => d?.protocol && protocols.add(d.protocol)));
    await tab.goto(page.url);
    const attempt = (a: Attempt): Promise<Outcome> => tab.evaluate((arg) => (window as unknown as { quorumkvTry: (a: Attempt) => Promise<Outcome> }).quorumkvTry(arg), a);
    const nodes = cluster.nodes.map((n) => n.url);
    expect(nodes.every((u) => u.startsWith('https://'))).toBe(true);

    expect(await attempt({ nodes, token: issued.tokens['writer'], put: 'hello from chromium' })).toEqual({ ok: true, values: ['hello from chromium'] });
    expect(await attempt({ nodes, token: issued.tokens['reader'] })).toEqual({ ok: true, values: ['hello from chromium'] });
    expect(await attempt({ nodes, token: issued.tokens['reader'], put: 'changed' })).toEqual({
      ok: false,
      name: 'PermissionDeniedError',
      code: 'permission_denied',
      reason: 'permission_denied',
      typed: true,
    });
    expect(await attempt({ nodes, token: undefined })).toEqual({ ok: false, name: 'UnauthenticatedError', code: 'unauthenticated', reason: 'unauthenticated', typed: true });
    // The refused write changed nothing.
    expect(await attempt({ nodes, token: issued.tokens['writer'] })).toEqual({ ok: true, values: ['hello from chromium'] });
    // Every answer the page read came over TLS.
    expect([...protocols].every((p) => p.startsWith('TLS'))).toBe(true);
    expect(protocols.size).toBeGreaterThan(0);
  });
});
