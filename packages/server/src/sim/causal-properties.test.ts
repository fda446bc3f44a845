import fc from 'fast-check';
import { runSimulation } from './run-simulation.js';
import { formatReport } from './sim-report.js';

// Issue #13's acceptance property, on the whole-cluster simulation: random interleavings of put,
// delete, expiry, reaping, hint delivery, crash/restart with lost disks, corrupt records, failing
// writes, partitions and read repair. Every acknowledged write is present at the end or superseded
// by a write that saw it; no dot names two values; nothing superseded by an acknowledged write or
// delete comes back; reads that heard from a replica holding a newer write never return what it
// superseded; nothing overwrites a stored record.
//
// It FAILS on the code before issue #13's fixes (dot reuse after reap, expiry, corruption or a lost
// disk; read repair rolling back; hints and expiry resurrecting values; foreign contexts), so
// jest.config.js leaves this file out until they are merged. A failure prints the replay command.

/** Runs per CI build (~20 ms of CPU each under jest): see CONTRIBUTING.md. */
const RUNS = 2000;

describe("issue #13: causal properties under every fault", () => {
  it(`hold in ${RUNS} random runs`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.noShrink(fc.integer({ min: 1, max: 2 ** 31 - 1 })), fc.integer({ min: 4, max: 60 }), async (seed, steps) => {
        const r = await runSimulation({ seed, steps });
        if (r.violations.length > 0) throw new Error(formatReport(r, { seed, steps }));
      }),
      { seed: 42, numRuns: RUNS },
    );
  }, 600_000);
});
