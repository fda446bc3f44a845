// The SDK in a real browser: the web entry is bundled with esbuild, loaded by headless Debian
// Chromium (playwright-core), and does a put and a get against a real node over HTTP/1.1 (Connect
// protocol over fetch), from another origin, as a web app would.
import { startCluster, type Cluster } from '@quorumkv/harness';
import { openSdkPage, type SdkPage } from './sdk-page.js';

describe('the SDK in headless Chromium', () => {
  let cluster: Cluster;
  let page: SdkPage;

  beforeAll(async () => {
    cluster = await startCluster({ nodes: 1, hostBase: 61 });
    page = await openSdkPage(`import { createClient } from '@quorumkv/client/web';
      window.quorumkvRoundTrip = async (node, key, value) => {
        const client = createClient({ nodes: [node] });
        const put = await client.putString(key, value);
        const got = await client.getString(key);
        client.close();
        return { required: put.receipt.required, found: got.found, values: got.values };
      };`);
  }, 60_000);

  afterAll(async () => {
    await page?.close();
    await cluster?.stop();
  });

  it('puts and gets through the Connect protocol over HTTP/1.1', async () => {
    const tab = await page.browser.newPage();
    await tab.goto(page.url);
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
