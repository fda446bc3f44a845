import { NodePermissionDeniedError, NodeUnauthenticatedError } from '../errors/errors.js';
import type { IncomingMessage } from 'node:http';
import { bucketRefusalOf, callerOf, permitOf, refusalOf, requirementOf, type AccessPolicy, type Caller } from './access-policy.js';
import { tokenDigest, type Scope, type TokenGrant } from './token-file.js';

const token = (scopes: Scope[], buckets?: string[]): Caller => {
  const grant: TokenGrant = { name: 't', scopes: new Set(scopes), buckets: buckets && new Set(buckets), expiresAtMs: undefined };
  return { kind: 'token', grant, current: () => grant };
};
const secure: AccessPolicy = { membersOnly: true, tokensRequired: true };

describe('access policy', () => {
  it('names what each method requires: internal services for members, admin for AdminService, write for Put and Delete', () => {
    const table = Object.fromEntries(
      [
        '/quorumkv.v1.ReplicaService/Replicate',
        '/quorumkv.v1.ReplicaService/Apply',
        '/quorumkv.v1.MembershipService/PushPull',
        '/quorumkv.v1.AdminService/LocalGet',
        '/quorumkv.v1.AdminService/CreateBucket',
        '/quorumkv.v1.AdminService/Status',
        '/quorumkv.v1.AdminService/GetBucket',
        '/quorumkv.v1.KvService/Put',
        '/quorumkv.v1.KvService/Delete',
        '/quorumkv.v1.KvService/Get',
        '/quorumkv.v1.KvService/Session',
        '/quorumkv.v1.KvService/GetRouting',
        '/metrics',
        '/healthz',
      ].map((p) => [p, requirementOf(p)]),
    );
    expect(table).toEqual({
      '/quorumkv.v1.ReplicaService/Replicate': 'member',
      '/quorumkv.v1.ReplicaService/Apply': 'member',
      '/quorumkv.v1.MembershipService/PushPull': 'member',
      '/quorumkv.v1.AdminService/LocalGet': 'member',
      '/quorumkv.v1.AdminService/CreateBucket': 'admin',
      '/quorumkv.v1.AdminService/Status': 'admin',
      '/quorumkv.v1.AdminService/GetBucket': 'read',
      '/quorumkv.v1.KvService/Put': 'write',
      '/quorumkv.v1.KvService/Delete': 'write',
      '/quorumkv.v1.KvService/Get': 'read',
      '/quorumkv.v1.KvService/Session': 'data',
      '/quorumkv.v1.KvService/GetRouting': 'read',
      '/metrics': 'open',
      '/healthz': 'open',
    });
  });

  it('with security on: members pass, a missing or bad token is unauthenticated, a token without the scope is denied', () => {
    expect(refusalOf('member', { kind: 'member' }, secure)).toBeUndefined();
    expect(refusalOf('admin', { kind: 'member' }, secure)).toBeUndefined();
    expect(refusalOf('member', token(['read', 'write', 'admin']), secure)).toBeInstanceOf(NodeUnauthenticatedError);
    expect(refusalOf('read', { kind: 'anonymous' }, secure)).toBeInstanceOf(NodeUnauthenticatedError);
    expect(refusalOf('read', { kind: 'bad-token' }, secure)).toBeInstanceOf(NodeUnauthenticatedError);
    expect(refusalOf('write', token(['read']), secure)).toBeInstanceOf(NodePermissionDeniedError);
    expect(refusalOf('admin', token(['read', 'write']), secure)).toBeInstanceOf(NodePermissionDeniedError);
    expect(refusalOf('write', token(['write']), secure)).toBeUndefined();
    expect(refusalOf('open', { kind: 'bad-token' }, secure)).toBeUndefined();
    // A Session is opened with read or write (each operation is checked for its own scope after).
    expect(refusalOf('data', token(['write']), secure)).toBeUndefined();
    expect(refusalOf('data', token(['read']), secure)).toBeUndefined();
    expect(refusalOf('data', token(['admin']), secure)).toBeInstanceOf(NodePermissionDeniedError);
    expect(refusalOf('data', { kind: 'anonymous' }, secure)).toBeInstanceOf(NodeUnauthenticatedError);
  });

  it('with security off (the quick start) nobody is refused; tokens alone do not close internal services', () => {
    const open: AccessPolicy = { membersOnly: false, tokensRequired: false };
    for (const need of ['member', 'read', 'write', 'admin'] as const) expect(refusalOf(need, { kind: 'anonymous' }, open)).toBeUndefined();
    expect(refusalOf('member', { kind: 'anonymous' }, { membersOnly: false, tokensRequired: true })).toBeUndefined();
    expect(refusalOf('read', { kind: 'anonymous' }, { membersOnly: true, tokensRequired: false })).toBeUndefined();
  });

  it('a bucket-restricted token touches only its buckets ("" is default)', () => {
    expect(bucketRefusalOf(token(['read'], ['users']), 'users')).toBeUndefined();
    expect(bucketRefusalOf(token(['read'], ['users']), 'orders')).toBeInstanceOf(NodePermissionDeniedError);
    expect(bucketRefusalOf(token(['read'], ['default']), '')).toBeUndefined();
    expect(bucketRefusalOf(token(['read']), 'anything')).toBeUndefined();
    expect(bucketRefusalOf({ kind: 'member' }, 'anything')).toBeUndefined();
  });

  it('checks a token caller against the tokens in force at each operation: a reload that drops it, or its expiry, ends what it may do', () => {
    const grant = (name: string, expiresAt?: number): TokenGrant => ({ name, scopes: new Set<Scope>(['read', 'write']), buckets: undefined, expiresAtMs: expiresAt });
    let grants = new Map([[tokenDigest('qkv_a'), grant('a')], [tokenDigest('qkv_b'), grant('b', 1_000)]]);
    let now = 0;
    const source = { grants: () => grants, now: () => now };
    const request = (token: string) => ({ socket: {}, headers: { authorization: `Bearer ${token}` } }) as unknown as IncomingMessage;
    const permit = permitOf(secure);
    const a = callerOf(request('qkv_a'), source);
    const b = callerOf(request('qkv_b'), source);
    expect(permit(a, 'write', 'x')).toBeUndefined();
    expect(permit(b, 'write', 'x')).toBeUndefined();
    // A reload with `a` read-only, then without it.
    grants = new Map([[tokenDigest('qkv_a'), { ...grant('a'), scopes: new Set<Scope>(['read']) }], [tokenDigest('qkv_b'), grant('b', 1_000)]]);
    expect(permit(a, 'write', 'x')).toBeInstanceOf(NodePermissionDeniedError);
    expect(permit(a, 'read', 'x')).toBeUndefined();
    grants = new Map([[tokenDigest('qkv_b'), grant('b', 1_000)]]);
    expect(permit(a, 'read', 'x')).toBeInstanceOf(NodeUnauthenticatedError);
    now = 1_000;
    expect(permit(b, 'read', 'x')).toBeInstanceOf(NodeUnauthenticatedError);
    expect(callerOf(request('qkv_b'), source)).toEqual({ kind: 'bad-token' });
  });
});
