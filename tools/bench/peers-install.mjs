// Makes sure the peer stores' binaries are on PATH for the peer benchmark: redis-server and
// redis-cli (Debian's redis-server, which pulls in redis-tools) and etcd (etcd-server; etcd-client
// for etcdctl). Installs with apt-get only what is missing; the benchmark runs as root on the
// project's Debian machines. Debian images ship a policy-rc.d that keeps apt from starting the
// packaged services, so installing starts no redis or etcd of its own.
import { execFileSync } from 'node:child_process';
import { ensureDebianPackages, MissingPackagesError, onPath } from '../system-packages/debian-packages.mjs';

/** Binary on PATH → the Debian package that provides it. */
const PROVIDERS = { 'redis-server': 'redis-server', 'redis-cli': 'redis-server', etcd: 'etcd-server', etcdctl: 'etcd-client' };

/** Missing binaries that cannot be installed from here (not root, or apt-get failed). */
export { MissingPackagesError as PeerInstallError };

/**
 * Installs the Debian packages of whichever of `bins` is missing.
 * @param {string[]} bins e.g. ['redis-server', 'redis-cli', 'etcd', 'etcdctl']
 * @param {(line: string) => void} log
 * @returns {string[]} the packages installed (empty when everything was there)
 */
export function ensurePeerBinaries(bins, log) {
  const needed = bins.map((bin) => ({ apt: PROVIDERS[bin] ?? bin, present: () => onPath(bin), usedBy: bin }));
  return ensureDebianPackages(needed, { log, purpose: 'the peer benchmark' });
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
