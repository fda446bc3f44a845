// The `quorumkv` command line: global options, commands, and the one place errors become a line
// on stderr and an exit code.
import { Command, CommanderError, Option } from 'commander';
import { registerBucketCommands } from './commands/bucket.js';
import { registerClusterCommands } from './commands/cluster.js';
import { registerDataCommands } from './commands/data.js';
import { registerCertsCommands } from './commands/certs.js';
import { registerDevCommand } from './commands/dev.js';
import { DEFAULT_NODE, DEFAULT_TIMEOUT_MS } from './context.js';
import { CliExit, errorLine, exitCodeOf, ExitCode, type ExitCodeValue } from './exit-codes.js';
import { processOutput, type Output } from './output.js';
import { nodeAddress, positiveInt } from './parse.js';

/** The CLI's version, printed by --version. */
export const VERSION = '0.1.0';

/** Builds the command tree (without parsing anything). */
export function buildProgram(out: Output = processOutput, env: NodeJS.ProcessEnv = process.env): Command {
  const program = new Command('quorumkv')
    .description('QuorumKV command line: data, buckets, cluster administration, local dev cluster')
    .version(VERSION)
    .addOption(new Option('--node <host:port>', 'node to talk to; the cluster forwards as needed (env: QKV_NODE)').default(env['QKV_NODE'] ?? DEFAULT_NODE).argParser(nodeAddress))
    .option('--json', 'machine-readable JSON output on stdout (every command)')
    .addOption(new Option('--timeout <ms>', 'deadline of each request, retries included').default(DEFAULT_TIMEOUT_MS).argParser(positiveInt))
    .addOption(new Option('--token <token>', 'bearer token for clusters that require one (env: QUORUMKV_TOKEN)').default(env['QUORUMKV_TOKEN'] ?? '', env['QUORUMKV_TOKEN'] ? 'from QUORUMKV_TOKEN' : 'none'))
    .addOption(new Option('--ca <file>', 'reach the node over TLS, trusting this CA certificate (PEM), e.g. the one `certs create` made (env: QUORUMKV_CA)').default(env['QUORUMKV_CA'] ?? '', env['QUORUMKV_CA'] ? 'from QUORUMKV_CA' : 'none: plaintext unless --tls'))
    .option('--tls', "reach the node over TLS, trusting the system's CAs")
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: (s) => out.out(s.replace(/\n$/, '')), writeErr: (s) => out.err(s.replace(/\n$/, '')) })
    .exitOverride()
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 not found, 2 usage error, 3 unavailable (unreachable, quorum not met,\n' +
        'timeout, overloaded, cluster not healthy), 4 other error. QKV_NODE sets the default --node.',
    );
  registerDataCommands(program, out);
  registerBucketCommands(program, out);
  registerClusterCommands(program, out);
  registerDevCommand(program, out);
  registerCertsCommands(program, out);
  // Subcommands inherit exit handling and output routing.
  const apply = (cmd: Command): void => {
    for (const sub of cmd.commands) {
      sub.exitOverride().configureOutput(program.configureOutput()).showSuggestionAfterError(true);
      apply(sub);
    }
  };
  apply(program);
  return program;
}

/**
 * Runs the CLI on `argv` (as in `process.argv`) and returns the exit code; never throws.
 * Errors print exactly one line on stderr.
 */
export async function main(argv: readonly string[], out: Output = processOutput, env: NodeJS.ProcessEnv = process.env): Promise<ExitCodeValue> {
  const program = buildProgram(out, env);
  try {
    await program.parseAsync([...argv]);
    return ExitCode.Ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has already printed its one-line message; help and --version are successes.
      // A bare `quorumkv` or `quorumkv cluster` prints help as an error (usage).
      return err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    out.err(err instanceof CliExit ? err.message : errorLine(err));
    return exitCodeOf(err);
  }
}
