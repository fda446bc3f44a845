import { appendFileSync } from 'node:fs';

/** Where a node's output goes besides memory. */
export interface NodeLogOptions {
  /** Append every byte the process prints to this file (it survives restarts and the harness). */
  readonly file?: string;
  /** Called with each complete line. */
  readonly onLine?: (line: string) => void;
  /** Lines kept in memory for {@link NodeLog.text}. Default 400. */
  readonly keepLines?: number;
}

/** A node's stdout and stderr: the last lines in memory (for failure messages), optionally a file. */
export class NodeLog {
  private readonly lines: string[] = [];
  private partial = '';
  private readonly keep: number;

  constructor(private readonly options: NodeLogOptions = {}) {
    this.keep = options.keepLines ?? 400;
  }

  /** Takes a chunk of output. */
  write(chunk: Buffer | string): void {
    if (this.options.file) appendFileSync(this.options.file, chunk);
    const parts = (this.partial + chunk.toString()).split('\n');
    this.partial = parts.pop()!;
    for (const line of parts) this.add(line);
  }

  /** Records a line the harness itself has to say (a spawn failure, say). */
  note(line: string): void {
    this.add(line);
  }

  /** The kept lines, the unfinished last one included. */
  text(): string {
    return [...this.lines, ...(this.partial ? [this.partial] : [])].join('\n');
  }

  /** The last `n` lines, for an error message; with the log file's path when there is one. */
  tail(n = 20): string {
    const last = [...this.lines, ...(this.partial ? [this.partial] : [])].slice(-n);
    const where = this.options.file ? `\n(log: ${this.options.file})` : '';
    return last.length > 0 ? `\n${last.join('\n')}${where}` : where;
  }

  private add(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.keep) this.lines.splice(0, this.lines.length - this.keep);
    this.options.onLine?.(line);
  }
}
