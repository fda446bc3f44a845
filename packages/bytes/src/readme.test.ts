// The README's standalone example runs as printed, against the build, as a user would run it.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

it('the standalone example prints what its comment says', () => {
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
  const code = /## Standalone use\n\n```js\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(code).toBeDefined();
  expect(code!.trim().split('\n')).toHaveLength(5);
  const promised = /\/\/ (.*)\n$/.exec(code!)?.[1];
  // Plain text to compare with the comment: nx sets FORCE_COLOR, which would colour console.log's output.
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', code!], { cwd: packageDir, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', FORCE_COLOR: '0' } });
  expect(run.stderr).toBe('');
  expect(run.stdout.trim()).toBe(promised);
});
