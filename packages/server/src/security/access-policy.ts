// Who may call what. A caller is a cluster member (its TLS client certificate was signed by the
// cluster CA), a client with a bearer token, or anonymous. Internal services (replica traffic,
// gossip, a replica's raw record) are for members only once mutual TLS is on; data and admin
// methods need a token with the matching scope once a token file is configured (a bucket's
// properties are data clients' to read: the SDK routes with them). Members may call
// everything: a node forwards client requests and asks peers for their status.
import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { createContextKey } from '@connectrpc/connect';
import { NodeIdentityMismatchError, NodePermissionDeniedError, NodeUnauthenticatedError, type NodeError } from '../errors/errors.js';
import { isLive, tokenDigest, type Scope, type TokenGrant } from './token-file.js';

/** Who sent a request. */
export type Caller =
  | {
      readonly kind: 'member';
      /** The node its certificate names (the subject's common name, as `certs create` writes it). */
      readonly node?: string;
    }
  | {
      readonly kind: 'token';
      /** The grant when the request came in. */
      readonly grant: TokenGrant;
      /**
       * The token's grant in force now, or undefined once it is not accepted (removed from a
       * reloaded file, expired): a stream outlives the file version its caller was checked against.
       */
      readonly current: () => TokenGrant | undefined;
    }
  /** Sent a token the node does not accept (unknown, expired, malformed). */
  | { readonly kind: 'bad-token' }
  | { readonly kind: 'anonymous' };

/**
 * What a method requires of its caller. `data` (read or write) opens a Session: each of its
 * operations is then checked for its own scope, so a write-only client can stream writes.
 */
export type Requirement = 'member' | Scope | 'data' | 'open';

/** Which of the checks are on. */
export interface AccessPolicy {
  /** Mutual TLS is on: internal services only for members. */
  readonly membersOnly: boolean;
  /** A token file is configured: data and admin methods need a token. */
  readonly tokensRequired: boolean;
}

/** The caller of a request, set for every request before it is handled. */
export const callerKey = createContextKey<Caller>({ kind: 'anonymous' }, { description: 'quorumkv: who sent the request' });

const INTERNAL_SERVICES = new Set(['quorumkv.v1.ReplicaService', 'quorumkv.v1.MembershipService']);
const WRITE_METHODS = new Set(['Put', 'Delete']);
/** Admin methods a data client needs: the SDK routes with a bucket's n. */
const READ_ADMIN_METHODS = new Set(['GetBucket']);

/** What the method at `path` (`/package.Service/Method`) requires; paths that are not RPCs are open. */
export function requirementOf(path: string): Requirement {
  const m = /^\/([^/]+)\/([^/?]+)/.exec(path);
  if (!m) return 'open';
  const [, service = '', method = ''] = m;
  if (INTERNAL_SERVICES.has(service)) return 'member';
  if (service === 'quorumkv.v1.AdminService') return method === 'LocalGet' ? 'member' : READ_ADMIN_METHODS.has(method) ? 'read' : 'admin';
  if (service === 'quorumkv.v1.KvService') return method === 'Session' ? 'data' : WRITE_METHODS.has(method) ? 'write' : 'read';
  return 'open';
}

/** Why `caller` may not do what `need` asks, or undefined when it may. */
export function refusalOf(need: Requirement, caller: Caller, policy: AccessPolicy): NodeError | undefined {
  if (need === 'open' || caller.kind === 'member') return undefined;
  if (need === 'member') return policy.membersOnly ? new NodeUnauthenticatedError() : undefined;
  if (!policy.tokensRequired) return undefined;
  if (caller.kind !== 'token') return new NodeUnauthenticatedError();
  const { scopes } = caller.grant;
  if (need === 'data') return scopes.has('read') || scopes.has('write') ? undefined : new NodePermissionDeniedError('the token has neither the read nor the write scope');
  if (!scopes.has(need)) return new NodePermissionDeniedError(`the token has no ${need} scope`);
  return undefined;
}

