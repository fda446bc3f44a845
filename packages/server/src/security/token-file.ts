// The client token file: which bearer tokens a node accepts and what each may do. Tokens are kept as
// SHA-256 digests (a file that leaks gives nobody a token), with scopes read / write / admin, an
// optional list of buckets and an optional expiry:
//
//   { "tokens": [ { "name": "app", "sha256": "<64 hex>", "scopes": ["read", "write"],
//                   "buckets": ["users"], "expiresAt": "2027-01-01T00:00:00Z" } ] }
import { createHash } from 'node:crypto';
import { z } from 'zod';

/** What a token allows: reading data, writing data, administering the cluster. */
export type Scope = 'read' | 'write' | 'admin';

/** One accepted token, as the node keeps it. */
export interface TokenGrant {
  /** For logs: which token was used (never the token). */
  readonly name: string;
  readonly scopes: ReadonlySet<Scope>;
  /** The buckets it may touch; undefined for all. */
  readonly buckets: ReadonlySet<string> | undefined;
  /** Expiry in ms since the epoch; undefined for none. */
  readonly expiresAtMs: number | undefined;
}

const tokenFileSchema = z
  .object({
    tokens: z.array(
      z
        .object({
          name: z.string().min(1).max(128),
          sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex digits (the SHA-256 of the token)'),
          scopes: z.array(z.enum(['read', 'write', 'admin'])).min(1),
          buckets: z.array(z.string()).min(1).optional(),
          expiresAt: z.iso.datetime({ offset: true }).optional(),
        })
        .strict(),
    ),
  })
  .strict();

/** A token file that cannot be used; the message names the field. */
export class TokenFileError extends Error {
  override readonly name = 'TokenFileError';
}

/** The digest a token is kept under. */
export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Parses a token file's text into grants by digest. Throws {@link TokenFileError}. */
export function parseTokenFile(text: string): Map<string, TokenGrant> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new TokenFileError(`not JSON: ${(err as Error).message}`);
  }
  const parsed = tokenFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new TokenFileError(`${issue.path.join('.') || 'file'}: ${issue.message}`);
  }
  const grants = new Map<string, TokenGrant>();
  for (const t of parsed.data.tokens) {
    if (grants.has(t.sha256)) throw new TokenFileError(`tokens: "${t.name}" repeats another token's sha256`);
    grants.set(t.sha256, {
      name: t.name,
      scopes: new Set(t.scopes),
      buckets: t.buckets && new Set(t.buckets),
      expiresAtMs: t.expiresAt === undefined ? undefined : Date.parse(t.expiresAt),
    });
  }
  return grants;
}

/** The grant of a presented token, or undefined when it is unknown or expired at `nowMs`. */
export function grantOf(grants: ReadonlyMap<string, TokenGrant>, token: string, nowMs: number): TokenGrant | undefined {
  const grant = grants.get(tokenDigest(token));
  return grant && isLive(grant, nowMs) ? grant : undefined;
}

/** Whether `grant` has not expired at `nowMs`. */
export function isLive(grant: TokenGrant, nowMs: number): boolean {
  return grant.expiresAtMs === undefined || grant.expiresAtMs > nowMs;
}
