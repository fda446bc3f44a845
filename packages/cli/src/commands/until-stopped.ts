// The foreground life of `quorumkv dev` and `dev add-node`: serve until Ctrl-C, then stop cleanly.
import type { Output } from '../output.js';

/**
 * Runs until Ctrl-C / SIGTERM, then stops `what` gracefully; a second signal kills it at once.
 */
export function untilStopped(out: Output, what: string, nodes: { stop: () => Promise<void>; killNow: () => void }): Promise<void> {
  return new Promise<void>((done) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        // A second Ctrl-C: do not wait for a graceful shutdown.
        nodes.killNow();
        process.exit(130);
      }
      stopping = true;
      out.err(`${signal}: stopping ${what}...`);
      void nodes.stop().then(() => {
        out.err('stopped');
        done();
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
