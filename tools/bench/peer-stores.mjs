// YCSB adapters (tools/bench/ycsb.mjs) for the stores QuorumKV is compared with: Redis Cluster
// through ioredis's Cluster client, plain or with `WAIT 1` after every write, and etcd through etcd3.
// One client object serves all callers, as in an application.
import { Etcd3 } from 'etcd3';
import { Cluster } from 'ioredis';

/** A Buffer over the same bytes (no copy): ioredis would stringify a plain Uint8Array. */
const asBuffer = (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength));

/** A write WAIT did not see replicated to a replica within its timeout. */
export class WaitTimeoutError extends Error {
  constructor(key, replicas) {
    super(`WAIT saw ${replicas} replicas acknowledge the write of ${key}`);
    this.name = 'WaitTimeoutError';
    this.key = key;
    this.replicas = replicas;
  }
}

/**
 * Redis Cluster. With `wait`, a write is a pipeline of SET and `WAIT 1 <waitTimeoutMs>` on the
 * key's slot, so both go to the key's master over one connection and WAIT covers that SET; a reply
 * under 1 (no replica acknowledged in time) fails the write.
 * @param {{ nodes: { host: string, port: number }[], wait?: boolean, waitTimeoutMs?: number }} o
 * @returns {Promise<import('./ycsb.mjs').YcsbStore & { cluster: Cluster }>}
 */
export async function redisStore({ nodes, wait = false, waitTimeoutMs = 1000 }) {
  const cluster = new Cluster(nodes, { lazyConnect: true, enableReadyCheck: true, scaleReads: 'master' });
  await cluster.connect();
  const timeout = String(waitTimeoutMs);
  let waits = 0;
  let minReplicas = Infinity;
  const write = wait
    ? async (key, value) => {
        const replies = await cluster.pipeline().set(key, asBuffer(value)).call('wait', '1', timeout).exec();
        for (const [err] of replies) if (err) throw err;
        const replicas = Number(replies[1][1]);
        waits++;
        minReplicas = Math.min(minReplicas, replicas);
        if (!(replicas >= 1)) throw new WaitTimeoutError(key, replicas);
      }
    : (key, value) => cluster.set(key, asBuffer(value));
  return {
    name: wait ? 'Redis Cluster + WAIT 1' : 'Redis Cluster',
    cluster,
    async read(key) {
      return (await cluster.getBuffer(key)) !== null;
    },
    update: write,
    insert: write,
    async close() {
      await cluster.quit().catch(() => cluster.disconnect());
    },
    ...(wait
      ? {
          stats() {
            const s = { waits, minWaitReplicas: waits ? minReplicas : null };
            waits = 0;
            minReplicas = Infinity;
            return s;
          },
        }
      : {}),
  };
}

/**
 * etcd v3 through the etcd3 client (gRPC), given every member's client URL.
 * @param {{ endpoints: string[] }} o
 * @returns {import('./ycsb.mjs').YcsbStore & { client: Etcd3 }}
 */
export function etcdStore({ endpoints }) {
  const client = new Etcd3({ hosts: endpoints });
  const write = (key, value) => client.put(key).value(asBuffer(value)).exec();
  return {
    name: 'etcd',
    client,
    async read(key) {
      return (await client.get(key).buffer()) !== null;
    },
    update: write,
    insert: write,
    close() {
      client.close();
    },
  };
}
