// docker-compose.yml's topology without Docker: the same entrypoint and per-service flags, read
// from the Dockerfile and the compose file, run as local processes with hostnames node-N mapped
// to 127.0.0.1N and ports substituted. A write on one node must be readable on the others. The
// file itself is checked by docker-compose (no Docker engine runs here, and `config` needs none).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NodeHandle, freePort } from '@quorumkv/harness';
import { parse } from 'yaml';
import { runCli, runJson } from './run-cli.js';

const root = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../../..');

interface ComposeService {
  hostname: string;
  command: string[];
  volumes: string[];
  ports: string[];
  healthcheck?: { test: string[] };
  profiles?: string[];
}

/** The Dockerfile's ENTRYPOINT as an argv array. */
function entrypoint(): string[] {
  const line = readFileSync(join(root, 'Dockerfile'), 'utf8').split('\n').find((l) => l.startsWith('ENTRYPOINT '));
  if (!line) throw new Error('Dockerfile has no ENTRYPOINT');
  return JSON.parse(line.slice('ENTRYPOINT '.length)) as string[];
}

const nodes: NodeHandle[] = [];
let dataRoot = '';

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  if (dataRoot) rmSync(dataRoot, { recursive: true, force: true });
});

it.each([[['docker-compose.yml']], [['docker-compose.yml', 'docker-compose.secure.yml']]])('is a valid compose file: %j', (files) => {
  // Debian's docker-compose; `npm test` installs it (tools/system-packages).
  const res = spawnSync('docker-compose', [...files.flatMap((f) => ['-f', f]), 'config', '-q'], { cwd: root, encoding: 'utf8' });
  expect(res.error).toBeUndefined();
  expect(res.stderr).toBe('');
  expect(res.status).toBe(0);
});

/** The services of the compose files, later files' commands and healthchecks replacing earlier ones (as compose merges them). */
function services(files: readonly string[]): Record<string, ComposeService> {
  const merged: Record<string, ComposeService> = {};
  for (const file of files) {
    const compose = parse(readFileSync(join(root, file), 'utf8'), { merge: true }) as { services: Record<string, Partial<ComposeService>> };
    for (const [name, svc] of Object.entries(compose.services)) {
      const base = merged[name];
      merged[name] = { ...base, ...svc, volumes: [...(base?.volumes ?? []), ...(svc.volumes ?? [])] } as ComposeService;
    }
  }
  return merged;
}

/**
 * Runs the topology of `files` as processes: hostname node-N → 127.0.0.(hostBase + N - 1) with a free
 * port standing in for 7070, `/data` → a temporary dir, and `subst` for anything else (the certs).
 */
async function runTopology(files: readonly string[], hostBase: number, secure?: { subst: (arg: string) => string; ca: string }): Promise<Topology> {
  const all = services(files);
  const names = Object.keys(all)
    .filter((name) => !all[name]!.profiles)
    .sort();
  expect(names).toEqual(['node-1', 'node-2', 'node-3']);
  const [program, ...entryArgs] = entrypoint();
  expect(program).toBe('quorumkv-server');

  const hosts = new Map<string, { host: string; port: number }>();
  for (const [i, name] of Object.keys(all).sort().entries()) {
    const svc = all[name]!;
    expect(svc.hostname).toBe(name);
    expect(svc.ports).toEqual([`${7070 + i}:7070`]);
    expect(svc.volumes).toContain(`./data/${name}:/data`);
    expect(svc.healthcheck?.test.join(' ')).toContain('/readyz');
    const host = `127.0.0.${hostBase + i}`;
    hosts.set(name, { host, port: await freePort(host) });
  }
  dataRoot ||= mkdtempSync(join(tmpdir(), 'qkv-compose-'));
  const substitute = (arg: string, self: string, dataDir: string): string => {
    if (arg === '/data') return dataDir;
    const own = hosts.get(self)!;
    return (secure ? secure.subst(arg) : arg)
      .replace('0.0.0.0:7070', `${own.host}:${own.port}`)
      .replace(/node-(\d+):7070/g, (m, n: string) => {
        const h = hosts.get(`node-${n}`);
        return h ? `${h.host}:${h.port}` : m;
      });
  };

  const start = (name: string): NodeHandle => {
    const dataDir = join(dataRoot, `${hostBase}-${name}`);
    const args = [...entryArgs, ...all[name]!.command].map((a) => substitute(a, name, dataDir));
    const node = new NodeHandle({ id: name, ...hosts.get(name)!, args, dataDir, ...(secure ? { tlsCa: secure.ca } : {}) });
    nodes.push(node);
    node.start();
    return node;
  };
  await Promise.all(names.map((name) => start(name).waitReady()));
  return {
    addr: (name: string): string => `${hosts.get(name)!.host}:${hosts.get(name)!.port}`,
    startProfiled: async (name: string) => {
      expect(all[name]?.profiles).toBeDefined();
      await start(name).waitReady();
    },
  };
}

