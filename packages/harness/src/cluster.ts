import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createClusterCerts, writeClusterCerts } from './cluster-certs.js';
import { newGossipKeyFile } from './client-tokens.js';
import { FaultProxy, type LinkFault } from './fault-proxy.js';
import { HarnessError } from './harness-error.js';
import { freePort } from './free-port.js';
import { NodeHandle } from './node-handle.js';
import type { ServerCommand } from './server-locator.js';

/** Options of {@link startCluster}. Every field is optional; the defaults suit a test. */
export interface StartClusterOptions {
  /** How many nodes. Default 3. */
  readonly nodes?: number;
  /** Partitions Q of the new ring (a power of two). Default: the server's (256). */
  readonly partitions?: number;
  /** Bucket defaults N, R, W. Default: the server's. */
  readonly n?: number;
  readonly r?: number;
  readonly w?: number;
  /** Extra flags for every node. */
  readonly extraArgs?: readonly string[];
  /** Extra flags for single nodes, by index (after `extraArgs`, so they win). */
  readonly nodeArgs?: Readonly<Record<number, readonly string[]>>;
  /**
   * Node i listens on 127.0.0.(hostBase + i). Default 11. Give each test file its own base, so
   * files running in parallel never share an address.
   */
  readonly hostBase?: number;
  /** The host of each node instead (`hosts[i]` for node i); overrides {@link hostBase}. */
  readonly hosts?: readonly string[];
  /** Node i listens on port basePort + i. Default: a free port each. */
  readonly basePort?: number;
  /** Node ids are `${idPrefix}${i + 1}`. Default `n`. */
  readonly idPrefix?: string;
  /**
   * Parent of the nodes' data dirs (node `id` in `dataDir/id`), kept after {@link Cluster.stop}.
   * Default: a new temporary dir, removed by `stop()`.
   */
  readonly dataDir?: string;
  /** Also append each node's output to `dataDir/<id>.log`. Default false (output stays in memory). */
  readonly logFiles?: boolean;
  /** The servers' `--log-level`. Default `warn` (`info` with {@link verbose}). */
  readonly logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Print every node's output to this process's stderr, prefixed with its id. */
  readonly verbose?: boolean;
  /** Called with each line a node prints. */
  readonly onLog?: (nodeId: string, line: string) => void;
  /** Called when a node exits without the harness asking it to. */
  readonly onExit?: (nodeId: string, code: number | null, signal: NodeJS.Signals | null) => void;
  /**
   * Put a {@link FaultProxy} in front of every node for node-to-node traffic: nodes advertise the
   * proxy's address to each other, while clients use the node's own address. Nodes connect to each
   * other from their own address (`--source-address`), so a proxy knows which node calls and
   * {@link Cluster.setLinkFault} can fault one direction between two nodes.
   */
  readonly proxied?: boolean;
  /** How long to wait for every node's `/readyz`, in ms. Default 30000. */
  readonly readyTimeoutMs?: number;
  /** The server executable. Default: `locateServer()`'s answer. */
  readonly server?: ServerCommand;
  /** Environment added to each node's (`NodeHandleOptions.env`: NODE_OPTIONS is cleared). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Run the cluster with TLS, mutual TLS between nodes and signed gossip: each node gets
   * `--tls-cert`, `--tls-key`, `--tls-ca` and `--gossip-key-file`. With `true`, a new CA, a
   * certificate per node (for its host and localhost) and a gossip key are made and written under
   * `dataDir/tls`; with `{ dir }`, the files `quorumkv certs create` wrote there are used
   * (`ca.pem`, `<id>.pem`, `<id>-key.pem`, `gossip.keys`). Clients trust {@link Cluster.tls}'s CA.
   */
  readonly secure?: boolean | { readonly dir: string };
  /**
   * For scripts: on SIGINT or SIGTERM to this process, stop the cluster (removing temporary data)
   * and exit with code 130. Tests and commands with their own signal handling leave it off.
   */
  readonly exitOnSignal?: boolean;
}

