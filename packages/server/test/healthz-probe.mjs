// Probes a node's /healthz every `intervalMs` from its own process (so the test process's own work
// never inflates what it measures) until it gets SIGTERM, then prints one JSON line: how many
// probes, their latency max and p99 (ms), and every latency in order (ms).
// Usage: node healthz-probe.mjs <url> <intervalMs>
import http from 'node:http';

const [url, intervalArg] = process.argv.slice(2);
const intervalMs = Number(intervalArg ?? 10);
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
const latencies = [];
let failures = 0;
let stopping = false;

function probe() {
  return new Promise((resolve) => {
    const started = performance.now();
    const req = http.get(`${url}/healthz`, { agent, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => {
        latencies.push(performance.now() - started);
        resolve();
      });
    });
    req.on('error', () => {
      failures++;
      resolve();
    });
  });
}

async function loop() {
  process.stdout.write('probing\n');
  while (!stopping) {
    const next = performance.now() + intervalMs;
    await probe();
    const wait = next - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  const p99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
  process.stdout.write(`${JSON.stringify({ probes: latencies.length, failures, maxMs: sorted[sorted.length - 1] ?? 0, p99Ms: p99, sortedMs: sorted })}\n`);
  agent.destroy();
}

process.on('SIGTERM', () => {
  stopping = true;
});
void loop();
