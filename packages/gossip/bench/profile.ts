import { Simulator } from '../src/test-support/simulator.js';
const sim = new Simulator({ seed: 1, lossRate: 0.1 });
const n = 50;
for (let i = 0; i < n; i++) sim.addNode(`n${i}`, i === 0 ? [] : ['n0']);
sim.run(10000);
const t1 = Date.now();
sim.run(2000 * 1000);
console.log('2000 periods wall', Date.now() - t1, sim.stats);
