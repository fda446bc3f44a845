#!/usr/bin/env node
// npm links a package's bins when it installs, and only to files that exist then: this committed
// file is what `quorumkv-server` links to, and it runs the build (`npm ci` builds, see the root
// package.json's `prepare`).
import { existsSync } from 'node:fs';

const built = new URL('../dist/bin/quorumkv-server.js', import.meta.url);
if (!existsSync(built)) {
  process.stderr.write(`quorumkv-server: not built yet (no ${built.pathname}): run \`npm run build\` at the repository root\n`);
  process.exit(1);
}
await import(built.href);
