// Exit codes scripts can rely on, and which error maps to which.
import {
  InsufficientStorageError,
  InvalidArgumentError,
  LimitExceededError,
  OverloadedError,
  QuorumNotMetError,
  TimeoutError,
  UnavailableError,
} from '@quorumkv/client/node';

/**
 * Process exit codes of `quorumkv`:
 * - 0: success
 * - 1: not found (`get` of a missing key, `bucket show` of an unknown bucket)
 * - 2: usage error (unknown command or flag, missing or malformed value, input the server rejected
 *   or found too large)
 * - 3: unavailable: node unreachable or not ready, quorum not met, timeout, overload, a node's disk
 *   full, or `cluster verify` unhealthy
 * - 4: any other error
 */
export const ExitCode = {
  Ok: 0,
  NotFound: 1,
  Usage: 2,
  Unavailable: 3,
  Error: 4,
} as const;

/** One of the {@link ExitCode} values. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A problem with the command line itself (exit code 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** An error that carries its own exit code and message (e.g. "not found"). */
export class CliExit extends Error {
  override name = 'CliExit';
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
  ) {
    super(message);
  }
}

/** The exit code for an error thrown by a command. */
export function exitCodeOf(err: unknown): ExitCodeValue {
  if (err instanceof CliExit) return err.exitCode;
  if (err instanceof UsageError || err instanceof InvalidArgumentError || err instanceof LimitExceededError) return ExitCode.Usage;
  if (
    err instanceof UnavailableError ||
    err instanceof QuorumNotMetError ||
    err instanceof TimeoutError ||
    err instanceof OverloadedError ||
    err instanceof InsufficientStorageError
  ) {
    return ExitCode.Unavailable;
  }
  return ExitCode.Error;
}

/** One line describing an error for stderr. */
export function errorLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return `error: ${message.split('\n')[0]}`;
}
