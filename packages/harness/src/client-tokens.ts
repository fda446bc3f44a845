// Client bearer tokens and the token file a node reads (`--token-file`): what `quorumkv certs
// create`, `quorumkv dev --secure` and tests hand out. The file keeps only each token's SHA-256, so
// it can be copied to every node without spreading the tokens themselves.
import { createHash, randomBytes } from 'node:crypto';

/** A token to issue. */
export interface TokenSpec {
  /** Names the token in the file and in the node's logs. */
  readonly name: string;
  readonly scopes: readonly ('read' | 'write' | 'admin')[];
  /** Restrict it to these buckets. */
  readonly buckets?: readonly string[];
  /** ISO 8601 expiry. */
  readonly expiresAt?: string;
  /** The token itself; default a new random one (`qkv_` and 32 base64url characters). */
  readonly token?: string;
}

/** What {@link issueTokens} returns. */
export interface IssuedTokens {
  /** The token file's text (JSON), for every node's `--token-file`. */
  readonly fileText: string;
  /** Name → the token, to hand to its client (never stored in the file). */
  readonly tokens: Readonly<Record<string, string>>;
}

/** The SHA-256 (hex) a token is listed under in the token file. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Makes tokens and the token file that grants them. */
export function issueTokens(specs: readonly TokenSpec[]): IssuedTokens {
  const tokens: Record<string, string> = {};
  const entries = specs.map(({ token, ...grant }) => {
    const secret = token ?? `qkv_${randomBytes(24).toString('base64url')}`;
    tokens[grant.name] = secret;
    return { ...grant, sha256: tokenDigest(secret) };
  });
  return { fileText: `${JSON.stringify({ tokens: entries }, null, 2)}\n`, tokens };
}

/** A new gossip key file's text: one random 32-byte key (base64), the primary. */
export function newGossipKeyFile(): string {
  return `${randomBytes(32).toString('base64')}\n`;
}