interface Topology {
  /** host:port of a service's process. */
  addr: (name: string) => string;
  /** Starts a service that runs only under a compose profile (as `docker compose --profile P up -d NAME`). */
  startProfiled: (name: string) => Promise<void>;
}

/** A write on node-1 is read on the others; `flags` are the CLI's (TLS and token for the secure variant). */
async function replicates(addr: (name: string) => string, flags: string[] = []): Promise<void> {
  const status = await runJson<{ members: { id: string; address: string }[] }>(['--node', addr('node-1'), ...flags, 'cluster', 'status']);
  const names = ['node-1', 'node-2', 'node-3'];
  expect(status.json.members.map((m) => `${m.id}=${m.address}`).sort()).toEqual(names.map((n) => `${n}=${addr(n)}`));
  expect((await runCli(['--node', addr('node-1'), ...flags, 'put', 'compose-key', 'from node-1', '--w', '3'])).code).toBe(0);
  for (const name of ['node-2', 'node-3']) {
    const got = await runJson<{ values: string[] }>(['--node', addr(name), ...flags, 'get', 'compose-key', '--r', '1']);
    expect(got.code).toBe(0);
    expect(got.json.values).toEqual(['from node-1']);
  }
}

it('runs the compose topology as processes and replicates a write to every node; node-4 (profile grow) joins with --seeds only', async () => {
  const { addr, startProfiled } = await runTopology(['docker-compose.yml'], 11);
  await replicates(addr);
  await startProfiled('node-4');
  // --auto-join: the claimant stages and commits the join, and node-4 ends up owning partitions.
  const deadline = Date.now() + 90_000;
  let owned = 0;
  while (Date.now() < deadline) {
    const ring = await runJson<{ ownership: { nodeId: string; partitions: number }[] }>(['--node', addr('node-4'), 'cluster', 'ring']);
    owned = ring.json.ownership.find((o) => o.nodeId === 'node-4')?.partitions ?? 0;
    if (owned > 0) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  expect(owned).toBeGreaterThan(0);
  const got = await runJson<{ values: string[] }>(['--node', addr('node-4'), 'get', 'compose-key', '--r', '2']);
  expect(got.json.values).toEqual(['from node-1']);
}, 150_000);

it('runs the secure variant (certs from `quorumkv certs create`) as processes: TLS, mutual TLS, tokens', async () => {
  dataRoot ||= mkdtempSync(join(tmpdir(), 'qkv-compose-'));
  const certs = join(dataRoot, 'certs');
  const hosts = ['localhost', '127.0.0.21', '127.0.0.22', '127.0.0.23'];
  expect((await runCli(['certs', 'create', '--out', certs, '--hosts', hosts.join(',')])).code).toBe(0);
  const ca = join(certs, 'ca.pem');
  const { addr } = await runTopology(['docker-compose.yml', 'docker-compose.secure.yml'], 21, { subst: (a) => a.replace(/^\/certs\//, `${certs}/`), ca: readFileSync(ca, 'utf8') });
  const token = readFileSync(join(certs, 'admin.token'), 'utf8').trim();
  await replicates(addr, ['--ca', ca, '--token', token]);
  // Without a token the same cluster refuses.
  const refused = await runCli(['--node', addr('node-1'), '--ca', ca, 'get', 'compose-key']);
  expect(refused.code).toBe(4);
}, 60_000);
