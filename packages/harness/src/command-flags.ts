import { parseArgs, type ParseArgsConfig } from 'node:util';

/**
 * Parses a test tool's flags (jepsen, fuzz) strictly. A wrong flag is a typing mistake, not a
 * crash: the reason (node:util names the flag), the usage and exit status 2.
 */
export function parseCommandFlags<T extends ParseArgsConfig>(command: string, usage: string, config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    return exitWithUsage(command, usage, err instanceof Error ? err.message : String(err));
  }
}

/** Prints `command: reason` and the usage to stderr and exits 2. */
export function exitWithUsage(command: string, usage: string, reason: string): never {
  process.stderr.write(`${command}: ${reason}\n${usage}\n`);
  process.exit(2);
}
