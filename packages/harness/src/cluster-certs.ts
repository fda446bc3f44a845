// A cluster's certificate authority and node certificates, made with @peculiar/x509 on Node's
// WebCrypto (ECDSA P-256): for `quorumkv certs create`, `quorumkv dev --secure` and the tests of a
// secure cluster. A node certificate serves both ways: as the server's certificate on the node's
// port and as the client certificate the node presents to its peers (mutual TLS).
import { randomBytes, webcrypto } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isIP } from 'node:net';
import type * as X509 from '@peculiar/x509';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const DAY_MS = 86_400_000;

/** A certificate and its private key, PEM-encoded. */
export interface PemPair {
  readonly cert: string;
  readonly key: string;
}

/** Options of {@link createClusterCerts}. */
export interface ClusterCertsOptions {
  /** Node ids: each gets a certificate with this common name. */
  readonly nodes: readonly string[];
  /** Host names and IP addresses every node certificate is valid for (its subject alternative names). Default localhost and 127.0.0.1. */
  readonly hosts?: readonly string[];
  /** Validity from now, in days. Default 365. */
  readonly days?: number;
  /** Common name of the CA. Default `QuorumKV cluster CA`. */
  readonly caName?: string;
}

/** What {@link createClusterCerts} makes. */
export interface ClusterCerts {
  readonly ca: PemPair;
  /** Node id → its certificate and key. */
  readonly nodes: Readonly<Record<string, PemPair>>;
}

let loaded: Promise<typeof X509> | undefined;

/**
 * @peculiar/x509, loaded on first use: it costs a few hundred ms of start-up, which every `quorumkv`
 * command would pay otherwise. It resolves its services through tsyringe, which needs the Reflect
 * metadata API, so that is loaded first.
 */
function x509Module(): Promise<typeof X509> {
  loaded ??= (async () => {
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as unknown as Crypto);
    return x509;
  })();
  return loaded;
}

/** Makes a new CA and one certificate per node, signed by it. */
export async function createClusterCerts(o: ClusterCertsOptions): Promise<ClusterCerts> {
  const x509 = await x509Module();
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + (o.days ?? 365) * DAY_MS);
  const caKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${o.caName ?? 'QuorumKV cluster CA'}`,
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const names = (o.hosts ?? ['localhost', '127.0.0.1']).map((h) => (isIP(h) ? { type: 'ip' as const, value: h } : { type: 'dns' as const, value: h }));
  const nodes: Record<string, PemPair> = {};
  for (const id of o.nodes) {
    const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${id}`,
      issuer: ca.subject,
      notBefore,
      notAfter,
      signingKey: caKeys.privateKey,
      publicKey: keys.publicKey,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
        new x509.SubjectAlternativeNameExtension(names),
        await x509.AuthorityKeyIdentifierExtension.create(ca),
      ],
    });
    nodes[id] = { cert: cert.toString('pem'), key: await pemKey(x509, keys.privateKey) };
  }
  return { ca: { cert: ca.toString('pem'), key: await pemKey(x509, caKeys.privateKey) }, nodes };
}

/** Where {@link writeClusterCerts} put the files. */
export interface ClusterCertFiles {
  readonly dir: string;
  readonly caFile: string;
  readonly caKeyFile: string;
  /** Node id → its certificate and key files. */
  readonly nodes: Readonly<Record<string, { readonly certFile: string; readonly keyFile: string }>>;
}

/**
 * Writes `certs` to `dir` (created, mode 700): `ca.pem`, `ca-key.pem`, and `<id>.pem` and
 * `<id>-key.pem` per node, every file mode 600.
 */
export function writeClusterCerts(dir: string, certs: ClusterCerts): ClusterCertFiles {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const write = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  };
  const nodes: Record<string, { certFile: string; keyFile: string }> = {};
  for (const [id, pair] of Object.entries(certs.nodes)) nodes[id] = { certFile: write(`${id}.pem`, pair.cert), keyFile: write(`${id}-key.pem`, pair.key) };
  return { dir, caFile: write('ca.pem', certs.ca.cert), caKeyFile: write('ca-key.pem', certs.ca.key), nodes };
}

async function pemKey(x509: typeof X509, key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

/** A random positive 128-bit serial number (RFC 5280 asks for unpredictable ones). */
function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}