/** A running cluster. */
export interface Cluster {
  readonly nodes: NodeHandle[];
  /** With `proxied`: the proxy in front of each node (same order as `nodes`). */
  readonly proxies: FaultProxy[];
  /** `host:port` of every node, for clients. */
  readonly addresses: string[];
  /** `id=address,...` as passed to every node's `--initial-cluster`. */
  readonly initialCluster: string;
  /** Parent of the nodes' data dirs. */
  readonly dataDir: string;
  /** With `secure`: the CA (PEM) the nodes' certificates are signed by, and the files written. */
  readonly tls?: ClusterTls;
  /**
   * Stops every node (SIGTERM, SIGKILL after `graceMs`, default 5000), closes the proxies and
   * removes a temporary data dir. Safe to call more than once.
   */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILLs every node at once, without waiting (exit paths that cannot wait). */
  killNow(): void;
  /**
   * With `proxied`: faults what node `from` sends to node `to` (indexes into {@link nodes}) and the
   * answers on those connections, or lifts the fault with `undefined`. Only that direction: `to`
   * still reaches `from` over its own connections. A partition is a block each way.
   */
  setLinkFault(from: number, to: number, fault: LinkFault | undefined): void;
  /** With `proxied`: lifts every link fault. */
  clearLinkFaults(): void;
  /**
   * Starts one more node that knows only a seed (`--seeds`, node `seed`'s advertised address,
   * default node 0) and is not in the initial cluster: it joins when asked to (or by itself, given
   * `--auto-join` in `args`). It is appended to {@link nodes} (and, with `proxied`, gets its own
   * proxy), on `host` (default 127.0.0.(hostBase + its index)); resolves once it answers `/readyz`.
   */
  addNode(options?: AddNodeOptions): Promise<NodeHandle>;
  /**
   * The node's own address for one the cluster advertises (a proxy's, with `proxied`); other
   * addresses unchanged. An SDK client that routes by the ring takes it as `mapAddress`, so its
   * requests bypass the proxies.
   */
  clientAddressOf(advertised: string): string;
}

/** Options of {@link Cluster.addNode}. */
export interface AddNodeOptions {
  /** Flags after the cluster's `extraArgs`. */
  readonly args?: readonly string[];
  /** Index of the node whose address goes in `--seeds`. Default 0. */
  readonly seed?: number;
  /** The host to listen on (e.g. one a node that left freed). Default 127.0.0.(hostBase + index). */
  readonly host?: string;
  /** Default 30000. */
  readonly readyTimeoutMs?: number;
}

/** The TLS material of a secure cluster. */
export interface ClusterTls {
  /** The cluster CA's certificate (PEM): what clients trust. */
  readonly ca: string;
  /** The CA certificate's file. */
  readonly caFile: string;
  /** The CA's private key file (for making more node certificates, e.g. a node added later). */
  readonly caKeyFile: string;
  /** Where the files are. */
  readonly dir: string;
  /** The gossip key file every node signs gossip with. */
  readonly gossipKeyFile: string;
}

interface NodePlan {
  readonly id: string;
  readonly host: string;
  readonly port: number;
  /** What the other nodes dial: the node itself, or its proxy. */
  readonly advertise: string;
}

/**
 * Starts `nodes` servers forming one new cluster and resolves once every one answers `/readyz`.
 * When a node fails to start, everything started is stopped and the error carries its last log lines.
 */
