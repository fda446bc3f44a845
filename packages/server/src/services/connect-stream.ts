// The connect-es side of the hot streams (gRPC-protocol callers of Session and Replicate), under
// the same stream budget as the raw path: a request message is read only when the processor is
// ready for it, and a response holds its bytes until connect-es has written it and asks for the
// next (connect-node waits for 'drain' between writes, so nothing piles up beyond one message).
import type { HandlerContext } from '@connectrpc/connect';
import type { StreamBudgetFactory } from '../http/call-budget.js';
import { onceNextTurn } from '../http/next-turn.js';
import type { StreamBudget } from '../http/stream-budget.js';
import { AsyncQueue } from '../replication/async-queue.js';
import { guardStream, requestMessages } from './guard.js';
import { checkCount, type StreamMessages, type StreamProcessor, type StreamSink } from './stream-processor.js';

export interface ConnectStreamOptions<Req, Res> {
  requests: AsyncIterable<Req>;
  ctx: HandlerContext;
  messages: StreamMessages<Req>;
  streamBudget: StreamBudgetFactory;
  processor: (budget: StreamBudget, sink: StreamSink<Res>) => StreamProcessor<Req>;
}

/** Serves one connect-es stream. */
export function serveConnectStream<Req, Res>(o: ConnectStreamOptions<Req, Res>): AsyncIterable<Res> {
  const out = new AsyncQueue<{ res: Res; heldBytes: number }>();
  let wake: (() => void) | undefined;
  const budget = o.streamBudget(
    o.ctx,
    onceNextTurn(() => {
      processor.pump();
      if (processor.ready) wake?.();
    }),
  );
  const processor = o.processor(budget, { send: (res, heldBytes) => out.push({ res, heldBytes }), done: () => out.close(), fail: (err) => out.close(err) });
  // The call is over (the client reset the stream, or it ended). connect-node waits for 'drain'
  // before it asks for the next response, and a reset HTTP/2 stream emits none, so the responses
  // below may never be advanced or returned again: what the stream holds is given back here, or
  // streams reset while their responses wait unread would add up until the node's budget is full
  // and no stream of any path starts work again. The responses end with why the call ended (its
  // deadline, the server stopping), never as if every operation had been answered. One listener for
  // the whole call.
  const gone = (): void => {
    budget.close();
    out.close(o.ctx.signal.reason ?? new Error('call ended'));
    wake?.();
  };
  if (o.ctx.signal.aborted) gone();
  else o.ctx.signal.addEventListener('abort', gone, { once: true });
  void (async () => {
    try {
      for await (const req of requestMessages(o.requests, o.messages.type, o.messages.sizeLimit)) {
        checkCount(o.messages, req);
        processor.message(req);
        while (!processor.ready && !o.ctx.signal.aborted) {
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
        if (o.ctx.signal.aborted) return;
      }
      processor.end();
    } catch (err) {
      out.close(err);
    }
  })();
  return guardStream(drained(out, budget));
}

/** The responses; each is released from the budget once connect-es asks for the next (it wrote it). */
async function* drained<Res>(out: AsyncIterable<{ res: Res; heldBytes: number }>, budget: StreamBudget): AsyncIterable<Res> {
  try {
    for await (const { res, heldBytes } of out) {
      yield res;
      budget.drained(heldBytes);
    }
  } finally {
    budget.close();
  }
}
