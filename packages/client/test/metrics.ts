// Reads counters from the nodes' Prometheus /metrics.

/** Sum of every sample of `name` (all label sets) on one node. */
export async function counter(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+([0-9.eE+-]+)`).exec(line);
    if (m) sum += Number(m[1]);
  }
  return sum;
}

/** Sum of `name` over every node. */
export async function clusterCounter(urls: readonly string[], name: string): Promise<number> {
  const values = await Promise.all(urls.map((u) => counter(u, name)));
  return values.reduce((a, b) => a + b, 0);
}
