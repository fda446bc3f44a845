/**
 * The `quorumkv` command line as a library: run it in-process. (`quorumkv dev` runs on
 * `@quorumkv/harness`, which starts clusters for programs too.)
 *
 * @packageDocumentation
 */
export { main, buildProgram, VERSION } from './program.js';
export { ExitCode, type ExitCodeValue, UsageError, CliExit, exitCodeOf } from './exit-codes.js';
export { processOutput, type Output } from './output.js';
