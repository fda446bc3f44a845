// Work woken by promise callbacks runs in the same macrotask as they do: a stream whose operations
// complete synchronously (a local read) would start the next ones, and the next, without the event
// loop ever reading another connection's bytes. Deferring the wake-up to the next turn lets every
// connection's I/O in between.

/** Returns a function that runs `fn` once in the next event-loop turn, however often it is called before. */
export function onceNextTurn(fn: () => void): () => void {
  let scheduled = false;
  const run = (): void => {
    scheduled = false;
    fn();
  };
  return () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(run);
  };
}

/** Resolves in the next event-loop turn (after pending I/O): long work awaits it between slices. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
