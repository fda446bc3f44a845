import { applyWrite, encodeRecord } from '../record/key-record.js';
import { checkHistory, type CheckName } from './checker.js';
import { DotLedger } from './dot-ledger.js';
import { History, type Op } from './history.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Builds histories by hand: each call is one completed operation, 10 ms after the previous one. */
class Story {
  readonly history = new History(0);
  readonly ledger = new DotLedger();
  private t = 0;

  private op(o: Omit<Op, 'id' | 'outcome' | 'invokedMs' | 'invokedSeq'> & { outcome?: Exclude<Op['outcome'], 'pending'> }): Op {
    const op = this.history.invoke({ ...o, invokedMs: (this.t += 10) });
    this.history.complete(op, this.t + 5, o.outcome ?? 'ok');
    return op;
  }
  put(value: string, o: { key?: string; ctx?: Op; ctxOfKey?: string; replicas?: string[]; ttlMs?: number; outcome?: Exclude<Op['outcome'], 'pending'> } = {}): Op {
    return this.op({ client: 0, kind: 'put', key: o.key ?? 'k', via: 'a', value, contextFrom: o.ctx?.id, contextOfKey: o.ctxOfKey, ttlMs: o.ttlMs, replicas: o.replicas ?? ['a', 'b'], outcome: o.outcome });
  }
  del(ctx: Op, o: { replicas?: string[]; outcome?: Exclude<Op['outcome'], 'pending'> } = {}): Op {
    return this.op({ client: 0, kind: 'delete', key: ctx.key, via: 'a', contextFrom: ctx.id, replicas: o.replicas ?? ['a', 'b'], outcome: o.outcome });
  }
  get(values: string[], o: { key?: string; replicas?: string[]; final?: boolean; outcome?: Exclude<Op['outcome'], 'pending'> } = {}): Op {
    return this.op({ client: 0, kind: 'get', key: o.key ?? 'k', via: 'a', values, replicas: o.replicas ?? ['a', 'b'], finalRound: o.final ? 1 : undefined, outcome: o.outcome });
  }
  checks(): CheckName[] {
    return checkHistory(this.history, this.ledger).map((v) => v.check);
  }
}

