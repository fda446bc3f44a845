// One connection and one pair of service clients per node, opened on first use, closed together.
import { createClient, type Client } from '@connectrpc/connect';
import { AdminService, KvService } from '@quorumkv/protocol';
import { CancelledError } from './errors.js';
import { baseUrlOf, type DataOps, type NodeConnection, type TransportFactory } from './transport.js';

/** The service clients of one node. */
export interface NodeClients {
  readonly kv: Client<typeof KvService>;
  readonly admin: Client<typeof AdminService>;
}

interface Entry extends NodeClients {
  readonly connection: NodeConnection;
  readonly ops: DataOps | undefined;
}

/** Lazily opened connections to nodes, keyed by host:port. */
export class NodePool {
  private readonly entries = new Map<string, Entry>();
  private closed = false;

  constructor(private readonly factory: TransportFactory) {}

  /** The clients of `node` (host:port), opening its connection on first use. */
  get(node: string): NodeClients {
    if (this.closed) throw new CancelledError('client is closed');
    let e = this.entries.get(node);
    if (!e) {
      const connection = this.factory(baseUrlOf(node));
      const unary = createClient(KvService, connection.transport);
      const ops = connection.dataOps?.();
      const kv = ops ? { ...unary, get: ops.get.bind(ops), put: ops.put.bind(ops), delete: ops.delete.bind(ops) } : unary;
      e = { connection, kv, admin: createClient(AdminService, connection.transport), ops };
      this.entries.set(node, e);
    }
    return e;
  }

  /** Closes every connection; later `get` calls throw. */
  close(): void {
    this.closed = true;
    for (const e of this.entries.values()) {
      e.ops?.close();
      e.connection.close();
    }
    this.entries.clear();
  }
}
