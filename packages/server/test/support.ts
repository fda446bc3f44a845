// Clients for the nodes of a test cluster, and small helpers the multi-process tests share.
import { createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { AdminService, KvService } from '@quorumkv/protocol';
import { decodeRing, preferenceList, type Ring } from '@quorumkv/ring';
import type { NodeHandle } from '@quorumkv/harness';

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

export interface NodeClients {
  kv: Client<typeof KvService>;
  admin: Client<typeof AdminService>;
}

/** Connect clients per node, over one HTTP/2 session each; `close()` ends the sessions. */
export class Clients {
  private readonly sessions: Http2SessionManager[] = [];
  private readonly byAddress = new Map<string, NodeClients>();

  of(node: NodeHandle): NodeClients {
    let c = this.byAddress.get(node.address);
    if (!c) {
      const sessionManager = new Http2SessionManager(node.url);
      this.sessions.push(sessionManager);
      const transport = createConnectTransport({ baseUrl: node.url, httpVersion: '2', sessionManager, acceptCompression: [] });
      c = { kv: createClient(KvService, transport), admin: createClient(AdminService, transport) };
      this.byAddress.set(node.address, c);
    }
    return c;
  }

  /** Forgets a node's session (after it was killed, so the next call reconnects). */
  reset(node: NodeHandle): void {
    this.byAddress.delete(node.address);
  }

  close(): void {
    for (const s of this.sessions) s.abort();
  }
}

/** The cluster's ring, as a client would fetch it. */
export async function fetchRing(clients: Clients, node: NodeHandle): Promise<Ring> {
  const res = await clients.of(node).kv.getRouting({});
  return decodeRing(res.ring!.encoded);
}

/** The primaries (node ids) of a key in the default bucket. */
export function primariesOf(ring: Ring, key: string, n: number, bucket = 'default'): string[] {
  return [...preferenceList(ring, bucket, key, n).primaries];
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns whether it succeeded. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000, stepMs = 100): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      if (await check()) return true;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return false;
}

/** The value a node holds locally for a key (undefined when it holds none). */
export async function localValues(clients: Clients, node: NodeHandle, key: string, bucket = ''): Promise<string[] | undefined> {
  const res = await clients.of(node).admin.localGet({ bucket, key: enc(key) });
  if (!res.found) return undefined;
  return res.siblings.filter((s) => !s.tombstone).map((s) => dec(s.value)).sort();
}
