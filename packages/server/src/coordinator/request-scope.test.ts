import { NodeArgumentError } from '../errors/errors.js';
import { DEADLINE_HEADER, deadlineOf, isOver, onwardCallOptions, scopeOf } from './request-scope.js';

const ctx = (headers: Record<string, string> = {}, signal = new AbortController().signal) => ({ signal, requestHeader: new Headers(headers) });

describe('request scope', () => {
  it('reads a forwarder\'s absolute deadline, and refuses a header that is not one, naming it', () => {
    expect(scopeOf(ctx()).deadlineMs).toBeUndefined();
    expect(scopeOf(ctx({ [DEADLINE_HEADER]: '1700000000123' })).deadlineMs).toBe(1700000000123);
    for (const bad of ['soon', '-5', '1.5', '1e12', '99999999999999999']) {
      const err = (() => {
        try {
          scopeOf(ctx({ [DEADLINE_HEADER]: bad }));
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(NodeArgumentError);
      expect((err as NodeArgumentError).field).toBe(DEADLINE_HEADER);
    }
  });

  it('keeps the earlier of the request\'s own timeout and the forwarder\'s deadline', () => {
    expect(deadlineOf(undefined, 500, 1000)).toBe(1500);
    expect(deadlineOf({ deadlineMs: 1200 }, 500, 1000)).toBe(1200);
    // A request that waited (in a paused node's socket buffer) past its forwarder's deadline gets no fresh time.
    expect(deadlineOf({ deadlineMs: 900 }, 500, 1000)).toBe(900);
    expect(isOver({ deadlineMs: 900 }, 900, 1000)).toBe(true);
  });

  it('is over once the caller went away, whatever the deadline', () => {
    const caller = new AbortController();
    const scope = { signal: caller.signal };
    expect(isOver(scope, 5000, 1000)).toBe(false);
    caller.abort();
    expect(isOver(scope, 5000, 1000)).toBe(true);
  });

  it('passes the remaining time, the absolute deadline and the caller\'s signal on', () => {
    const signal = new AbortController().signal;
    expect(onwardCallOptions({ signal }, 1750.6, 1000)).toEqual({ timeoutMs: 750, headers: { [DEADLINE_HEADER]: '1750' }, signal });
    expect(onwardCallOptions(undefined, 1000, 1000).timeoutMs).toBe(1);
  });
});
