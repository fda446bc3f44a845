// Unary calls of the public API under the budgets streams have. A unary response stays in memory
// until its client reads it (HTTP/2 flow control, or the socket for HTTP/1.1), and nothing bounded
// how many of them a connection could hold: 2 connections × 100 HTTP/2 Gets of a 1 MiB value, never
// read, held +317 MiB, and 300 HTTP/1.1 Gets pipelined in one 33 KB write +419 MiB (measured). Each
// call now reserves the largest result before it runs, within its connection's and the node's
// budgets. The reservation is pessimistic on purpose: a call is one operation, with no run of
// earlier results to estimate from, and a learned estimate could be talked down with small reads
// first. A call without room waits, unread (HTTP/2 flow control stops its client; HTTP/1.1 clients
// that pipeline past a few requests are cut), until room is freed; its response holds its bytes
// until they are handed to the network.
import type * as http from 'node:http';
import type * as http2 from 'node:http2';
import { onceNextTurn } from './next-turn.js';
import { StreamBudget, type BudgetLimits, type BudgetTicket, type ConnectionBudget } from './stream-budget.js';

type Response = http.ServerResponse | http2.Http2ServerResponse;
/** `write` and `end` with their overloads flattened, to count what passes through them. */
type Writes = { write: (...args: unknown[]) => boolean; end: (...args: unknown[]) => unknown };

/** What every budgeted unary call of a node shares. */
export interface UnaryBudgetOptions {
  /** Limits of the call itself (one operation: any single call fits them). */
  limits: BudgetLimits;
  /** The result size reserved for every call: the largest value. */
  resultBytes: number;
}

function sizeOf(chunk: unknown): number {
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  return typeof chunk === 'string' ? Buffer.byteLength(chunk) : 0;
}

function gone(res: Response): boolean {
  return 'stream' in res ? res.stream.destroyed : res.socket === null || res.socket.destroyed;
}

/** Calls `onEnd` with the response's size once all of it is written. */
function countWrites(res: Response, onEnd: (bytes: number) => void): void {
  const w = res as unknown as Writes;
  const write = w.write.bind(res);
  const end = w.end.bind(res);
  let bytes = 0;
  let ended = false;
  w.write = (chunk, ...rest) => {
    bytes += sizeOf(chunk);
    return write(chunk, ...rest);
  };
  w.end = (...args) => {
    if (!ended) {
      ended = true;
      onEnd(bytes + (typeof args[0] === 'function' ? 0 : sizeOf(args[0])));
    }
    return end(...args);
  };
}

/**
 * Runs `run` (the call's handler) once `connection` and the node have room for the call answered
 * by `res`; what it reserved, then wrote, is given back once the response is handed over or the
 * call is gone, whichever comes first.
 */
export function runWithinBudget(res: Response, connection: ConnectionBudget, o: UnaryBudgetOptions, run: () => void): void {
  let ticket: BudgetTicket | undefined;
  let over = false;
  const done = (): void => {
    over = true;
    budget.close();
  };
  const start = (): void => {
    if (over || ticket !== undefined) return;
    if (gone(res)) return done();
    ticket = budget.tryStart(1, 0);
    if (ticket === undefined) return;
    const t = ticket;
    countWrites(res, (bytes) => budget.finish(t, bytes));
    run();
  };
  const budget = new StreamBudget(o.limits, connection, o.resultBytes, onceNextTurn(start));
  res.once('finish', done);
  res.once('close', done);
  start();
}