/** Why `caller` may not touch `bucket` (a token restricted to other buckets), or undefined. */
export function bucketRefusalOf(caller: Caller, bucket: string): NodeError | undefined {
  if (caller.kind !== 'token' || caller.grant.buckets === undefined) return undefined;
  return caller.grant.buckets.has(bucket || 'default') ? undefined : new NodePermissionDeniedError('the token is not for this bucket');
}

/** Whether a caller may do `need` on `bucket`: the scope, then the bucket (what a data operation checks). */
export type Permit = (caller: Caller, need: Scope, bucket: string) => NodeError | undefined;

/** The {@link Permit} of a policy: a token caller is checked with its grant in force now. */
export function permitOf(policy: AccessPolicy): Permit {
  return (caller, need, bucket) => {
    const now = callerNow(caller);
    return refusalOf(need, now, policy) ?? bucketRefusalOf(now, bucket);
  };
}

const BAD_TOKEN: Caller = { kind: 'bad-token' };

/** `caller` with its token's grant in force now (a bad token once the grant is gone). */
export function callerNow(caller: Caller): Caller {
  if (caller.kind !== 'token') return caller;
  const grant = caller.current();
  return grant === undefined ? BAD_TOKEN : grant === caller.grant ? caller : { ...caller, grant };
}

/** The client tokens in force, as {@link callerOf} reads them. */
export interface TokenSource {
  /** The grants by digest; a new map after every reload of the token file. */
  grants(): ReadonlyMap<string, TokenGrant>;
  /** Wall-clock time, ms since the epoch (tokens expire). */
  now(): number;
}

/**
 * The grant of `token` in force at each call. The digest is looked up again only when the file was
 * reloaded, so a stream that checks every operation pays a map comparison, not a hash.
 */
function currentGrant(tokens: TokenSource, token: string): () => TokenGrant | undefined {
  let seen: ReadonlyMap<string, TokenGrant> | undefined;
  let found: TokenGrant | undefined;
  return () => {
    const grants = tokens.grants();
    if (grants !== seen) {
      seen = grants;
      found = grants.get(tokenDigest(token));
    }
    return found !== undefined && isLive(found, tokens.now()) ? found : undefined;
  };
}

/**
 * Why a message that claims to come from node `claimed` is refused from `caller`: a member whose
 * certificate names another node. Undefined when it may (every other caller is judged by the
 * policy; with mutual TLS off nobody can be checked).
 */
export function claimRefusalOf(caller: Caller, claimed: string): NodeError | undefined {
  return caller.kind === 'member' && caller.node !== undefined && caller.node !== claimed ? new NodeIdentityMismatchError() : undefined;
}

/** The common name of a peer certificate's subject (Node gives a repeated one as an array). */
function commonName(cert: PeerCertificate | undefined): string | undefined {
  const cn = (cert?.subject as Record<string, string | string[]> | undefined)?.['CN'];
  return Array.isArray(cn) ? cn[0] : cn;
}

/** Reads the caller off a request: its TLS client certificate, else its bearer token. */
export function callerOf(req: IncomingMessage | Http2ServerRequest, tokens: TokenSource | undefined): Caller {
  const socket = req.socket as TLSSocket | undefined;
  if (socket?.authorized === true) {
    const node = commonName(socket.getPeerCertificate());
    return node === undefined ? { kind: 'member' } : { kind: 'member', node };
  }
  const auth = req.headers['authorization'];
  if (typeof auth !== 'string') return { kind: 'anonymous' };
  const m = /^Bearer ([!-~]{1,512})$/i.exec(auth.trim());
  if (!m || !tokens) return BAD_TOKEN;
  const current = currentGrant(tokens, m[1]!);
  const grant = current();
  return grant ? { kind: 'token', grant, current } : BAD_TOKEN;
}
