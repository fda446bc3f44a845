// The core entry is bundled for browsers: nothing it reaches may import a Node built-in or
// connect-node. Follows the relative imports from index.ts and checks every module specifier.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function reachable(entry: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (out.has(file)) continue;
    const text = readFileSync(file, 'utf8');
    const specs = [...text.matchAll(/(?:from|import)\s+'([^']+)'/g)].map((m) => m[1]!);
    out.set(file, specs);
    for (const s of specs) if (s.startsWith('.')) queue.push(join(dirname(file), s.replace(/\.js$/, '.ts')));
  }
  return out;
}

describe('entry points', () => {
  it.each(['index.ts', 'web.ts'])('%s reaches no Node built-ins', (entry) => {
    const graph = reachable(join(here, entry));
    expect(graph.size).toBeGreaterThan(5);
    const bad = [...graph].flatMap(([file, specs]) =>
      specs.filter((s) => s.startsWith('node:') || s === '@connectrpc/connect-node').map((s) => `${file}: ${s}`),
    );
    expect(bad).toEqual([]);
  });
  it('node.ts does use the HTTP/2 transport', () => {
    const graph = reachable(join(here, 'node.ts'));
    expect([...graph.values()].flat()).toContain('@connectrpc/connect-node');
  });
});