describe('checkHistory', () => {
  it('flags an acknowledged write missing from the final read', () => {
    const s = new Story();
    s.put('v1');
    s.get([], { final: true });
    expect(s.checks()).toEqual(['lost-write']);
  });

  it('accepts a write superseded by a write that saw it, even one whose outcome is unknown', () => {
    const s = new Story();
    s.put('v1');
    const read = s.get(['v1']);
    s.del(read, { outcome: 'info' });
    s.get([], { final: true });
    expect(s.checks()).toEqual([]);
  });

  it('does not count a context taken from another key as having seen anything', () => {
    const s = new Story();
    s.put('y', { key: 'k1' });
    s.put('z', { key: 'k2' });
    const other = s.get(['z'], { key: 'k2' });
    s.put('x', { key: 'k1', ctx: other, ctxOfKey: 'k2' });
    s.get(['x'], { key: 'k1', final: true });
    s.get(['z'], { key: 'k2', final: true });
    expect(s.checks()).toEqual(['lost-write']);
  });

  it('excuses a write whose every copy was destroyed, and writes with a TTL', () => {
    const s = new Story();
    s.put('v1', { replicas: ['a', 'd>b'] });
    s.put('brief', { ttlMs: 100 });
    s.history.destroyed.add('v1');
    s.get([], { final: true });
    expect(s.checks()).toEqual([]);
  });

  it('flags a value superseded by an acknowledged delete that comes back in the final read', () => {
    const s = new Story();
    s.put('v1');
    s.del(s.get(['v1']));
    s.get(['v1'], { final: true });
    expect(s.checks()).toEqual(['superseded-value-returned']);
  });

  it('does not expect a delete to hold when every stored record of it was destroyed', () => {
    const s = new Story();
    s.put('v1', { replicas: ['a', 'b', 'c'] });
    s.del(s.get(['v1']), { replicas: ['a', 'b'] });
    s.history.revivable.add('v1');
    s.get(['v1'], { final: true });
    expect(s.checks()).toEqual([]);
  });

  it('flags a read that heard from a replica holding the superseding write yet returned the old value', () => {
    const s = new Story();
    s.put('v1');
    s.put('v2', { ctx: s.get(['v1']), replicas: ['a', 'b'] });
    s.get(['v1'], { replicas: ['b', 'c'] });
    s.get(['v2'], { final: true });
    expect(s.checks()).toEqual(['stale-read-after-quorum']);
  });

  it('holds a read only to writes acknowledged before it was invoked, even within the same millisecond', () => {
    const s = new Story();
    s.put('v1');
    const read = s.history.invoke({ client: 1, kind: 'get', key: 'k', via: 'a', invokedMs: 100 });
    const ctx = s.get(['v1']);
    s.put('v2', { ctx, replicas: ['a', 'b'] }); // acknowledged while `read` was in flight
    Object.assign(read, { values: ['v1'], replicas: ['a', 'b'] });
    s.history.complete(read, 100, 'ok');
    s.get(['v2'], { final: true });
    expect(s.checks()).toEqual([]);
  });

  it('allows stale reads that did not hear from a replica holding the newer write, or whose replica lost its copy', () => {
    const s = new Story();
    s.put('v1');
    s.put('v2', { ctx: s.get(['v1']), replicas: ['a', 'd>b'] });
    s.get(['v1'], { replicas: ['b', 'c'] }); // b had only a hint for it, on d: a sloppy quorum
    s.history.lostCopy('a', 'k', s.history.ops.at(-1)!.completedMs! + 1);
    s.get(['v1'], { replicas: ['a', 'c'] }); // a lost it before this read
    s.get(['v2'], { final: true });
    expect(s.checks()).toEqual([]);
  });

  it('flags a value no client wrote, a last final read that failed, and an overwrite', () => {
    const s = new Story();
    s.get(['ghost']);
    const first = s.get([], { final: true, outcome: 'fail' }); // the first round repairs corrupt copies
    s.get([], { final: true, outcome: 'fail' }).finalRound = 2;
    expect(first.finalRound).toBe(1);
    s.history.overwrites.push({ node: 'a', key: 'k', atMs: 5, before: '[new]', after: '[old]' });
    expect(s.checks().sort()).toEqual(['final-read-failed', 'overwrite', 'phantom-value']);
    // ...unless the failing key has a corrupt copy and nothing intact to repair it from.
    s.get([], { final: true }).finalRound = 2;
    Object.assign(s.history.ops.at(-1)!, { fromDisks: true, unrepairable: true });
    expect(s.checks().sort()).toEqual(['overwrite', 'phantom-value']);
  });

  it('flags a dot that names two values, wherever each was seen', () => {
    const s = new Story();
    const write = (value: string) => encodeRecord(applyWrite(undefined, undefined, 'a~1', { tombstone: false, value: enc(value), timestampMs: 1, expiresAtMs: 0 }, false));
    s.ledger.observe('default', enc('k'), write('v1'), 'stored on a', 1);
    s.ledger.observe('default', enc('k'), write('v1'), 'stored on b', 2);
    s.ledger.observe('default', enc('other'), write('v3'), 'stored on a', 2); // dots are per key
    expect(s.checks()).toEqual([]);
    s.ledger.observe('default', enc('k'), write('v3'), 'a -> b', 3);
    expect(s.checks()).toEqual(['dot-reuse']);
    expect(checkHistory(s.history, s.ledger)[0]!.message).toMatch(/dot a~1:1 of k names "v1" \(stored on a, \+1ms\) and "v3" \(a -> b, \+3ms\)/);
  });
});
