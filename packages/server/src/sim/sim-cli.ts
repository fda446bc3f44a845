// `npm run sim -w @quorumkv/server -- --seed S [--steps N]` replays one run and prints its history;
// `-- --runs N [--first-seed S] [--max-seconds T]` runs many seeds (stopping after T seconds of
// wall time, if given) and prints every failing one with its replay command. Exit status 1 when any
// run broke a property.
import { parseArgs } from 'node:util';
import { runSimulation, type SimulationOptions } from './run-simulation.js';
import { formatReport, formatViolations, replayCommand } from './sim-report.js';
import { INGREDIENTS, type FaultMenu, type Ingredient } from './schedule.js';
import { MUTATIONS, type Mutation } from './sim-node.js';

const usage = `usage: npm run sim -w @quorumkv/server -- (--seed S | --runs N [--first-seed S] [--max-failures F] [--max-seconds T]) [--steps N] [--faults full|basic] [--without ${INGREDIENTS.join(',')}] [--mutation ${MUTATIONS.join('|')}] [--trace] [--explain]`;

function parseFlags() {
  try {
    return parseArgs({
      options: {
        seed: { type: 'string' },
        runs: { type: 'string' },
        'first-seed': { type: 'string', default: '1' },
        steps: { type: 'string', default: '40' },
        faults: { type: 'string', default: 'full' },
        mutation: { type: 'string' },
        without: { type: 'string', default: '' },
        'max-failures': { type: 'string', default: '20' },
        'max-seconds': { type: 'string' },
        trace: { type: 'boolean', default: false },
        explain: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    // node:util's parse errors (an unknown flag, a missing value) already name the flag.
    console.error(`${err instanceof Error ? err.message : String(err)}\n${usage}`);
    return process.exit(2);
  }
}

const { values: args } = parseFlags();

function integer(name: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) {
    console.error(`--${name} must be an integer (got ${JSON.stringify(text)})\n${usage}`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<number> {
  if (args.help || (args.seed === undefined) === (args.runs === undefined)) {
    console.log(usage);
    return args.help ? 0 : 2;
  }
  if (args.faults !== 'full' && args.faults !== 'basic') return console.error(`--faults must be full or basic\n${usage}`), 2;
  if (args.mutation !== undefined && !MUTATIONS.includes(args.mutation as Mutation)) return console.error(`--mutation must be one of ${MUTATIONS.join(', ')}\n${usage}`), 2;
  const without = args.without.split(',').filter(Boolean);
  const unknown = without.filter((w) => !INGREDIENTS.includes(w as Ingredient));
  if (unknown.length > 0) return console.error(`--without: unknown ${unknown.join(', ')}\n${usage}`), 2;
  const base = { steps: integer('steps', args.steps), faults: args.faults as FaultMenu, mutation: args.mutation as Mutation | undefined, without: without as Ingredient[] };

  if (args.seed !== undefined) {
    let o: SimulationOptions = { ...base, seed: integer('seed', args.seed) };
    if (args.explain) o = await explain(o);
    const r = await runSimulation({ ...o, trace: args.trace });
    console.log(formatReport(r, o));
    return r.violations.length > 0 ? 1 : 0;
  }

  const runs = integer('runs', args.runs);
  const first = integer('first-seed', args['first-seed']);
  const maxFailures = integer('max-failures', args['max-failures']);
  const maxMs = args['max-seconds'] === undefined ? Infinity : integer('max-seconds', args['max-seconds']) * 1000;
  const byCheck = new Map<string, number>();
  let failing = 0;
  let diverged = 0;
  let divergedRuns = 0;
  const started = performance.now();
  let done = 0;
  for (let seed = first; seed < first + runs && performance.now() - started < maxMs; seed++, done++) {
    const o: SimulationOptions = { ...base, seed };
    const r = await runSimulation(o);
    diverged += r.stats.divergedAfterSettle;
    if (r.stats.divergedAfterSettle > 0) divergedRuns++;
    if (r.violations.length === 0) continue;
    failing++;
    for (const check of new Set(r.violations.map((v) => v.check))) byCheck.set(check, (byCheck.get(check) ?? 0) + 1);
    if (failing <= maxFailures) console.log(`seed ${seed}: ${formatViolations(r)[0]}${r.violations.length > 1 ? ` (+${r.violations.length - 1} more)` : ''}\n  replay: ${replayCommand(o)}`);
  }
  const seconds = (performance.now() - started) / 1000;
  const checks = [...byCheck].map(([c, n]) => `${c} ${n}`).join(', ');
  const cut = done < runs ? ` (time budget spent: seeds ${first}-${first + done - 1})` : '';
  console.log(`${done} runs in ${seconds.toFixed(1)} s (${(done / seconds).toFixed(0)} runs/s)${cut}: ${failing} failing${failing ? ` (${checks})` : ''}`);
  console.log(`replicas still unequal after heal and settling, before any final read: ${diverged} keys in ${divergedRuns} runs`);
  return failing > 0 ? 1 : 0;
}

/**
 * Leaves out each ingredient in turn, keeping it out when the run still fails: the failure needs
 * every ingredient that remains. Returns the options of the smallest failing run.
 */
async function explain(o: SimulationOptions): Promise<SimulationOptions> {
  if ((await runSimulation(o)).violations.length === 0) return o;
  const without = [...(o.without ?? [])];
  for (const ingredient of INGREDIENTS) {
    if (without.includes(ingredient)) continue;
    const fewer = [...without, ingredient];
    if ((await runSimulation({ ...o, without: fewer })).violations.length > 0) without.push(ingredient);
  }
  const needed = INGREDIENTS.filter((i) => !without.includes(i));
  console.log(`fails with only: ${needed.join(', ') || 'no fault at all'} (still fails without ${without.join(', ') || 'nothing'})\n`);
  return { ...o, without };
}

process.exitCode = await main();
