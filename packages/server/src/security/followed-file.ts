// A settings file a node follows without a restart (client tokens, gossip keys): read at start (a
// file that cannot be used stops the start), then polled (stat, every `pollMs`) so an edit, a
// replacement by rename, or a config-management tool's write is seen within a second. A new
// version that does not parse is refused with a warning and the one in force stays: a typo must
// not lock everyone out (or let everyone in).
import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';

export interface FollowedFileOptions<T> {
  path: string;
  /** What the file's text means; throws when it cannot be used. */
  parse: (text: string) => T;
  /** What to log about it (`what` names it in messages, e.g. "token file"). */
  what: string;
  pollMs?: number;
  warn: (msg: string, fields: Record<string, unknown>) => void;
  info: (msg: string, fields: Record<string, unknown>) => void;
}

export class FollowedFile<T> {
  private value: T;
  private watching = false;

  /** Reads and parses the file; throws what `parse` (or the read) throws. */
  constructor(private readonly o: FollowedFileOptions<T>) {
    this.value = o.parse(readFileSync(o.path, 'utf8'));
  }

  /** The version in force. */
  get current(): T {
    return this.value;
  }

  /** Starts following changes of the file. */
  watch(): void {
    if (this.watching) return;
    this.watching = true;
    watchFile(this.o.path, { interval: this.o.pollMs ?? 500, persistent: false }, (cur: Stats, prev: Stats) => {
      if (cur.mtimeMs !== prev.mtimeMs || cur.size !== prev.size || cur.ino !== prev.ino) this.reload();
    });
  }

  /** Reads the file again now. */
  reload(): void {
    try {
      this.value = this.o.parse(readFileSync(this.o.path, 'utf8'));
      this.o.info(`${this.o.what} reloaded`, { path: this.o.path });
    } catch (err) {
      this.o.warn(`${this.o.what} not reloaded: keeping the one in force`, { path: this.o.path, error: (err as Error).message });
    }
  }

  stop(): void {
    if (this.watching) unwatchFile(this.o.path);
    this.watching = false;
  }
}
