import { VirtualClock } from './virtual-clock.js';

describe('VirtualClock', () => {
  it('runs events in time order, equal times in scheduling order, and leaves the clock at the target', async () => {
    const clock = new VirtualClock(1000);
    const seen: string[] = [];
    clock.schedule(30, () => seen.push(`c@${clock.now()}`));
    clock.schedule(10, () => seen.push(`a@${clock.now()}`));
    clock.schedule(10, () => seen.push(`b@${clock.now()}`));
    clock.schedule(0.2, () => seen.push(`d@${clock.now()}`)); // whole ms: deadlines travel as integers
    await clock.run(20);
    expect(seen).toEqual(['d@1001', 'a@1010', 'b@1010']);
    expect(clock.now()).toBe(1020);
    await clock.run(100);
    expect(seen).toEqual(['d@1001', 'a@1010', 'b@1010', 'c@1030']);
    expect(clock.now()).toBe(1120);
  });

  it('never runs a cancelled event', async () => {
    const clock = new VirtualClock(0);
    let ran = false;
    const cancel = clock.schedule(5, () => (ran = true));
    cancel();
    await clock.run(10);
    expect(ran).toBe(false);
    expect(clock.nextEventMs()).toBe(Infinity);
  });

  it('lets every promise continuation of an event finish before the next event runs', async () => {
    const clock = new VirtualClock(0);
    const seen: string[] = [];
    clock.schedule(1, () => {
      void (async () => {
        for (let i = 0; i < 50; i++) await Promise.resolve();
        seen.push('chain of the first event done');
      })();
    });
    clock.schedule(1, () => seen.push('second event'));
    await clock.run(1);
    expect(seen).toEqual(['chain of the first event done', 'second event']);
  });

  it('gives a process timers that stop when it dies, repeating ones included', async () => {
    const clock = new VirtualClock(0);
    const owner = { alive: true };
    const timers = clock.timersFor(owner);
    const ticks: number[] = [];
    let once = 0;
    timers.every(10, () => ticks.push(clock.now()));
    timers.after(25, () => once++);
    const cancelled = timers.after(5, () => once++);
    cancelled();
    await clock.run(35);
    expect(ticks).toEqual([10, 20, 30]);
    expect(once).toBe(1);
    owner.alive = false;
    timers.after(1, () => once++);
    await clock.run(100);
    expect(ticks).toEqual([10, 20, 30]);
    expect(once).toBe(1);
    expect(timers.monotonicMs()).toBe(135);
  });

  it('stops a repeating timer when it is cancelled', async () => {
    const clock = new VirtualClock(0);
    let ticks = 0;
    const cancel = clock.timersFor({ alive: true }).every(10, () => ticks++);
    await clock.run(25);
    cancel();
    await clock.run(100);
    expect(ticks).toBe(2);
  });

  it('runs a synchronous event without waiting for continuations unless it says it started asynchronous work', async () => {
    const clock = new VirtualClock(0);
    const seen: string[] = [];
    const chain = (name: string): void =>
      void (async () => {
        for (let i = 0; i < 50; i++) await Promise.resolve();
        seen.push(name);
      })();
    clock.scheduleSync(1, () => (chain('chain of an event that said so'), true));
    clock.scheduleSync(1, () => (seen.push('second'), false));
    await clock.run(1);
    expect(seen).toEqual(['chain of an event that said so', 'second']);
  });
});
