import { ReplicaOp, ReplicaStatus, newReplicaItemResult, type ReplicaItem, type ReplicaItemResult } from '@quorumkv/protocol';
import type { ReplicaItemInput } from '../replication/replica-transport.js';
import { SimNetwork, type SimProcess } from './sim-network.js';
import { SimRandom } from './sim-random.js';
import { VirtualClock } from './virtual-clock.js';

/** A process that answers OK and remembers what it received. */
class Recorder implements SimProcess {
  alive = true;
  readonly got: string[] = [];
  readonly gossip: string[] = [];
  receiveGossip(from: string, bytes: Uint8Array): boolean {
    this.gossip.push(`${from}:${new TextDecoder().decode(bytes)}`);
    return false;
  }
  apply(item: ReplicaItem): Promise<ReplicaItemResult> {
    this.got.push(new TextDecoder().decode(item.key));
    return Promise.resolve(newReplicaItemResult(item.id, ReplicaStatus.OK));
  }
  applyAll(items: ReplicaItem[]): Promise<ReplicaItemResult[]> {
    return Promise.all(items.map((i) => this.apply(i)));
  }
}

const item = (key: string): ReplicaItemInput => ({ op: ReplicaOp.READ, bucket: 'default', key: new TextEncoder().encode(key), partition: 0, record: new Uint8Array(0), expiresAtMs: 0n, hintFor: '', deadlineMs: 0n });

function setup(seed = 1) {
  const clock = new VirtualClock(0);
  const net = new SimNetwork(clock, new SimRandom(seed), () => undefined);
  const nodes = { a: new Recorder(), b: new Recorder(), c: new Recorder() };
  for (const [id, p] of Object.entries(nodes)) net.attach(id, p);
  const from = (id: string, self = { alive: true }) => net.transport(id, self, () => true);
  /** Sends and tracks how the promise settled. */
  const send = (src: string, dst: string, key: string, self?: { alive: boolean }) => {
    const s = { state: 'pending' as 'pending' | 'ok' | 'failed', error: '' };
    from(src, self).send(dst, item(key)).then(
      () => (s.state = 'ok'),
      (err: Error) => ((s.state = 'failed'), (s.error = err.message)),
    );
    return s;
  };
  return { clock, net, nodes, send, from };
}

describe('SimNetwork', () => {
  it('delivers within a side of a partition, nothing across it, and everything again after healing', async () => {
    const { clock, net, nodes, send } = setup();
    net.partition([['a', 'b'], ['c']]);
    const same = send('a', 'b', 'x');
    const across = send('a', 'c', 'y');
    const back = send('c', 'a', 'z');
    await clock.run(60_000);
    expect(same.state).toBe('ok');
    expect(across.state).toBe('pending'); // the sender's own timeouts decide, as with a real cut-off peer
    expect(back.state).toBe('pending');
    expect(nodes.c.got).toEqual([]);
    expect(nodes.a.got).toEqual([]);
    expect(net.reachable('a', 'c')).toBe(false);
    net.heal();
    const healed = send('a', 'c', 'w');
    await clock.run(100);
    expect(healed.state).toBe('ok');
    expect(nodes.c.got).toEqual(['w']);
  });

  it('isolates a node that is in no listed group from every listed one', async () => {
    const { clock, net, send } = setup();
    net.partition([['a', 'b']]);
    const s = send('c', 'a', 'x');
    await clock.run(1000);
    expect(s.state).toBe('pending');
    expect(net.connected('a', 'b')).toBe(true);
    expect(net.connected('c', 'b')).toBe(false);
  });

  it('refuses a message to a process that is not running', async () => {
    const { clock, net, nodes, send } = setup();
    nodes.b.alive = false;
    const s = send('a', 'b', 'x');
    await clock.run(100);
    expect(s.state).toBe('failed');
    expect(s.error).toMatch(/connection refused/);
    net.attach('c', undefined);
    const t = send('a', 'c', 'y');
    await clock.run(100);
    expect(t.state).toBe('failed');
  });

  it('drops a message in flight when its receiver restarts, and an answer to a sender that died', async () => {
    const { clock, net, nodes, send } = setup();
    const toOld = send('a', 'b', 'x');
    const restarted = new Recorder();
    net.attach('b', restarted); // before the message lands (delays are at least 0 ms, events run in order)
    const self = { alive: true };
    const dying = send('a', 'c', 'y', self);
    self.alive = false;
    await clock.run(10_000);
    expect(nodes.b.got).toEqual([]);
    expect(restarted.got).toEqual([]);
    expect(toOld.state).toBe('pending');
    expect(nodes.c.got).toEqual(['y']); // the receiver applied it...
    expect(dying.state).toBe('pending'); // ...but a dead sender hears nothing
  });

  it('cuts or stalls messages at the configured rates', async () => {
    const { clock, net, send } = setup();
    net.conditions = { cutRate: 1, stallRate: 0, slowRate: 0 };
    const cut = send('a', 'b', 'x');
    await clock.run(100);
    expect(cut.state).toBe('failed');
    expect(cut.error).toMatch(/stream broken/);
    net.conditions = { cutRate: 0, stallRate: 1, slowRate: 0 };
    const stalled = send('a', 'b', 'y');
    await clock.run(60_000);
    expect(stalled.state).toBe('pending');
    expect(net.stats).toMatchObject({ cut: 1, stalled: 1, delivered: 0 });
  });

  it('reorders messages with random delays, the same way for the same seed', async () => {
    const arrivals = async (seed: number) => {
      const { clock, net, nodes, send } = setup(seed);
      net.conditions = { cutRate: 0, stallRate: 0, slowRate: 0.5 };
      for (let i = 0; i < 20; i++) send('a', 'b', `m${i}`);
      await clock.run(10_000);
      return nodes.b.got;
    };
    const first = await arrivals(7);
    expect(first).toHaveLength(20);
    expect(first).not.toEqual([...first].sort((x, y) => Number(x.slice(1)) - Number(y.slice(1))));
    expect(await arrivals(7)).toEqual(first);
    expect(await arrivals(8)).not.toEqual(first);
  });

  it('gives up on an unanswered hint delivery after the call timeout', async () => {
    const { clock, net, from } = setup();
    net.conditions = { cutRate: 0, stallRate: 1, slowRate: 0 };
    let error = '';
    from('a').deliverHints('b', [], { timeoutMs: 10_000 }).catch((err: Error) => (error = err.message));
    await clock.run(9_999);
    expect(error).toBe('');
    await clock.run(2);
    expect(error).toMatch(/deadline exceeded/);
  });
});

