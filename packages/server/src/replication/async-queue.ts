/**
 * A push-driven async iterable: producers `push`, one consumer iterates. Used to feed request
 * messages into a Connect stream and responses out of a stream handler.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiter: { resolve: (r: IteratorResult<T>) => void; reject: (err: unknown) => void } | undefined;
  private closed = false;
  private failure: unknown;

  push(item: T): void {
    if (this.closed) return;
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w.resolve({ value: item, done: false });
    } else {
      this.items.push(item);
    }
  }

  /** Ends the iteration after the queued items (or at once with an error). */
  close(error?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.failure = error;
    const w = this.waiter;
    this.waiter = undefined;
    // A consumer already waiting gets the error too, not a quiet end.
    if (w && error !== undefined) w.reject(error);
    else if (w) w.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false });
        if (this.closed) return this.failure === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(this.failure);
        return new Promise((resolve, reject) => (this.waiter = { resolve, reject }));
      },
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
      // Connect calls throw() on a request iterable when the call fails.
      throw: (error?: unknown) => {
        this.close(error);
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
