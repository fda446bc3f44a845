// `quorumkv --help` and every command's help: each option has a description, a unit or format for
// its value, and its default (or says it is required). Commander's option definitions are the one source of this text.
import type { Command } from 'commander';
import { buildProgram } from './program.js';

function commands(cmd: Command): Command[] {
  return [cmd, ...cmd.commands.flatMap(commands)];
}

const silent = { out: () => undefined, err: () => undefined };

it('describes every option of every command with its unit and default', () => {
  const problems: string[] = [];
  for (const cmd of commands(buildProgram(silent, {}))) {
    // Commander wraps descriptions: read the help as one line per option.
    const help = cmd.helpInformation().replace(/\n {10,}/g, ' ');
    for (const option of cmd.options) {
      if (option.long === '--help' || option.long === '--version') continue;
      const line = help.split('\n').find((l) => l.trimStart().startsWith(option.flags)) ?? '';
      const takesValue = option.required || option.optional;
      // A mandatory option has no default: its help says it is required instead.
      const stated = option.mandatory ? /\(required\)/.test(line) : /\(default: [^)]+\)/.test(line);
      const ok = option.description.length >= 8 && (!takesValue || (/<[^>]+>/.test(option.flags) && stated));
      if (!ok) problems.push(`${cmd.name()} ${option.flags}: ${line.trim() || '(not in the help)'}`);
    }
  }
  expect(problems).toEqual([]);
});
