// Makes sure the peer stores' binaries are on PATH for the peer benchmark: redis-server and
// redis-cli (Debian's redis-server, which pulls in redis-tools) and etcd (etcd-server; etcd-client
// for etcdctl). Installs with apt-get only what is missing; the benchmark runs as root on the
// project's Debian machines. Debian images ship a policy-rc.d that keeps apt from starting the
// packaged services, so installing starts no redis or etcd of its own.
import { execFileSync, spawnSync } from 'node:child_process';

/** Binary on PATH → the Debian package that provides it. */
const PROVIDERS = { 'redis-server': 'redis-server', 'redis-cli': 'redis-server', etcd: 'etcd-server', etcdctl: 'etcd-client' };

const onPath = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;

/** Error with the apt-get output, so the caller can print it and exit non-zero. */
export class PeerInstallError extends Error {
  /** @param {string} message @param {string[]} packages */
  constructor(message, packages) {
    super(message);
    this.name = 'PeerInstallError';
    this.packages = packages;
  }
}

/**
 * Installs the Debian packages of whichever of `bins` is missing.
 * @param {string[]} bins e.g. ['redis-server', 'redis-cli', 'etcd', 'etcdctl']
 * @param {(line: string) => void} log
 * @returns {string[]} the packages installed (empty when everything was there)
 */
export function ensurePeerBinaries(bins, log) {
  const missing = bins.filter((b) => !onPath(b));
  if (missing.length === 0) return [];
  const packages = [...new Set(missing.map((b) => PROVIDERS[b] ?? b))];
  if (process.getuid?.() !== 0) {
    throw new PeerInstallError(`missing ${missing.join(', ')}; install as root: apt-get install -y ${packages.join(' ')}`, packages);
  }
  log(`installing ${packages.join(' ')} (missing: ${missing.join(', ')})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (...args) => execFileSync('apt-get', args, { env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 600_000 });
  try {
    try {
      apt('install', '-y', '--no-install-recommends', ...packages);
    } catch {
      // A fresh image has no package lists yet.
      apt('update');
      apt('install', '-y', '--no-install-recommends', ...packages);
    }
  } catch (err) {
    const detail = `${err.stdout ?? ''}${err.stderr ?? ''}`.trim().split('\n').slice(-8).join('\n');
    throw new PeerInstallError(`apt-get install -y ${packages.join(' ')} failed:\n${detail || err.message}`, packages);
  }
  const still = bins.filter((b) => !onPath(b));
  if (still.length) throw new PeerInstallError(`installed ${packages.join(' ')} but ${still.join(', ')} still not on PATH`, packages);
  return packages;
}

/** `redis-server --version` / `etcd --version` first lines, for the report. */
export function peerVersions() {
  const first = (cmd, args) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0].trim();
    } catch {
      return 'unknown';
    }
  };
  return { redis: first('redis-server', ['--version']), etcd: first('etcd', ['--version']) };
}
