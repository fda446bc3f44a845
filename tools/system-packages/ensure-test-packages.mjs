#!/usr/bin/env node
// The Debian packages `npm test` needs beyond Node (the root package.json runs this as `pretest`).
// A fresh machine lacks some of them: as root this installs what is missing with apt-get; as anyone
// else it stops at once with one line saying what to install. Add a package here when a test needs
// one, never an apt step to CI: CI runs `npm test` like everyone else.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const env = process.env;

function onPath(command) {
  return (env.PATH ?? '').split(delimiter).some((dir) => {
    if (!dir) return false;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Each Debian package, how to tell it is there, and which test needs it. */
const NEEDED = [
  // The browser test runs QKV_CHROMIUM, else /usr/bin/chromium (not a PATH lookup).
  { apt: 'chromium', present: () => isExecutable(env.QKV_CHROMIUM ?? '/usr/bin/chromium'), usedBy: 'packages/client/test/browser.test.ts' },
  { apt: 'docker-compose', present: () => onPath('docker-compose'), usedBy: 'packages/cli/test/compose-topology.test.ts (validates docker-compose.yml)' },
  // The README test runs the README's commands in a network namespace of its own (unshare,
  // nsenter, ip) and pipes one through jq, as the README does.
  { apt: 'util-linux', present: () => onPath('unshare') && onPath('nsenter'), usedBy: 'packages/cli/test/readme.test.ts' },
  { apt: 'iproute2', present: () => onPath('ip'), usedBy: 'packages/cli/test/readme.test.ts' },
  { apt: 'jq', present: () => onPath('jq'), usedBy: 'packages/cli/test/readme.test.ts' },
];

const UPDATE_TIMEOUT_MS = 3 * 60_000;
const INSTALL_TIMEOUT_MS = 7 * 60_000;

function apt(args, timeoutMs) {
  const res = spawnSync('apt-get', args, {
    env: { ...env, DEBIAN_FRONTEND: 'noninteractive' },
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (res.status === 0) return;
  const why = res.error ? res.error.message : `exit code ${res.status}`;
  const tail = `${res.stdout ?? ''}${res.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
  process.stderr.write(`${tail}\nnpm test: apt-get ${args.join(' ')} failed (${why})\n`);
  process.exit(1);
}

const missing = NEEDED.filter((p) => !p.present());
if (missing.length > 0) {
  const names = missing.map((p) => p.apt);
  if (process.getuid?.() !== 0) {
    const uses = missing.map((p) => `${p.apt} (${p.usedBy})`).join(', ');
    process.stderr.write(`npm test needs Debian packages that are not installed: ${uses}; run as root: apt-get install -y ${names.join(' ')}\n`);
    process.exit(1);
  }
  const started = Date.now();
  process.stdout.write(`== npm test: installing Debian packages ${names.join(' ')} (apt-get, up to ${(UPDATE_TIMEOUT_MS + INSTALL_TIMEOUT_MS) / 60_000} min)\n`);
  apt(['update', '-qq'], UPDATE_TIMEOUT_MS);
  apt(['install', '-y', '-qq', '--no-install-recommends', ...names], INSTALL_TIMEOUT_MS);
  const still = missing.filter((p) => !p.present()).map((p) => p.apt);
  if (still.length > 0) {
    process.stderr.write(`npm test: still missing after apt-get install: ${still.join(' ')}\n`);
    process.exit(1);
  }
  process.stdout.write(`== npm test: installed ${names.join(' ')} in ${Math.round((Date.now() - started) / 1000)} s\n`);
}
