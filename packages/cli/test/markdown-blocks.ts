// The fenced code blocks of a Markdown file, with their info strings (```sh no-test → lang `sh`,
// tags ['no-test']), for the README test.

/** One fenced block. */
export interface CodeBlock {
  readonly lang: string;
  readonly tags: readonly string[];
  readonly code: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
}

/** Every ``` block of `markdown`, in order. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith('```'); i++) body.push(lines[i]!);
    if (i === lines.length) throw new Error(`unclosed code block at line ${start + 1}`);
    blocks.push({ lang: open[1]!, tags: open[2]!.split(/\s+/).filter(Boolean), code: body.join('\n'), line: start + 1 });
  }
  return blocks;
}

/**
 * The output a TypeScript example promises: the trailing comment of each `console.log(...)` line,
 * e.g. `console.log(values(b)); // [ 'v1', 'v2' ]` promises the line `[ 'v1', 'v2' ]`.
 */
export function promisedOutput(code: string): string[] {
  return code
    .split('\n')
    .map((l) => /^\s*console\.log\(.*\);\s*\/\/ (.+)$/.exec(l)?.[1]?.trim())
    .filter((x): x is string => x !== undefined);
}

/** A shell block as separate commands: backslash continuations joined, comments and blanks dropped. */
export function shellCommands(code: string): string[] {
  return code
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'));
}
