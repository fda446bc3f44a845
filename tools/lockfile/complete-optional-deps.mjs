// The registry these machines reach serves only the linux-x64 builds of packages that ship native
// binaries as per-platform optional dependencies (@swc/core-*, @bufbuild/buf-*, @nx/nx-*, ...), so
// `npm install` cannot record the other platforms in package-lock.json and `npm ci` then reports the
// lock as out of sync. This adds the missing optional entries, with os/cpu taken from the package
// name, so `npm ci` accepts the lock and skips them on this platform as it would anyway.
// Run after changing dependencies: node tools/lockfile/complete-optional-deps.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const lockPath = new URL('../../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const packages = lock.packages;

const osNames = ['darwin', 'linux', 'win32', 'freebsd', 'android', 'openharmony', 'netbsd', 'openbsd', 'sunos', 'aix', 'wasm32'];
const cpuNames = ['arm64', 'x64', 'ia32', 'arm', 'armv7', 's390x', 'ppc64', 'riscv64', 'loong64', 'mips64el', 'wasm32', 'universal'];

function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((p) => osNames.includes(p));
  const cpu = parts.find((p) => cpuNames.includes(p)) ?? (parts.includes('arm') ? 'arm' : undefined);
  return { os, cpu: cpu === 'armv7' ? 'arm' : cpu === 'universal' ? undefined : cpu };
}

let added = 0;
for (const [path, entry] of Object.entries(packages)) {
  for (const [dep, range] of Object.entries(entry.optionalDependencies ?? {})) {
    const at = `node_modules/${dep}`;
    const nested = path ? `${path}/node_modules/${dep}` : at;
    if (packages[at] || packages[nested]) continue;
    const { os, cpu } = platformOf(dep);
    packages[at] = {
      version: range.replace(/^[\^~=]/, ''),
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      ...(os ? { os: [os] } : {}),
      ...(cpu ? { cpu: [cpu] } : {}),
    };
    added++;
  }
}
const sorted = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
lock.packages = sorted;
writeFileSync(lockPath, JSON.stringify(lock, null, 2) + '\n');
console.log(`added ${added} optional platform entries`);
