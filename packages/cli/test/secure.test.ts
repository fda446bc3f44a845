// Issue #17: `quorumkv certs create` makes what a secure cluster needs (a CA, node certificates, a
// token file with an admin token), a cluster runs on exactly those files, and the CLI reaches it
// with --ca and --token (or QUORUMKV_CA / QUORUMKV_TOKEN); without a token it is refused.
import { X509Certificate, createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster } from '@quorumkv/harness';
import { runCli, runJson } from './run-cli.js';

const HOST_BASE = 193;
const hosts = [0, 1, 2].map((i) => `127.0.0.${HOST_BASE + i}`);

describe('a secure cluster made with `quorumkv certs create`', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qkv-certs-'));
  const certs = join(dir, 'certs');
  let cluster: Cluster | undefined;
  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes a CA, node certificates for the given hosts, and a token file that grants the admin token', async () => {
    const made = await runJson<{ ca: string; nodes: Record<string, { certFile: string; keyFile: string }>; tokenFile: string; adminToken: string }>([
      'certs', 'create', '--out', certs, '--nodes', 'n1,n2,n3', '--hosts', ['localhost', ...hosts].join(','),
    ]);
    expect(made.code).toBe(0);
    const ca = new X509Certificate(readFileSync(made.json.ca));
    expect(ca.ca).toBe(true);
    for (const [i, id] of ['n1', 'n2', 'n3'].entries()) {
      const cert = new X509Certificate(readFileSync(made.json.nodes[id]!.certFile));
      expect(cert.subject).toBe(`CN=${id}`);
      expect(cert.verify(ca.publicKey)).toBe(true);
      expect(cert.checkIP(hosts[i]!)).toBe(hosts[i]);
      expect(cert.checkHost('localhost')).toBe('localhost');
    }
    const token = readFileSync(made.json.adminToken, 'utf8').trim();
    const file = JSON.parse(readFileSync(made.json.tokenFile, 'utf8')) as { tokens: { name: string; sha256: string; scopes: string[] }[] };
    expect(file.tokens).toEqual([{ name: 'admin', scopes: ['read', 'write', 'admin'], sha256: createHash('sha256').update(token).digest('hex') }]);
    expect(readFileSync(made.json.tokenFile, 'utf8')).not.toContain(token);
    // A second run must not replace the cluster's CA.
    const again = await runCli(['certs', 'create', '--out', certs]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/ca\.pem exists: refusing to replace a cluster's CA/);
  });

  it('runs on those files; the CLI reaches it with --ca and --token (or the environment), and is refused without a token', async () => {
    cluster = await startCluster({ nodes: 3, partitions: 64, hostBase: HOST_BASE, secure: { dir: certs }, extraArgs: ['--token-file', join(certs, 'tokens.json')] });
    const token = readFileSync(join(certs, 'admin.token'), 'utf8').trim();
    const ca = join(certs, 'ca.pem');
    const node = ['--node', cluster.nodes[0]!.address];

    const put = await runCli([...node, '--ca', ca, '--token', token, 'put', 'greeting', 'over tls']);
    expect(put).toMatchObject({ code: 0, stderr: '' });
    const get = await runCli(['--node', cluster.nodes[1]!.address, 'get', 'greeting'], { env: { QUORUMKV_CA: ca, QUORUMKV_TOKEN: token } });
    expect(get.code).toBe(0);
    expect(get.stdout).toContain('over tls');
    const status = await runJson<{ nodes: unknown[] }>([...node, '--ca', ca, '--token', token, 'cluster', 'status']);
    expect(status.code).toBe(0);

    const noToken = await runCli([...node, '--ca', ca, 'get', 'greeting']);
    expect(noToken.code).toBe(4);
    expect(noToken.stderr).toMatch(/unauthenticated/);
    const wrongToken = await runCli([...node, '--ca', ca, '--token', 'qkv_guess', 'put', 'greeting', 'changed']);
    expect(wrongToken.code).toBe(4);
    expect(wrongToken.stderr).toMatch(/unauthenticated/);
    // Plaintext to a TLS port reaches nothing.
    const plain = await runCli([...node, '--timeout', '2000', '--token', token, 'get', 'greeting']);
    expect(plain.code).toBe(3);
    const after = await runCli([...node, '--ca', ca, '--token', token, 'get', 'greeting']);
    expect(after.stdout).toContain('over tls');
  });
});
