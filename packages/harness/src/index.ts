/**
 * Real `quorumkv-server` processes on loopback addresses, for tests, benchmarks and `quorumkv dev`:
 * free ports, data dirs (temporary or given), readiness, captured logs, stop by pid, and faults from
 * outside the processes (kill -9, SIGSTOP/SIGCONT, restart, a TCP proxy that cuts connections).
 *
 * ```ts
 * const cluster = await startCluster({ nodes: 3 });
 * // ... talk to cluster.addresses ...
 * await cluster.stop();
 * ```
 *
 * @packageDocumentation
 */
export { startCluster, type AddNodeOptions, type Cluster, type ClusterTls, type StartClusterOptions } from './cluster.js';
export { issueTokens, newGossipKeyFile, tokenDigest, type IssuedTokens, type TokenSpec } from './client-tokens.js';
export { createClusterCerts, writeClusterCerts, type ClusterCertFiles, type ClusterCerts, type ClusterCertsOptions, type PemPair } from './cluster-certs.js';
export { NodeHandle, type NodeHandleOptions } from './node-handle.js';
export { FaultProxy, type LinkFault } from './fault-proxy.js';
export { freePort } from './free-port.js';
export { SeededRandom } from './seeded-random.js';
export { killOnExit, stopProcess } from './processes.js';
export { locateServer, type ServerCommand } from './server-locator.js';
export { HarnessError, type HarnessErrorReason } from './harness-error.js';
export { exitWithUsage, parseCommandFlags } from './command-flags.js';
