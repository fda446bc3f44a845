/**
 * The optional background TTL sweeper. Engines never start timers on their own (tests control
 * time); the server either calls `sweepExpired` on its own schedule or starts this.
 */
import type { StorageEngine, SweeperOptions } from './engine.js';
import { checkLimit } from './validation.js';

/** Starts an unref'd interval that sweeps one batch per tick; returns an idempotent stop function. */
export function startSweeperTimer(engine: Pick<StorageEngine, 'sweepExpired'>, options: SweeperOptions, onStop: () => void): () => void {
  const limit = options.batchLimit ?? 1000;
  checkLimit(limit);
  let running = false;
  const timer = setInterval(() => {
    // A slow sweep (big batch, slow disk) must not pile up overlapping sweeps.
    if (running) return;
    running = true;
    engine
      .sweepExpired({ limit })
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => {
        running = false;
      });
  }, options.intervalMs);
  timer.unref();
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    onStop();
  };
}