describe('SimNetwork gossip', () => {
  const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

  it('delivers gossip by address after a delay, never across a partition, and loses it on a cut or stalled link', async () => {
    const { clock, net, nodes } = setup();
    for (const id of ['a', 'b', 'c']) net.attach(id, nodes[id as 'a' | 'b' | 'c'], `${id}:7070`);
    net.gossip('a', 'a:7070', 'b:7070', bytes('hello'));
    expect(nodes.b.gossip).toEqual([]); // a message takes time
    await clock.run(10);
    expect(nodes.b.gossip).toEqual(['a:7070:hello']);
    net.partition([['a', 'b'], ['c']]);
    net.gossip('a', 'a:7070', 'c:7070', bytes('across'));
    net.gossip('c', 'c:7070', 'a:7070', bytes('back'));
    net.gossip('a', 'a:7070', 'nowhere:7070', bytes('unknown'));
    net.heal();
    net.conditions = { cutRate: 0.5, stallRate: 0.5, slowRate: 0 };
    for (let i = 0; i < 20; i++) net.gossip('a', 'a:7070', 'b:7070', bytes(`lost ${i}`));
    await clock.run(10_000);
    expect(nodes.c.gossip).toEqual([]);
    expect(nodes.a.gossip).toEqual([]);
    expect(nodes.b.gossip).toEqual(['a:7070:hello']);
    expect(net.stats).toMatchObject({ gossipSent: 24, gossipLost: 23 });
  });

  it('reorders gossip on slow links, and a message reaches only the process that ran when it was sent', async () => {
    const { clock, net, nodes } = setup(3);
    net.attach('a', nodes.a, 'a:7070');
    net.attach('b', nodes.b, 'b:7070');
    net.conditions = { cutRate: 0, stallRate: 0, slowRate: 0.5 };
    for (let i = 0; i < 20; i++) net.gossip('a', 'a:7070', 'b:7070', bytes(String(i)));
    await clock.run(3_000);
    const order = nodes.b.gossip.map((g) => Number(g.split(':').pop()));
    expect([...order].sort((x, y) => x - y)).toEqual([...Array(20).keys()]);
    expect(order).not.toEqual([...Array(20).keys()]);
    // In flight when the receiver restarts: the new process never sees it.
    net.gossip('a', 'a:7070', 'b:7070', bytes('to the old process'));
    const restarted = new Recorder();
    net.attach('b', restarted, 'b:7070');
    await clock.run(3_000);
    expect(restarted.gossip).toEqual([]);
    expect(nodes.b.gossip).toHaveLength(20);
  });
});

describe('SimRandom', () => {
  it('replays the same numbers for the same seed, and forks independent streams', () => {
    const draw = (r: SimRandom) => Array.from({ length: 8 }, () => r.int(0, 1000));
    const a = new SimRandom(42);
    const b = new SimRandom(42);
    expect(draw(a)).toEqual(draw(b));
    expect(draw(new SimRandom(43))).not.toEqual(draw(new SimRandom(42)));
    // A fork's numbers do not depend on how much the parent draws afterwards.
    const p1 = new SimRandom(5);
    const f1 = p1.fork();
    draw(p1);
    const p2 = new SimRandom(5);
    const f2 = p2.fork();
    expect(draw(f1)).toEqual(draw(f2));
  });
});
