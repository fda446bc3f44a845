import { z } from 'zod';

const hostPort = z
  .string()
  .regex(/^[A-Za-z0-9._-]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:7070');

const nodeId = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1 to 64 characters of [A-Za-z0-9._-]');

/**
 * Every setting of a QuorumKV node, with its default. Sources are merged in this order, later ones
 * winning: defaults, config file (YAML or JSON), environment (QKV_*), command-line flags.
 */
export const serverConfigSchema = z
  .object({
    /** Stable id of this node; defaults to the id stored in the data dir, else `node-1`. */
    nodeId: nodeId.optional(),
    /** Address the server binds. */
    listen: hostPort.default('127.0.0.1:7070'),
    /** Address other nodes and clients use to reach this node; defaults to `listen`. */
    advertise: hostPort.optional(),
    /** LMDB environment directory. */
    dataDir: z.string().min(1).default('./data'),
    /** Addresses of existing members to join through. */
    seeds: z.array(hostPort).default([]),
    /** `id=host:port` of every node of a new cluster: forms the first ring (like etcd's flag). */
    initialCluster: z
      .array(z.object({ id: nodeId, address: hostPort }))
      .default([]),
    /** Number of partitions Q, a power of two from 8 to 65536, fixed when the cluster is created. */
    partitions: z
      .number()
      .int()
      .min(8)
      .max(65536)
      .refine((q) => (q & (q - 1)) === 0, 'must be a power of two')
      .default(256),
    /** Failure zone of this node. */
    zone: z.string().min(1).max(64).default('default'),
    /** Relative capacity for partition balancing. */
    weight: z.number().int().min(1).max(1000).default(1),
    /** Replicas per key of the `default` bucket (clamped to the cluster size). */
    n: z.number().int().min(1).max(7).default(3),
    /** Default read quorum. */
    r: z.number().int().min(1).max(7).default(2),
    /** Default write quorum. */
    w: z.number().int().min(1).max(7).default(2),
    /** Default deadline of a client request. */
    requestTimeoutMs: z.number().int().min(1).max(600_000).default(5_000),
    /** How long a replica may take before the coordinator treats it as failed and uses a fallback. */
    replicaTimeoutMs: z.number().int().min(1).max(600_000).default(1_000),
    /**
     * Share of Gets that ask every primary and read-repair them all (as Dynamo does); the others ask
     * only as many replicas as R needs (the coordinator's own copy first) and bring in the rest
     * only when one of those fails or stays silent past `replicaTimeoutMs` (as Cassandra does).
     * Reads asking for R = N always ask everyone. 1 = Dynamo's behaviour on every read.
     */
    readRepairChance: z.number().min(0).max(1).default(0.1),
    /** A Get that asked only R replicas asks the rest when R have not answered after this long (speculative retry). */
    speculativeRetryMs: z.number().int().min(1).max(600_000).default(50),
    /** Largest key accepted. */
    maxKeyBytes: z.number().int().min(1).max(65_536).default(1024),
    /** Largest value accepted. */
    maxValueBytes: z.number().int().min(1).max(64 * 1024 * 1024).default(1024 * 1024),
    /** Siblings above which a write is logged as a warning. */
    siblingsWarn: z.number().int().min(1).default(25),
    /** Siblings above which a write is refused with FAILED_PRECONDITION. */
    siblingsMax: z.number().int().min(1).default(100),
    /** Client requests in flight above which new ones get RESOURCE_EXHAUSTED. */
    maxInFlight: z.number().int().min(1).default(10_000),
    /** Create unknown buckets on first write (with default properties) instead of refusing them. */
    autoCreateBuckets: z.boolean().default(false),
    /** Store writes for unreachable replicas as hints and deliver them later. */
    hintedHandoff: z.boolean().default(true),
    /** How often pending hints are offered to live targets. */
    hintDeliveryIntervalMs: z.number().int().min(10).default(1_000),
    /**
     * A dead record (every sibling deleted or expired) may be reaped this long after it died, and only
     * once every node is up, every replica holds the same copy and no node holds a hint for the key.
     * Must exceed the longest a replica message can stay in flight (request deadline, 10 s for read
     * repair) plus clock skew.
     */
    tombstoneGraceMs: z.number().int().min(0).default(60_000),
    /** Node-to-node replica traffic: persistent batched streams, or one unary call per batch. */
    replicaTransport: z.enum(['stream', 'unary']).default('stream'),
    /** Most items per node-to-node message. */
    replicaBatchItems: z.number().int().min(1).max(1024).default(64),
    /** Most bytes per node-to-node message (values counted). */
    replicaBatchBytes: z.number().int().min(1024).default(64 * 1024),
    /** Messages in flight per peer stream before further items wait. */
    replicaWindow: z.number().int().min(1).max(1024).default(16),
    /** Gossip protocol period (SWIM probe interval). */
    gossipIntervalMs: z.number().int().min(10).default(500),
    /** LMDB map size: the most the data dir may hold. */
    mapSizeBytes: z.number().int().min(1024 * 1024).default(8 * 1024 * 1024 * 1024),
    /** `sync` acknowledges writes after fsync; `nosync` after commit (faster, loses recent writes on power loss). */
    durability: z.enum(['sync', 'nosync']).default('sync'),
    /** pino log level. */
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.r > c.n) ctx.addIssue({ code: 'custom', path: ['r'], message: `must be at most n (${c.n})` });
    if (c.w > c.n) ctx.addIssue({ code: 'custom', path: ['w'], message: `must be at most n (${c.n})` });
    if (c.siblingsWarn > c.siblingsMax)
      ctx.addIssue({ code: 'custom', path: ['siblingsWarn'], message: 'must be at most siblingsMax' });
  });

/** Validated configuration of a node. */
export type ServerConfig = z.infer<typeof serverConfigSchema>;
/** Configuration as given by a user, before defaults. */
export type ServerConfigInput = z.input<typeof serverConfigSchema>;
