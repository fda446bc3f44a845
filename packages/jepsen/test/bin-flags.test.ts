// The jepsen and fuzz commands are typed by hand: a wrong flag must get a one-line reason, the
// usage and exit status 2 (as their READMEs promise), not a stack trace; --help prints the usage.
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const bins = {
  jepsen: resolve(here, '../dist/bin/jepsen.js'),
  fuzz: resolve(here, '../../fuzz/dist/bin/fuzz.js'),
};

const run = (bin: string, ...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30_000 });

describe.each(Object.entries(bins))('%s command flags', (name, bin) => {
  it('refuses an unknown flag with exit 2, naming it, and prints the usage', () => {
    const r = run(bin, '--bogus-flag');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${name}: Unknown option '--bogus-flag'`);
    expect(r.stderr).toContain(`usage: npm run ${name} --`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses a malformed number with exit 2, naming the flag', () => {
    const r = run(bin, '--seed', 'seven');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--seed.*seven/);
  });

  it('prints the usage for --help and exits 0', () => {
    const r = run(bin, '--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`usage: npm run ${name} --`);
  });
});