export async function startCluster(options: StartClusterOptions = {}): Promise<Cluster> {
  const proxies: FaultProxy[] = [];
  const plans = await planNodes(options, proxies);
  const initialCluster = plans.map((p) => `${p.id}=${p.advertise}`).join(',');
  const temporary = options.dataDir === undefined;
  const root = temporary ? mkdtempSync(join(tmpdir(), 'qkv-cluster-')) : resolve(options.dataDir!);
  mkdirSync(root, { recursive: true });
  const tls = options.secure === true ? await writeCerts(plans, join(root, 'tls')) : options.secure ? certsIn(resolve(options.secure.dir)) : undefined;
  const nodes = plans.map((p, i) => nodeFor(p, i, ['--initial-cluster', initialCluster], root, options, tls));

  let stopping: Promise<void> | undefined;
  const onSignal = (): void => {
    void stop().finally(() => process.exit(130));
  };
  const stop = (graceMs = 5_000): Promise<void> =>
    (stopping ??= (async () => {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      await Promise.all(nodes.map((n) => n.stop(graceMs)));
      await Promise.all(proxies.map((p) => p.close()));
      if (temporary) rmSync(root, { recursive: true, force: true });
    })());
  const killNow = (): void => {
    for (const n of nodes) if (n.running) void n.kill('SIGKILL');
  };
  if (options.exitOnSignal) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  try {
    for (const node of nodes) node.start();
    await Promise.all(nodes.map((n) => n.waitReady(options.readyTimeoutMs ?? 30_000)));
  } catch (err) {
    await stop(2_000);
    throw err;
  }
  const setLinkFault = (from: number, to: number, fault: LinkFault | undefined): void => {
    const [caller, proxy] = [plans[from], proxies[to]];
    if (!caller || !proxy) throw new HarnessError('not-proxied', `link faults need startCluster({ proxied: true }) and node indexes below ${nodes.length} (got ${from} -> ${to})`);
    proxy.setLinkFault(caller.host, fault);
  };
  const toClient = new Map(plans.map((p) => [p.advertise, `${p.host}:${p.port}`]));
  const addresses = nodes.map((n) => n.address);
  const addNode = async (a: AddNodeOptions = {}): Promise<NodeHandle> => {
    if (tls) throw new HarnessError('unsupported', 'addNode does not make certificates for secure clusters');
    const seed = plans[a.seed ?? 0];
    if (!seed) throw new HarnessError('unsupported', `addNode: no node ${a.seed} to seed from`);
    const index = nodes.length;
    const plan = await planNode({ ...options, hosts: undefined }, index, a.host, proxies);
    plans.push(plan);
    const node = nodeFor(plan, index, ['--seeds', seed.advertise], root, { ...options, nodeArgs: { [index]: a.args ?? [] } }, undefined);
    nodes.push(node);
    addresses.push(node.address);
    toClient.set(plan.advertise, node.address);
    node.start();
    await node.waitReady(a.readyTimeoutMs ?? 30_000);
    return node;
  };
  return {
    nodes,
    proxies,
    addresses,
    initialCluster,
    dataDir: root,
    ...(tls ? { tls } : {}),
    stop,
    killNow,
    setLinkFault,
    clearLinkFaults: () => proxies.forEach((p) => p.clearLinkFaults()),
    addNode,
    clientAddressOf: (advertised) => toClient.get(advertised) ?? advertised,
  };
}

/** Ids, addresses and ports (and proxies, with `proxied`) of the nodes. */
async function planNodes(options: StartClusterOptions, proxies: FaultProxy[]): Promise<NodePlan[]> {
  const plans: NodePlan[] = [];
  const taken = new Set<string>();
  for (let i = 0; i < (options.nodes ?? 3); i++) {
    const plan = await planNode(options, i, options.hosts?.[i], proxies, taken);
    taken.add(`${plan.host}:${plan.port}`);
    plans.push(plan);
  }
  return plans;
}

/** Node `i`'s id, address and port (and proxy, with `proxied`). */
async function planNode(options: StartClusterOptions, i: number, givenHost: string | undefined, proxies: FaultProxy[], taken: ReadonlySet<string> = new Set()): Promise<NodePlan> {
  const host = givenHost ?? `127.0.0.${(options.hostBase ?? 11) + i}`;
  const port = options.basePort !== undefined ? options.basePort + i : await unplannedPort(host, taken);
  let advertise = `${host}:${port}`;
  if (options.proxied) {
    const proxy = await FaultProxy.start(host, { host, port });
    proxies[i] = proxy;
    advertise = proxy.address;
  }
  return { id: `${options.idPrefix ?? 'n'}${i + 1}`, host, port, advertise };
}

