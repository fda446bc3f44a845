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

it('is a valid compose file', () => {
  // Debian's docker-compose; `npm test` installs it (tools/system-packages).
  const res = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], { cwd: root, encoding: 'utf8' });
  expect(res.error).toBeUndefined();
  expect(res.stderr).toBe('');
  expect(res.status).toBe(0);
});

it('runs the compose topology as processes and replicates a write to every node', async () => {
  const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
  const names = Object.keys(compose.services).sort();
  expect(names).toEqual(['node-1', 'node-2', 'node-3']);
  const [program, ...entryArgs] = entrypoint();
  expect(program).toBe('quorumkv-server');

  // Hostname node-N → 127.0.0.1N, with a free port standing in for 7070.
  const hosts = new Map<string, { host: string; port: number }>();
  for (const [i, name] of names.entries()) {
    const svc = compose.services[name]!;
    expect(svc.hostname).toBe(name);
    expect(svc.ports).toEqual([`${7070 + i}:7070`]);
    expect(svc.volumes).toEqual([`./data/${name}:/data`]);
    expect(svc.healthcheck?.test.join(' ')).toContain('/readyz');
    const host = `127.0.0.${11 + i}`;
    hosts.set(name, { host, port: await freePort(host) });
  }
  dataRoot = mkdtempSync(join(tmpdir(), 'qkv-compose-'));
  const substitute = (arg: string, self: string, dataDir: string): string => {
    if (arg === '/data') return dataDir;
    const own = hosts.get(self)!;
    return arg
      .replace('0.0.0.0:7070', `${own.host}:${own.port}`)
      .replace(/node-(\d+):7070/g, (m, n: string) => {
        const h = hosts.get(`node-${n}`);
        return h ? `${h.host}:${h.port}` : m;
      });
  };

  for (const name of names) {
    const dataDir = join(dataRoot, name);
    const args = [...entryArgs, ...compose.services[name]!.command].map((a) => substitute(a, name, dataDir));
    const node = new NodeHandle({ id: name, ...hosts.get(name)!, args, dataDir });
    nodes.push(node);
    node.start();
  }
  await Promise.all(nodes.map((n) => n.waitReady()));

  const addr = (name: string): string => `${hosts.get(name)!.host}:${hosts.get(name)!.port}`;
  const status = await runJson<{ members: { id: string; address: string }[] }>(['--node', addr('node-1'), 'cluster', 'status']);
  expect(status.json.members.map((m) => `${m.id}=${m.address}`).sort()).toEqual(names.map((n) => `${n}=${addr(n)}`));

  expect((await runCli(['--node', addr('node-1'), 'put', 'compose-key', 'from node-1', '--w', '3'])).code).toBe(0);
  for (const name of ['node-2', 'node-3']) {
    const got = await runJson<{ values: string[] }>(['--node', addr(name), 'get', 'compose-key', '--r', '1']);
    expect(got.code).toBe(0);
    expect(got.json.values).toEqual(['from node-1']);
  }
}, 60_000);
