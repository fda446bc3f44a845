// Installs the Debian packages a tool or the test suite needs when they are missing: with apt-get
// when running as root (the project's machines), else a MissingPackagesError naming what to
// install. Used by `npm test` (ensure-test-packages.mjs) and the peer benchmark (redis, etcd).
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** True when `command` is an executable on PATH. */
export function onPath(command, env = process.env) {
  return (env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && isExecutable(join(dir, command)));
}

/** True when `path` is an executable file. */
export function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Packages are missing and cannot be installed from here; `message` is one line saying what to do. */
export class MissingPackagesError extends Error {
  /** @param {string} message @param {string[]} packages */
  constructor(message, packages) {
    super(message);
    this.name = 'MissingPackagesError';
    this.packages = packages;
  }
}

const UPDATE_TIMEOUT_MS = 2 * 60_000;
const INSTALL_TIMEOUT_MS = 5 * 60_000;

function aptGet(args, timeoutMs) {
  const res = spawnSync('apt-get', args, {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (res.status === 0) return undefined;
  const why = res.error ? res.error.message : `exit code ${res.status}`;
  const tail = `${res.stdout ?? ''}${res.stderr ?? ''}`.trim().split('\n').slice(-10).join('\n');
  return `apt-get ${args.join(' ')} failed (${why})${tail ? `:\n${tail}` : ''}`;
}

/**
 * Makes sure every package of `needed` is present, installing the missing ones (bounded: 12
 * minutes at most). An `apt-get update` runs only when the install fails without it (a fresh image
 * has no package lists).
 * @param {{ apt: string, present: () => boolean, usedBy?: string }[]} needed
 * @param {{ log: (line: string) => void, purpose: string }} options `purpose` names who needs them
 * @returns {string[]} the packages installed (empty when all were there)
 * @throws {MissingPackagesError} when not root, or apt-get fails, or a package is still missing
 */
export function ensureDebianPackages(needed, { log, purpose }) {
  const missing = needed.filter((p) => !p.present());
  const packages = [...new Set(missing.map((p) => p.apt))];
  if (packages.length === 0) return [];
  if (process.getuid?.() !== 0) {
    const uses = missing.map((p) => (p.usedBy ? `${p.apt} (${p.usedBy})` : p.apt)).join(', ');
    throw new MissingPackagesError(`${purpose} needs Debian packages that are not installed: ${uses}; run as root: apt-get install -y ${packages.join(' ')}`, packages);
  }
  const started = Date.now();
  log(`== ${purpose}: installing Debian packages ${packages.join(' ')} (apt-get, up to ${(UPDATE_TIMEOUT_MS + 2 * INSTALL_TIMEOUT_MS) / 60_000} min)`);
  const install = ['install', '-y', '-qq', '--no-install-recommends', ...packages];
  const failed = aptGet(install, INSTALL_TIMEOUT_MS) && (aptGet(['update', '-qq'], UPDATE_TIMEOUT_MS) ?? aptGet(install, INSTALL_TIMEOUT_MS));
  if (failed) throw new MissingPackagesError(`${purpose}: ${failed}`, packages);
  const still = [...new Set(missing.filter((p) => !p.present()).map((p) => p.apt))];
  if (still.length > 0) throw new MissingPackagesError(`${purpose}: still missing after apt-get install: ${still.join(' ')}`, still);
  log(`== ${purpose}: installed ${packages.join(' ')} in ${Math.round((Date.now() - started) / 1000)} s`);
  return packages;
}
