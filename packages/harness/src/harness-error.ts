/**
 * Why the harness could not do what was asked. A closed set, so callers can react to each case.
 *
 * - `server-not-found`: no `quorumkv-server` executable (see `locateServer`).
 * - `already-running`: `start()` on a node whose process is still running.
 * - `exited`: a node's process ended while the harness waited for it to become ready.
 * - `not-ready`: a node did not answer `/readyz` with 200 in time.
 * - `not-proxied`: a link fault on a cluster started without `proxied` (or on a node it does not have).
 * - `unsupported`: a request the cluster cannot carry out as asked (e.g. adding a node to a secure cluster).
 */
export type HarnessErrorReason = 'server-not-found' | 'already-running' | 'exited' | 'not-ready' | 'not-proxied' | 'unsupported';

/** The one error the harness throws; `message` ends with the node's last log lines when it has any. */
export class HarnessError extends Error {
  override readonly name = 'HarnessError';

  constructor(
    /** What went wrong, machine-readable. */
    readonly reason: HarnessErrorReason,
    message: string,
    /** The node concerned, when there is one. */
    readonly nodeId?: string,
  ) {
    super(message);
  }
}