/**
 * A free port on `host` not planned for an earlier node: nodes sharing a host are planned before any
 * binds, and the OS may hand out a port it just released again (a config with one address twice).
 */
async function unplannedPort(host: string, taken: ReadonlySet<string>): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await freePort(host);
    if (!taken.has(`${host}:${port}`)) return port;
  }
  throw new HarnessError('unsupported', `no free port on ${host} that is not planned already`);
}

/** Makes the CA and one certificate per node, valid for every node's host and localhost, and writes them to `dir`. */
async function writeCerts(plans: readonly NodePlan[], dir: string): Promise<ClusterTls> {
  const certs = await createClusterCerts({ nodes: plans.map((p) => p.id), hosts: ['localhost', ...new Set(plans.map((p) => p.host))] });
  const files = writeClusterCerts(dir, certs);
  const gossipKeyFile = join(dir, 'gossip.keys');
  writeFileSync(gossipKeyFile, newGossipKeyFile(), { mode: 0o600 });
  return { ca: certs.ca.cert, caFile: files.caFile, caKeyFile: files.caKeyFile, dir, gossipKeyFile };
}

/** The certificates `quorumkv certs create` wrote to `dir`. */
function certsIn(dir: string): ClusterTls {
  const caFile = join(dir, 'ca.pem');
  return { ca: readFileSync(caFile, 'utf8'), caFile, caKeyFile: join(dir, 'ca-key.pem'), dir, gossipKeyFile: join(dir, 'gossip.keys') };
}

/** `membership`: how the node finds its cluster (`--initial-cluster ...` or `--seeds ...`). */
function nodeFor(p: NodePlan, index: number, membership: readonly string[], root: string, o: StartClusterOptions, tls: ClusterTls | undefined): NodeHandle {
  const dataDir = join(root, p.id);
  const args = [
    '--node-id', p.id,
    '--listen', `${p.host}:${p.port}`,
    '--advertise', p.advertise,
    ...(o.proxied ? ['--source-address', p.host] : []),
    '--data-dir', dataDir,
    ...membership,
    '--log-level', o.logLevel ?? (o.verbose ? 'info' : 'warn'),
    ...(o.partitions !== undefined ? ['--partitions', String(o.partitions)] : []),
    ...(o.n !== undefined ? ['--n', String(o.n)] : []),
    ...(o.r !== undefined ? ['--r', String(o.r)] : []),
    ...(o.w !== undefined ? ['--w', String(o.w)] : []),
    ...(tls ? ['--tls-cert', join(tls.dir, `${p.id}.pem`), '--tls-key', join(tls.dir, `${p.id}-key.pem`), '--tls-ca', tls.caFile, '--gossip-key-file', tls.gossipKeyFile] : []),
    ...(o.extraArgs ?? []),
    ...(o.nodeArgs?.[index] ?? []),
  ];
  const print = o.verbose ? (line: string) => process.stderr.write(`[${p.id}] ${line}\n`) : undefined;
  const onLog = o.onLog || print ? (line: string) => (o.onLog?.(p.id, line), print?.(line)) : undefined;
  return new NodeHandle({
    id: p.id,
    host: p.host,
    port: p.port,
    args,
    dataDir,
    ...(o.server ? { server: o.server } : {}),
    ...(tls ? { tlsCa: tls.ca } : {}),
    ...(o.env ? { env: o.env } : {}),
    ...(o.logFiles ? { logFile: join(root, `${p.id}.log`) } : {}),
    ...(onLog ? { onLog } : {}),
    ...(o.onExit ? { onExit: (code: number | null, signal: NodeJS.Signals | null) => o.onExit!(p.id, code, signal) } : {}),
  });
}
