/**
 * The `quorumkv` command line as a library: run it in-process, or reuse the dev cluster launcher.
 *
 * @packageDocumentation
 */
export { main, buildProgram, VERSION } from './program.js';
export { ExitCode, type ExitCodeValue, UsageError, CliExit, exitCodeOf } from './exit-codes.js';
export { startDevCluster, type DevCluster, type DevClusterOptions, type DevNode } from './dev-cluster.js';
export { locateServer, type ServerCommand } from './server-locator.js';
export { processOutput, type Output } from './output.js';
