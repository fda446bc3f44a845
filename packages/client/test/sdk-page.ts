// The SDK's web entry in a real browser: bundled with esbuild, served from its own origin, loaded by
// headless Debian Chromium (playwright-core). The tests that call a node from the browser share it.
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const chromiumPath = process.env['QKV_CHROMIUM'] ?? '/usr/bin/chromium';

/** A page serving the bundled SDK, and the browser that loads it. */
export interface SdkPage {
  /** The page's address (http://127.0.0.1:port/): an origin other than any node's. */
  readonly url: string;
  readonly browser: Browser;
  close(): Promise<void>;
}

/**
 * Bundles `script` (browser JavaScript that imports `@quorumkv/client/web` and puts what the test
 * calls on `window`), serves it on a page, and launches Chromium with `chromiumArgs` added.
 */
export async function openSdkPage(script: string, chromiumArgs: readonly string[] = []): Promise<SdkPage> {
  if (!existsSync(chromiumPath)) throw new Error(`Chromium not found at ${chromiumPath}: apt-get install chromium (or set QKV_CHROMIUM)`);
  const bundle = await build({
    stdin: { contents: script, resolveDir: resolve(here, '..'), loader: 'js' },
    bundle: true,
    platform: 'browser',
    format: 'iife',
    write: false,
    logLevel: 'silent',
  });
  const js = bundle.outputFiles[0]!.text;
  const server: Server = createServer((req, res) => {
    if (req.url === '/sdk.js') {
      res.setHeader('content-type', 'text/javascript');
      return void res.end(js);
    }
    res.setHeader('content-type', 'text/html');
    res.end('<!doctype html><title>QuorumKV SDK</title><script src="/sdk.js"></script>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...chromiumArgs],
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    browser,
    close: async () => {
      await browser.close();
      await new Promise((r) => server.close(r));
    },
  };
}
