import { getEventListeners } from 'node:events';
import { Code, ConnectError, createContextValues, type HandlerContext } from '@connectrpc/connect';
import { AsyncQueue } from '../replication/async-queue.js';
import { ConnectionBudget, NodeBudget, StreamBudget } from '../http/stream-budget.js';
import { serveConnectStream } from './connect-stream.js';
import type { StreamMessages, StreamProcessor, StreamSink } from './stream-processor.js';

const MIB = 1024 * 1024;
const MESSAGES: StreamMessages<number> = {
  type: 'test.Message',
  sizeLimit: 'maxMessageBytes',
  countLimit: { name: 'OPS', max: 10, count: () => 1 },
  decode: () => 0,
};
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A stream served as connect-es would call it; the test plays the client and the processor. */
function serve(processor: (budget: StreamBudget, sink: StreamSink<number>) => StreamProcessor<number>) {
  const node = new NodeBudget({ maxInFlight: Infinity, maxBytes: 64 * MIB });
  const abort = new AbortController();
  const requests = new AsyncQueue<number>();
  const ctx = { signal: abort.signal, values: createContextValues() } as unknown as HandlerContext;
  const responses = serveConnectStream<number, number>({
    requests,
    ctx,
    messages: MESSAGES,
    streamBudget: (_ctx, onRoom) => new StreamBudget({ maxInFlight: 4, maxBytes: 8 * MIB }, new ConnectionBudget({ maxInFlight: 16, maxBytes: 32 * MIB }, node), 1024, onRoom),
    processor,
  });
  return { node, abort, requests, responses: responses[Symbol.asyncIterator]() };
}

describe('serveConnectStream', () => {
  it('gives back what the stream held when the client goes away while a response waits to be written', async () => {
    // connect-node waits for 'drain' before asking for the next response, and a reset HTTP/2
    // stream emits none: the responses iterator is never advanced again, nor returned.
    const s = serve((budget, sink) => ({
      ready: true,
      message: () => {
        for (let i = 0; i < 3; i++) {
          const ticket = budget.tryStart(1, 10)!;
          budget.finish(ticket, MIB);
          sink.send(i, MIB);
        }
      },
      pump: () => undefined,
      end: () => sink.done(),
    }));
    s.requests.push(1);
    expect((await s.responses.next()).value).toBe(0);
    expect(s.node.bytes).toBe(3 * MIB);
    s.abort.abort();
    await turn();
    expect(s.node.bytes).toBe(0);
    expect(s.node.inFlight).toBe(0);
  });

  it('ends the responses with the reason the call ended (its deadline), not as if every answer had been given', async () => {
    const s = serve((budget, sink) => ({
      ready: true,
      message: () => {
        budget.finish(budget.tryStart(1, 10)!, 100);
        sink.send(0, 100);
      },
      pump: () => undefined,
      end: () => sink.done(),
    }));
    s.requests.push(1);
    expect((await s.responses.next()).value).toBe(0);
    const deadline = new ConnectError('deadline exceeded', Code.DeadlineExceeded);
    s.abort.abort(deadline);
    await expect(s.responses.next()).rejects.toMatchObject({ code: Code.DeadlineExceeded });
  });

  it('waits for room without adding a listener to the call signal per wait', async () => {
    let ready = true;
    let room: (() => void) | undefined;
    const s = serve((budget) => {
      room = () => budget.drained(0);
      return {
        get ready() {
          return ready;
        },
        message: () => (ready = false),
        pump: () => (ready = true),
        end: () => undefined,
      };
    });
    const waits = 50;
    for (let i = 0; i < waits; i++) {
      s.requests.push(i);
      await turn();
      room!();
      await turn();
      await turn();
    }
    expect(getEventListeners(s.abort.signal, 'abort').length).toBeLessThanOrEqual(2);
    s.abort.abort();
  });
});
