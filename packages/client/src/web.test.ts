// Which scheme the browser entry calls nodes with: https with `tls`, by default when every node
// given is an https URL (the ring names nodes host:port, so the scheme cannot come per node).
import { createClient } from './web.js';

async function urlsCalled(options: { nodes: string[]; tls?: boolean }): Promise<string[]> {
  const urls: string[] = [];
  const fetch = (input: RequestInfo | URL): Promise<Response> => {
    urls.push(String(input instanceof Request ? input.url : input));
    return Promise.reject(new TypeError('Failed to fetch'));
  };
  const client = createClient({ ...options, web: { fetch }, routing: false, retry: { maxAttempts: 1 }, timeoutMs: 1000 });
  await expect(client.get('k')).rejects.toThrow();
  client.close();
  return urls.map((u) => new URL(u).origin);
}

describe('the web entry', () => {
  it('calls nodes over https when every node given is an https URL', async () => {
    expect(await urlsCalled({ nodes: ['https://127.0.0.1:7070/'] })).toEqual(['https://127.0.0.1:7070']);
  });
  it('calls nodes over http when one is not an https URL, or tls is false', async () => {
    expect(await urlsCalled({ nodes: ['127.0.0.1:7070'] })).toEqual(['http://127.0.0.1:7070']);
    const mixed = await urlsCalled({ nodes: ['https://127.0.0.1:7070', '127.0.0.2:7070'] });
    expect(mixed.filter((u) => !u.startsWith('http://'))).toEqual([]);
    expect(await urlsCalled({ nodes: ['https://127.0.0.1:7070'], tls: false })).toEqual(['http://127.0.0.1:7070']);
  });
  it('calls host:port nodes over https with tls', async () => {
    expect(await urlsCalled({ nodes: ['127.0.0.1:7070'], tls: true })).toEqual(['https://127.0.0.1:7070']);
  });
});
