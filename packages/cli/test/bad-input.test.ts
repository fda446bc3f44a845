// Bad command lines print one clear line on stderr and exit non-zero (2 usage, 3 unreachable).
import { runCli } from './run-cli.js';

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe('bad input', () => {
  it('rejects an unknown flag', async () => {
    const r = await runCli(['get', 'k', '--bogus']);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/^error: unknown option '--bogus'/);
  });

  it('rejects an unknown command', async () => {
    const r = await runCli(['frobnicate']);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toMatch(/^error: unknown command 'frobnicate'/);
  });

  it('rejects an option without its value', async () => {
    const r = await runCli(['get', 'k', '--r']);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toBe("error: option '--r <n>' argument missing");
  });

  it('rejects a missing argument and malformed values', async () => {
    expect(oneLine((await runCli(['get'])).stderr)).toBe("error: missing required argument 'key'");
    const bad = await runCli(['put', 'k', 'v', '--ttl', 'soon']);
    expect(bad.code).toBe(2);
    expect(oneLine(bad.stderr)).toMatch(/--ttl <duration>.*must be a duration/);
    expect((await runCli(['--node', 'nowhere', 'get', 'k'])).code).toBe(2);
    expect((await runCli(['put', 'k', '--file', '/no/such/file'])).stderr).toMatch(/^error: cannot read --file/);
  });

  it('reports an unreachable node with exit code 3', async () => {
    const r = await runCli(['--node', '127.0.0.1:1', 'get', 'k']);
    expect(r.code).toBe(3);
    expect(oneLine(r.stderr)).toBe('error: get: cannot reach 127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1');
    const json = await runCli(['--node', '127.0.0.1:1', 'cluster', 'status', '--json']);
    expect(json.code).toBe(3);
    expect(json.stdout).toBe('');
  });

  it('takes the node from QKV_NODE', async () => {
    const r = await runCli(['get', 'k'], { env: { QKV_NODE: '127.0.0.1:2' } });
    expect(r.stderr).toContain('127.0.0.1:2');
  });

  it('prints help and the version with exit code 0', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes: 0 ok, 1 not found, 2 usage error');
    expect((await runCli(['--version'])).stdout.trim()).toBe('0.1.0');
  });
});
