// Acknowledged data the fuzzer never touches: keys written (to every replica) in a bucket whose
// name no generated request may hold, read back after the run. Random internal requests may
// legitimately change data they name (an insecure cluster trusts its peers' ReplicaService calls),
// so "lost 0" is checked on data no request can name, and any loss there is the node's.
import { createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { AdminService, ConflictMode, KvService } from '@quorumkv/protocol';

/** The bucket the canary keys live in; no generated string equals it. */
export const CANARY_BUCKET = 'fuzz-canary-bucket';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

/** Connect clients to one node. */
export class NodeClient {
  private readonly sessions: Http2SessionManager;
  readonly kv: Client<typeof KvService>;
  readonly admin: Client<typeof AdminService>;

  constructor(url: string) {
    this.sessions = new Http2SessionManager(url);
    const transport = createConnectTransport({ baseUrl: url, httpVersion: '2', sessionManager: this.sessions, acceptCompression: [] });
    this.kv = createClient(KvService, transport);
    this.admin = createClient(AdminService, transport);
  }

  close(): void {
    this.sessions.abort();
  }
}

/** Creates the canary bucket and writes `count` keys with w = n = 3 through `client`; returns them. */
export async function writeCanaries(client: NodeClient, count: number, n: number): Promise<Map<string, string>> {
  await withRetries(() => client.admin.createBucket({ props: { name: CANARY_BUCKET, n, r: Math.min(2, n), w: n, conflicts: ConflictMode.SIBLINGS } }));
  const written = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const key = `canary-${i}`;
    const value = `value-${i}-${'x'.repeat(i % 97)}`;
    await withRetries(() => client.kv.put({ bucket: CANARY_BUCKET, key: enc(key), value: enc(value), w: n, timeoutMs: 10_000 }));
    written.set(key, value);
  }
  return written;
}

/**
 * Runs `call` until it succeeds, at most 5 times: before the run, on a loaded machine, a write with
 * w = n can find a replica slow (UNAVAILABLE); that is no finding, and the run needs its canaries.
 */
async function withRetries<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

/** The canary keys that `client` does not read back with their value (and nothing else). */
export async function lostCanaries(client: NodeClient, written: ReadonlyMap<string, string>): Promise<string[]> {
  const lost: string[] = [];
  for (const [key, value] of written) {
    const got = await client.kv.get({ bucket: CANARY_BUCKET, key: enc(key) });
    const values = got.siblings.filter((s) => !s.tombstone).map((s) => dec(s.value));
    // A canary write retried after an UNAVAILABLE that had reached some replicas leaves the same
    // value twice, as siblings: intact is every live sibling holding the value written.
    if (values.length === 0 || values.some((v) => v !== value)) lost.push(key);
  }
  return lost;
}

/** A normal write and read of a new key through `client` works. */
export async function servesPutGet(client: NodeClient, key: string): Promise<boolean> {
  try {
    await client.kv.put({ bucket: CANARY_BUCKET, key: enc(key), value: enc('after-fuzz') });
    const got = await client.kv.get({ bucket: CANARY_BUCKET, key: enc(key) });
    return got.siblings.length === 1 && dec(got.siblings[0]!.value) === 'after-fuzz';
  } catch {
    return false;
  }
}
