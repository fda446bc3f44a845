// How a run is told to a person: the command that replays it, and its history with the violations.
import type { SimulationOptions, SimulationResult } from './run-simulation.js';
import type { Profile } from './schedule.js';

/** The command that replays exactly this run. */
export function replayCommand(o: SimulationOptions): string {
  if (o.scenario) return 'a hand-written scenario: run its test';
  const extra = [
    o.faults && o.faults !== 'full' ? ` --faults ${o.faults}` : '',
    o.mutation ? ` --mutation ${o.mutation}` : '',
    o.without?.length ? ` --without ${o.without.join(',')}` : '',
  ].join('');
  return `npm run sim -w @quorumkv/server -- --seed ${o.seed} --steps ${o.steps}${extra}`;
}

function hintBounds(p: Profile): string {
  const b = p.hintBounds;
  return b ? `, hints at most ${b.maxPerTarget} per target and ${b.maxTotal} in all, window ${b.windowMs} ms, max age ${b.maxAgeMs} ms` : '';
}

/** One line per failed check, e.g. `lost-write: acknowledged put #12 ...`. */
export function formatViolations(r: SimulationResult): string[] {
  return r.violations.map((v) => `${v.check}: ${v.message}`);
}

/** The whole story of a run: shape, history (each put with its dot), statistics, violations, replay. */
export function formatReport(r: SimulationResult, o: SimulationOptions): string {
  const p = r.profile;
  const lines = [
    `seed ${r.seed}, ${r.steps} steps, faults ${p.faults}${o.without?.length ? ` without ${o.without.join(', ')}` : ''}${o.mutation ? `, planted bug ${o.mutation}` : ''}: ${p.nodes} nodes (n=3 r=2 w=2), ${p.keys} key(s), ${p.clients} clients, tombstone grace ${p.tombstoneGraceMs} ms, read repair chance ${p.readRepairChance}${hintBounds(p)}`,
    ...r.history.format((value) => r.ledger.dotOfValue.get(value)),
    `${r.stats.ops} operations (${r.stats.acknowledged} acknowledged writes), ${r.stats.messages} replica messages, ${r.stats.gossipMessages} gossip messages, ${r.stats.memberEvents} member events, ${r.stats.events} events, ${(r.stats.virtualMs / 1000).toFixed(1)} s of virtual time`,
  ];
  const { destroyed, revivable, hintsDropped } = r.history;
  if (hintsDropped > 0) lines.push(`${hintsDropped} hint(s) dropped unacknowledged (caps, max age): copies destroyed`);
  if (destroyed.size > 0) lines.push(`every copy destroyed (excused if missing): ${[...destroyed].join(', ')}`);
  if (revivable.size > 0) lines.push(`every record of their supersession destroyed (excused if back): ${[...revivable].join(', ')}`);
  if (r.violations.length === 0) lines.push('no violation');
  else lines.push(`${r.violations.length} violation(s):`, ...formatViolations(r).map((l) => `  ${l}`));
  lines.push(`replay: ${replayCommand(o)}`);
  return lines.join('\n');
}
