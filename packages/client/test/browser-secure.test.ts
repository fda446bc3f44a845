// Issue #17: the SDK in headless Chromium against a secure cluster. The page, on an origin of its
// own, calls the nodes over TLS (ALPN picks the protocol) with a bearer token, through CORS; a
// refusal reaches the page as the SDK's typed error. Chromium trusts the cluster CA (its key's SPKI
// pin), not every certificate.
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { issueTokens, startCluster, type Cluster } from '@quorumkv/harness';
import { openSdkPage, type SdkPage } from './sdk-page.js';

/** What the page's `quorumkvTry` answers: the values read, or the error thrown. */
type Outcome = { ok: true; values: string[] } | { ok: false; name: string; code: string; reason: string; typed: boolean };
interface Attempt {
  readonly nodes: readonly string[];
  readonly token: string | undefined;
  readonly put?: string;
}
interface PageApi {
  quorumkvTry(a: Attempt): Promise<Outcome>;
  quorumkvFetch(url: string, headers: Record<string, string>): Promise<number | 'blocked'>;
}

const script = `import { createClient, PermissionDeniedError, UnauthenticatedError } from '@quorumkv/client/web';
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
  };
  // A read of 'greeting' with headers of the page's choosing, as a script on any origin could make it.
  window.quorumkvFetch = (url, headers) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"key":"Z3JlZXRpbmc="}' }).then((r) => r.status, () => 'blocked');`;

/** base64 SHA-256 of a certificate's SubjectPublicKeyInfo: Chromium's `--ignore-certificate-errors-spki-list` form. */
function spkiPin(pem: string): string {
  const spki = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/** Calls into the page. */
function api(tab: Page): { attempt: (a: Attempt) => Promise<Outcome>; pageFetch: (url: string, headers: Record<string, string>) => Promise<number | 'blocked'> } {
  return {
    attempt: (a) => tab.evaluate((arg) => (window as unknown as PageApi).quorumkvTry(arg), a),
    pageFetch: (url, headers) => tab.evaluate(([u, h]) => (window as unknown as PageApi).quorumkvFetch(u, h), [url, headers] as const),
  };
}

/** How each answer from a node reached the page (HTTP version, TLS version) or why it did not, as devtools shows it. */
async function watchWire(tab: Page): Promise<Set<string>> {
  const seen = new Set<string>();
  const devtools = await tab.context().newCDPSession(tab);
  await devtools.send('Network.enable');
  devtools.on('Network.responseReceived', ({ response }) => {
    if (response.url.startsWith('https://')) seen.add(`${response.protocol} ${response.securityDetails?.protocol}`);
  });
  devtools.on('Network.loadingFailed', ({ errorText }) => seen.add(errorText));
  return seen;
}

describe('the SDK in headless Chromium and a secure cluster', () => {
  let cluster: Cluster;
  let page: SdkPage;
  let nodes: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'qkv-browser-secure-'));
  const issued = issueTokens([
    { name: 'reader', scopes: ['read'] },
    { name: 'writer', scopes: ['read', 'write'] },
  ]);

  beforeAll(async () => {
    writeFileSync(join(dir, 'tokens.json'), issued.fileText);
    cluster = await startCluster({ nodes: 3, n: 3, r: 2, w: 2, partitions: 64, hostBase: 66, secure: true, extraArgs: ['--token-file', join(dir, 'tokens.json')] });
    nodes = cluster.nodes.map((n) => n.url);
    // Chromium matches the pin against the chain a server sends, and a node sends the CA's
    // certificate after its own (Node's TLS completes the chain from the `--tls-ca` it trusts for
    // peers): so pinning the CA's key trusts every node it signed, and nothing else.
    page = await openSdkPage(script, [`--ignore-certificate-errors-spki-list=${spkiPin(cluster.tls!.ca)}`]);
  }, 60_000);

  afterAll(async () => {
    await page?.close();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes and reads with a write token, reads with a read token, refuses with the typed error, over TLS and CORS', async () => {
    const tab = await page.browser.newPage();
    const wire = await watchWire(tab);
    await tab.goto(page.url);
    const { attempt, pageFetch } = api(tab);
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

    // CORS lets a page send the headers the protocols and the token need, and no others.
    const get = `${nodes[0]}/quorumkv.v1.KvService/Get`;
    const bearer = `Bearer ${issued.tokens['reader']}`;
    expect(await pageFetch(get, { authorization: bearer, 'connect-protocol-version': '1', 'connect-timeout-ms': '3000' })).toBe(200);
    expect(await pageFetch(get, { authorization: bearer, 'x-forwarded-for': '10.0.0.1' })).toBe('blocked');

    // Every node answer came over TLS 1.3, on HTTP/2 (ALPN), not HTTP/1.1 as on a plaintext port.
    expect([...wire]).toEqual(['h2 TLS 1.3']);
  });

  it('reaches no node from a browser that was not told to trust the cluster CA', async () => {
    const untrusting = await openSdkPage(script);
    try {
      const tab = await untrusting.browser.newPage();
      const wire = await watchWire(tab);
      await tab.goto(untrusting.url);
      expect(await api(tab).attempt({ nodes, token: issued.tokens['writer'] })).toMatchObject({ ok: false, typed: false });
      expect([...wire]).toEqual(['net::ERR_CERT_AUTHORITY_INVALID']);
    } finally {
      await untrusting.close();
    }
  });
});
