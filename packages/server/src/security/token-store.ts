// The tokens a node accepts, from its token file, reloaded without a restart: the file is polled
// (stat, every `pollMs`) so an edit, a replacement by rename, or a config-management tool's write is
// seen within a second. A file that no longer parses is refused with a warning and the tokens in
// force stay: a typo must not lock every client out (or let everyone in).
import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { parseTokenFile, tokenDigest, type TokenGrant } from './token-file.js';

export interface TokenStoreOptions {
  path: string;
  pollMs?: number;
  warn: (msg: string, fields: Record<string, unknown>) => void;
  info: (msg: string, fields: Record<string, unknown>) => void;
  /** Wall clock, for expiry. */
  now: () => number;
}

export class TokenStore {
  private grants: Map<string, TokenGrant>;
  private watching = false;

  /** Reads the file; throws TokenFileError (or the read error) when it cannot be used. */
  constructor(private readonly o: TokenStoreOptions) {
    this.grants = parseTokenFile(readFileSync(o.path, 'utf8'));
  }

  /** The grant of a presented token, or undefined when it is unknown or expired. */
  lookup(token: string): TokenGrant | undefined {
    const grant = this.grants.get(tokenDigest(token));
    if (!grant || (grant.expiresAtMs !== undefined && grant.expiresAtMs <= this.o.now())) return undefined;
    return grant;
  }

  /** Starts following changes of the file. */
  watch(): void {
    if (this.watching) return;
    this.watching = true;
    watchFile(this.o.path, { interval: this.o.pollMs ?? 500, persistent: false }, (cur: Stats, prev: Stats) => {
      if (cur.mtimeMs !== prev.mtimeMs || cur.size !== prev.size || cur.ino !== prev.ino) this.reload();
    });
  }

  /** Reads the file again now (also on SIGHUP). */
  reload(): void {
    try {
      this.grants = parseTokenFile(readFileSync(this.o.path, 'utf8'));
      this.o.info('token file reloaded', { path: this.o.path, tokens: this.grants.size });
    } catch (err) {
      this.o.warn('token file not reloaded: keeping the tokens in force', { path: this.o.path, error: (err as Error).message });
    }
  }

  stop(): void {
    if (this.watching) unwatchFile(this.o.path);
    this.watching = false;
  }
}
