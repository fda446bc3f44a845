#!/usr/bin/env node
// The Debian packages `npm test` needs beyond Node (the root package.json runs this as `pretest`).
// A fresh machine lacks some of them: as root this installs what is missing with apt-get; as anyone
// else it stops at once with one line saying what to install. Add a package here when a test needs
// one, never an apt step to CI: CI runs `npm test` like everyone else.
import { ensureDebianPackages, isExecutable, MissingPackagesError, onPath } from './debian-packages.mjs';

const NEEDED = [
  // The browser test runs QKV_CHROMIUM, else /usr/bin/chromium (not a PATH lookup).
  { apt: 'chromium', present: () => isExecutable(process.env.QKV_CHROMIUM ?? '/usr/bin/chromium'), usedBy: 'packages/client/test/browser.test.ts' },
  { apt: 'docker-compose', present: () => onPath('docker-compose'), usedBy: 'packages/cli/test/compose-topology.test.ts' },
  // The README test runs the README's commands in a network namespace of its own (unshare,
  // nsenter, ip); some of them use curl and jq.
  { apt: 'util-linux', present: () => onPath('unshare') && onPath('nsenter'), usedBy: 'packages/cli/test/readme.test.ts' },
  { apt: 'iproute2', present: () => onPath('ip'), usedBy: 'packages/cli/test/readme.test.ts' },
  { apt: 'jq', present: () => onPath('jq'), usedBy: 'packages/cli/test/readme.test.ts' },
  { apt: 'curl', present: () => onPath('curl'), usedBy: 'packages/cli/test/readme.test.ts' },
];

try {
  ensureDebianPackages(NEEDED, { log: (line) => console.log(line), purpose: 'npm test' });
} catch (err) {
  if (!(err instanceof MissingPackagesError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}
