// The SDK in a real browser: the web entry is bundled with esbuild, loaded by headless Debian
// Chromium (playwright-core), and does a put and a get against a real node over HTTP/1.1 (Connect
// protocol over fetch), from another origin, as a web app would.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { startCluster, type Cluster } from '@quorumkv/harness';

const here = dirname(fileURLToPath(import.meta.url));
const chromiumPath = process.env['QKV_CHROMIUM'] ?? '/usr/bin/chromium';

describe('the SDK in headless Chromium', () => {
  let cluster: Cluster;
  let page: Server;
  let browser: Browser;
  let pageUrl = '';

  beforeAll(async () => {
    if (!existsSync(chromiumPath)) throw new Error(`Chromium not found at ${chromiumPath}: apt-get install chromium (or set QKV_CHROMIUM)`);
    cluster = await startCluster({ nodes: 1, hostBase: 61 });
    const bundle = await build({
      stdin: {
        contents: `import { createClient } from '@quorumkv/client/web';
          window.quorumkvRoundTrip = async (node, key, value) => {
            const client = createClient({ nodes: [node] });
            const put = await client.putString(key, value);
            const got = await client.getString(key);
            client.close();
            return { required: put.receipt.required, found: got.found, values: got.values };
          };`,
        resolveDir: resolve(here, '..'),
        loader: 'js',
      },
      bundle: true,
      platform: 'browser',
      format: 'iife',
      write: false,
      logLevel: 'silent',
    });
    const script = bundle.outputFiles[0]!.text;
    page = createServer((req, res) => {
      if (req.url === '/sdk.js') {
        res.setHeader('content-type', 'text/javascript');
        return void res.end(script);
      }
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><title>QuorumKV SDK</title><script src="/sdk.js"></script>');
    });
    await new Promise<void>((r) => page.listen(0, '127.0.0.1', r));
    pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}/`;
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => page?.close(r));
    await cluster?.stop();
  });

  it('puts and gets through the Connect protocol over HTTP/1.1', async () => {
    const tab = await browser.newPage();
    await tab.goto(pageUrl);
    const node = cluster.nodes[0]!;
    const result = await tab.evaluate(
      ([url, key, value]) => (window as unknown as { quorumkvRoundTrip: (u: string, k: string, v: string) => Promise<unknown> }).quorumkvRoundTrip(url, key, value),
      [node.url, 'from-the-browser', 'hello from chromium'] as const,
    );
    expect(result).toEqual({ required: 1, found: true, values: ['hello from chromium'] });
    // The node saw HTTP/1.1 requests: the browser cannot speak h2c.
    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    expect(metrics).toMatch(/quorumkv_request_duration_seconds_count\{operation="put",outcome="ok"\} 1/);
  });
});
