// Issue #17: the SDK against a secure cluster (TLS, mutual TLS between nodes, client tokens): the
// `token` and `tls` options reach it, routing works with a data-only token, and a refusal is the
// typed error of its reason, on the Session stream as on unary calls.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueTokens, startCluster, type Cluster } from '@quorumkv/harness';
import { createClient, PermissionDeniedError, UnauthenticatedError, UnavailableError, type QuorumKvClient } from '../src/node.js';

describe('the SDK and a secure cluster', () => {
  let cluster: Cluster;
  const dir = mkdtempSync(join(tmpdir(), 'qkv-sdk-secure-'));
  const issued = issueTokens([
    { name: 'reader', scopes: ['read'] },
    { name: 'writer', scopes: ['read', 'write'] },
  ]);
  const clients: QuorumKvClient[] = [];
  const sdk = (token: string | undefined, tls = true): QuorumKvClient => {
    const c = createClient({ nodes: cluster.addresses, ...(token ? { token } : {}), ...(tls ? { tls: { ca: cluster.tls!.ca } } : {}), timeoutMs: 3_000 });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    writeFileSync(join(dir, 'tokens.json'), issued.fileText);
    cluster = await startCluster({ nodes: 3, n: 3, r: 2, w: 2, partitions: 64, hostBase: 36, secure: true, extraArgs: ['--token-file', join(dir, 'tokens.json')] });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes and reads with the token and the CA; a read token reads, routed to the replicas', async () => {
    const writer = sdk(issued.tokens['writer']);
    await writer.put('greeting', 'hello', { w: 3 });
    expect((await writer.getString('greeting', { r: 3 })).values).toEqual(['hello']);
    const reader = sdk(issued.tokens['reader']);
    const got = await reader.getString('greeting');
    expect(got.values).toEqual(['hello']);
    expect(got.receipt.forwarded).toBe(false);
    // The bucket's n, which routing needs, is a data client's to read.
    expect((await reader.admin.getBucket('default'))?.n).toBe(3);
  });

  it('refuses with the typed error of the reason, and changes nothing', async () => {
    await expect(sdk(undefined).get('greeting')).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(sdk('qkv_guessed').get('greeting')).rejects.toBeInstanceOf(UnauthenticatedError);
    await expect(sdk(issued.tokens['reader']).put('greeting', 'changed')).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(sdk(issued.tokens['writer']).admin.createBucket({ name: 'users' })).rejects.toBeInstanceOf(PermissionDeniedError);
    // Without TLS the client reaches nothing.
    await expect(sdk(issued.tokens['writer'], false).get('greeting')).rejects.toBeInstanceOf(UnavailableError);
    expect((await sdk(issued.tokens['writer']).getString('greeting', { r: 3 })).values).toEqual(['hello']);
  });
});
