import { isIP } from 'node:net';
import { z } from 'zod';
import { MAX_ENVELOPE_BYTES, REPLICA_MAX_ITEMS_PER_MESSAGE, SESSION_BATCH_BYTES } from '@quorumkv/protocol';
import { MAX_BUCKET_BYTES, MAX_DATA_KEY_BYTES } from '@quorumkv/storage';

const MAX_STORABLE_KEY_BYTES = MAX_DATA_KEY_BYTES - 5 - MAX_BUCKET_BYTES;
const KIB = 1024;
const MIB = 1024 * KIB;

const hostPort = z
  .string()
  .regex(/^[A-Za-z0-9._-]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:7070');

const nodeId = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1 to 64 characters of [A-Za-z0-9._-]');

const zoneName = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1 to 64 characters of [A-Za-z0-9._-]');

const weight = z.number().int().min(1).max(1000);

/**
 * Every setting of a QuorumKV node, with its default. Sources are merged in this order, later ones
 * winning: defaults, config file (YAML or JSON), environment (QKV_*), command-line flags.
 *
 * This schema is also the reference of the settings: `quorumkv-server --help` prints each one from
 * it (`config-help.ts`). Give every setting `.describe(...)` (one line, lower case), or `.meta()`
 * with `description` plus `unit` (a number whose name does not end in `Ms` or `Bytes`; the format
 * of a string) and `defaultText` (a setting without a fixed default).
 */
export const serverConfigSchema = z
  .object({
    nodeId: nodeId.optional().meta({ description: 'stable id of this node', unit: 'id', defaultText: 'the id stored in the data dir, else node-1' }),
    listen: hostPort.default('127.0.0.1:7070').meta({ description: 'address the server binds', unit: 'host:port' }),
    advertise: hostPort.optional().meta({ description: 'address other nodes and clients use to reach this node', unit: 'host:port', defaultText: 'listen' }),
    dataDir: z.string().min(1).default('./data').meta({ description: 'LMDB environment directory', unit: 'path' }),
    // A proxy or firewall in front of a node sees which node calls only when nodes on one host
    // connect from their own addresses (the test harness's per-link partitions rely on it).
    sourceAddress: z
      .string()
      .refine((s) => isIP(s) !== 0, 'must be an IP address of this host, e.g. 127.0.0.2')
      .optional()
      .meta({ description: 'local address connections to other nodes are made from', unit: 'ip', defaultText: 'chosen by the system' }),
    seeds: z.array(hostPort).default([]).meta({ description: 'addresses of existing members to join through', unit: 'host:port,...' }),
    // With `partitions` and `n` the founders are the cluster's definition: every founder computes
    // the same first ring from it, and its hash is the cluster id (like etcd's flag).
    initialCluster: z
      .array(z.object({ id: nodeId, address: hostPort, zone: zoneName.optional(), weight: weight.optional() }).strict())
      .default([])
      .meta({
        description: 'every founder of a new cluster, each optionally with ;zone=NAME (default: default) and ;weight=N (default: 1): forms the first ring and the cluster id',
        unit: 'id=host:port,...',
        defaultText: 'this node alone',
      }),
    partitions: z
      .number()
      .int()
      .min(8)
      .max(65536)
      .refine((q) => (q & (q - 1)) === 0, 'must be a power of two')
      .default(256)
      .meta({ description: 'partitions Q of a new cluster, a power of two from 8 to 65536, fixed at creation', unit: 'partitions' }),
    zone: zoneName.optional().meta({ description: 'failure zone of this node; must agree with its initialCluster entry', unit: 'name', defaultText: 'its initialCluster entry\'s, else default' }),
    weight: weight.optional().meta({ description: 'relative capacity (partitions are shared in proportion); must agree with its initialCluster entry', unit: 'relative', defaultText: 'its initialCluster entry\'s, else 1' }),
    n: z.number().int().min(1).max(7).default(3).meta({ description: 'replicas per key of the default bucket (clamped to the cluster size)', unit: 'replicas' }),
    r: z.number().int().min(1).max(7).default(2).meta({ description: 'read quorum of the default bucket', unit: 'replicas' }),
    w: z.number().int().min(1).max(7).default(2).meta({ description: 'write quorum of the default bucket', unit: 'replicas' }),
    requestTimeoutMs: z.number().int().min(1).max(600_000).default(5_000).describe('deadline of a client request that sets none'),
    replicaTimeoutMs: z
      .number()
      .int()
      .min(1)
      .max(600_000)
      .default(1_000)
      .describe('how long a replica may take before the coordinator treats it as failed and uses a fallback'),
    // The others ask only as many replicas as R needs (the coordinator's own copy first) and bring
    // in the rest only when one of those fails or stays silent (as Cassandra does). Reads asking
    // for R = N always ask everyone; 1 is Dynamo's behaviour on every read.
    readRepairChance: z
      .number()
      .min(0)
      .max(1)
      .default(0.1)
      .meta({ description: 'share of Gets that ask every primary and read-repair them all', unit: '0..1' }),
    speculativeRetryMs: z
      .number()
      .int()
      .min(1)
      .max(600_000)
      .default(50)
      .describe('a Get that asked only R replicas asks the rest when R have not answered after this long'),
    // Storage keys carry a 5-byte header and the bucket name (up to 255 bytes) in front of the key,
    // under LMDB's key limit: a larger setting would accept keys the store then refuses.
    maxKeyBytes: z.number().int().min(1).max(MAX_STORABLE_KEY_BYTES).default(1024).describe('largest key accepted'),
    // At most 63 MiB: a value and its request must fit in one 64 MiB message.
    maxValueBytes: z.number().int().min(1).max(MAX_ENVELOPE_BYTES - MIB).default(MIB).describe('largest value accepted'),
    // Internal traffic (whole records, any number of siblings) keeps the protocol's 64 MiB ceiling.
    maxMessageBytes: z
      .number()
      .int()
      .min(SESSION_BATCH_BYTES)
      .max(MAX_ENVELOPE_BYTES)
      .optional()
      .meta({
        description: 'largest request message of the public API: a unary body or one Session stream message (LIMIT_EXCEEDED beyond)',
        defaultText: 'maxValueBytes + maxKeyBytes + 256 KiB, so one Put of the largest value always fits',
      }),
    siblingsWarn: z.number().int().min(1).default(25).meta({ description: 'siblings above which a write is logged as a warning', unit: 'siblings' }),
    siblingsMax: z.number().int().min(1).default(100).meta({ description: 'siblings above which a write is refused (FAILED_PRECONDITION)', unit: 'siblings' }),
    maxInFlight: z
      .number()
      .int()
      .min(1)
      .default(10_000)
      .meta({ description: 'client operations in flight (valid or not) above which new ones get RESOURCE_EXHAUSTED', unit: 'operations' }),
    maxConnections: z.number().int().min(1).default(4096).meta({ description: 'open client and peer connections above which new ones are closed at once', unit: 'connections' }),
    maxStreamsPerConnection: z
      .number()
      .int()
      .min(1)
      .max(65_536)
      .default(100)
      .meta({ description: 'HTTP/2 streams open at once on one connection (SETTINGS_MAX_CONCURRENT_STREAMS)', unit: 'streams' }),
    // An open stream costs memory even when idle (~20 KiB on the raw path, ~75 KiB through
    // connect-es, measured), and maxConnections × maxStreamsPerConnection is 409,600 streams.
    maxStreams: z
      .number()
      .int()
      .min(1)
      .default(4096)
      .meta({ description: 'HTTP/2 streams open at once on the node, all connections together; more are refused (REFUSED_STREAM)', unit: 'streams' }),
    streamMaxInFlight: z
      .number()
      .int()
      .min(1)
      .default(256)
      .meta({ description: 'operations running at once for one Session or Replicate stream; past it the stream stops reading', unit: 'operations' }),
    // Requests running, the results expected from them and responses its client has not read yet.
    streamMaxBufferedBytes: z
      .number()
      .int()
      .min(64 * KIB)
      .default(8 * MIB)
      .describe('bytes one stream may hold (work running, unread responses); past it the stream stops reading'),
    connectionMaxInFlight: z
      .number()
      .int()
      .min(1)
      .default(1024)
      .meta({ description: 'operations running at once for all streams of one connection', unit: 'operations' }),
    connectionMaxBufferedBytes: z.number().int().min(64 * KIB).default(32 * MIB).describe('bytes all streams of one connection may hold (as streamMaxBufferedBytes)'),
    // Work starts only while all streams together hold less; when unread responses alone pass half
    // of it (many connections that stopped reading), the connections holding the most are closed.
    maxBufferedBytes: z
      .number()
      .int()
      .min(MIB)
      .default(512 * MIB)
      .describe('bytes all streams of the node may hold (work running, unread responses); past half of it unread, the biggest holders are closed'),
    firstByteTimeoutMs: z.number().int().min(1).default(10_000).describe('a new connection that sends nothing for this long is closed'),
    headersTimeoutMs: z.number().int().min(1).default(10_000).describe("an HTTP/1.1 request's headers, or an HTTP/2 connection's first request, must arrive within this"),
    idleTimeoutMs: z.number().int().min(1).default(120_000).describe('a connection with no request open for this long is closed (HTTP/1.1 keep-alive, HTTP/2)'),
    messageTimeoutMs: z
      .number()
      .int()
      .min(1)
      .default(10_000)
      .describe('a request message must arrive within this, plus one second per messageMinBytesPerSecond received'),
    messageMinBytesPerSecond: z
      .number()
      .int()
      .min(1)
      .default(64 * KIB)
      .meta({ description: 'the slowest rate at which a long message may keep arriving (see messageTimeoutMs)', unit: 'bytes/s' }),
    drainTimeoutMs: z.number().int().min(1).default(30_000).describe('a stream whose client has read nothing of its waiting responses for this long is cut'),
    autoCreateBuckets: z.boolean().default(false).describe('create unknown buckets on first write (with default properties) instead of refusing them'),
    hintedHandoff: z.boolean().default(true).describe('store writes for unreachable replicas as hints and deliver them later'),
    hintDeliveryIntervalMs: z.number().int().min(10).default(1_000).describe('how often pending hints are offered to live targets'),
    // Hints are bounded like every other input: a dead node's hints cannot fill the disk, and a node
    // down too long gets none (Cassandra's max_hint_window), so it catches up by read repair instead.
    maxHintsPerTarget: z
      .number()
      .int()
      .min(1)
      .default(250_000)
      .meta({ description: 'most hints kept for one node; the oldest make room for new ones', unit: 'hints' }),
    maxHints: z.number().int().min(1).default(1_000_000).meta({ description: 'most hints kept for all nodes together; the oldest make room', unit: 'hints' }),
    maxHintBytes: z
      .number()
      .int()
      .min(1024)
      .default(1024 * 1024 * 1024)
      .describe('most bytes hints may take, and never more than a quarter of mapSizeBytes; the oldest make room'),
    hintWindowMs: z.number().int().min(1).default(3 * 60 * 60_000).describe('a node down longer than this gets no new hints'),
    hintMaxAgeMs: z.number().int().min(1).default(72 * 60 * 60_000).describe('hints older than this are dropped'),
    maxBuckets: z.number().int().min(1).max(100_000).default(1_000).meta({ description: 'most buckets a cluster may have (checked by the node that creates one)', unit: 'buckets' }),
    maxListKeysPage: z.number().int().min(1).max(100_000).default(10_000).meta({ description: 'largest ListKeys page (limit) a node accepts', unit: 'keys' }),
    // Reaping also waits until every node is up, every replica holds the same copy and no node holds
    // a hint for the key. The grace must exceed the longest a replica message can stay in flight
    // (request deadline, 10 s for read repair) plus clock skew.
    tombstoneGraceMs: z.number().int().min(0).default(60_000).describe('a dead record (every sibling deleted or expired) may be reaped this long after it died'),
    replicaTransport: z.enum(['stream', 'unary']).default('stream').describe('node-to-node replica traffic: persistent batched streams, or one unary call per item'),
    replicaBatchItems: z.number().int().min(1).max(REPLICA_MAX_ITEMS_PER_MESSAGE).default(64).meta({ description: 'most items per node-to-node message', unit: 'items' }),
    replicaBatchBytes: z.number().int().min(1024).default(64 * 1024).describe('most bytes per node-to-node message (values counted)'),
    replicaWindow: z.number().int().min(1).max(1024).default(16).meta({ description: 'messages in flight per peer stream before further items wait', unit: 'messages' }),
    replicaQueueItems: z
      .number()
      .int()
      .min(1)
      .default(4096)
      .meta({ description: "items waiting for one peer's window; more fail at once and the coordinator uses a fallback or a hint", unit: 'items' }),
    replicaQueueBytes: z.number().int().min(MIB).default(64 * MIB).describe("bytes (records) waiting for one peer's window (as replicaQueueItems)"),
    autoJoin: z.boolean().default(false).describe('a node that is not in the ring asks the claimant to stage and commit its join'),
    // The default leaves room for foreground traffic on a small machine; 0 sends as fast as the
    // receiver stores.
    // At least 1 KiB/s: below that one 1 MiB batch would wait past what a timer can hold (2^31 ms).
    handoffBytesPerSecond: z
      .number()
      .int()
      .min(0)
      .refine((v) => v === 0 || v >= 1024, 'must be 0 (unthrottled) or at least 1024')
      .default(16 * 1024 * 1024)
      .meta({ description: 'bytes per second a node sends in ownership handoff, all transfers together (0: unthrottled)', unit: 'bytes/s' }),
    // A fixed rate cannot suit both a busy small node and an idle large one: by default the rate
    // backs off while the node's own client requests slow down (handoff/handoff-pace.ts).
    handoffPace: z.enum(['adaptive', 'fixed']).default('adaptive').describe('adaptive: the handoff rate starts at 1/64 of handoffBytesPerSecond, climbs by as much every 250 ms while the 90th-percentile latency of the client requests this node coordinates stays within 1.5x of its level without transfers, and halves (to 1/64 at least) when it does not; fixed: always handoffBytesPerSecond'),
    handoffConcurrency: z.number().int().min(1).max(64).default(2).meta({ description: 'transfers a node sends at once in ownership handoff', unit: 'transfers' }),
    // A message (one receiver transaction) of up to 1 MiB: large enough that the per-message
    // costs (a round trip, a commit) are small against the bytes, small enough for the throttle.
    handoffBatchItems: z.number().int().min(1).max(REPLICA_MAX_ITEMS_PER_MESSAGE).default(REPLICA_MAX_ITEMS_PER_MESSAGE).meta({ description: 'records per ownership handoff message, at most', unit: 'records' }),
    handoffBatchBytes: z.number().int().min(1024).max(16 * MIB).default(MIB).meta({ description: 'bytes (keys and records) per ownership handoff message, at most (the record reaching it ends the message)', unit: 'bytes' }),
    gossipIntervalMs: z.number().int().min(10).default(500).describe('gossip protocol period (SWIM probe interval)'),
    // A testing knob, not a clock setting: Jepsen-style runs give nodes different offsets to show
    // what clock skew does to last-write-wins buckets. Siblings buckets and expiry never see it.
    lwwClockOffsetMs: z
      .number()
      .int()
      .min(-86_400_000)
      .max(86_400_000)
      .default(0)
      .meta({ description: 'testing only: added to the timestamps this node gives writes to LWW buckets, to simulate clock skew', unit: 'ms' }),
    mapSizeBytes: z.number().int().min(1024 * 1024).default(8 * 1024 * 1024 * 1024).describe('LMDB map size: the most the data dir may hold'),
    durability: z.enum(['sync', 'nosync']).default('sync').describe('sync acknowledges writes after fsync; nosync after commit (loses recent writes on power loss)'),
    // Security (docs/architecture.md, "Security"): off for the local quick start, on in every
    // documented production setup.
    tlsCert: z.string().min(1).optional().meta({ description: 'PEM certificate of this node: TLS on its port (h2 and http/1.1 by ALPN), and the certificate it shows peers', unit: 'path', defaultText: 'none: plaintext' }),
    tlsKey: z.string().min(1).optional().meta({ description: 'PEM private key of tlsCert', unit: 'path', defaultText: 'none' }),
    tlsCa: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'PEM of the cluster CA: mutual TLS between nodes; internal services only for peers whose certificate it signed', unit: 'path', defaultText: 'none: internal services open' }),
    tokenFile: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'JSON file of client bearer tokens (sha256, scopes read/write/admin, optional buckets), reloaded when it changes', unit: 'path', defaultText: 'none: no client authentication' }),
    gossipKeyFile: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'file of gossip keys (base64, 32+ bytes, one a line, the primary first): gossip is signed with the primary, accepted under any; followed for rotation', unit: 'path', defaultText: 'none: gossip not signed' }),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('pino log level'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.r > c.n) ctx.addIssue({ code: 'custom', path: ['r'], message: `must be at most n (${c.n})` });
    if (c.w > c.n) ctx.addIssue({ code: 'custom', path: ['w'], message: `must be at most n (${c.n})` });
    for (const field of ['id', 'address'] as const) {
      const seen = new Set<string>();
      for (const founder of c.initialCluster) {
        if (seen.has(founder[field])) ctx.addIssue({ code: 'custom', path: ['initialCluster'], message: `${field} "${founder[field]}" appears twice` });
        seen.add(founder[field]);
      }
    }
    if ((c.tlsCert === undefined) !== (c.tlsKey === undefined))
      ctx.addIssue({ code: 'custom', path: [c.tlsCert === undefined ? 'tlsCert' : 'tlsKey'], message: 'tlsCert and tlsKey go together' });
    if (c.tlsCa !== undefined && c.tlsCert === undefined) ctx.addIssue({ code: 'custom', path: ['tlsCert'], message: 'is required with tlsCa (a node shows its peers its certificate)' });
    if (c.siblingsWarn > c.siblingsMax)
      ctx.addIssue({ code: 'custom', path: ['siblingsWarn'], message: 'must be at most siblingsMax' });
    const onePut = c.maxValueBytes + c.maxKeyBytes + SESSION_BATCH_BYTES;
    if (c.maxMessageBytes !== undefined && c.maxMessageBytes < onePut)
      ctx.addIssue({ code: 'custom', path: ['maxMessageBytes'], message: `must be at least maxValueBytes + maxKeyBytes + ${SESSION_BATCH_BYTES} (${onePut}): a Put of the largest value must fit` });
  });

/** Validated configuration of a node. */
export type ServerConfig = z.infer<typeof serverConfigSchema>;

/** Configuration as given by a user, before defaults. */
export type ServerConfigInput = z.input<typeof serverConfigSchema>;

/**
 * The public API's message limit: as configured, else room for one Put of the largest value with
 * its key, and 256 KiB for its context, bucket and framing (more than the SDK's batches of
 * SESSION_BATCH_BYTES need).
 */
export function maxMessageBytesOf(c: Pick<ServerConfig, 'maxMessageBytes' | 'maxValueBytes' | 'maxKeyBytes'>): number {
  return c.maxMessageBytes ?? Math.min(MAX_ENVELOPE_BYTES, c.maxValueBytes + c.maxKeyBytes + 256 * KIB);
}
