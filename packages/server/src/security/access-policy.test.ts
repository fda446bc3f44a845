import { NodePermissionDeniedError, NodeUnauthenticatedError } from '../errors/errors.js';
import { bucketRefusalOf, refusalOf, requirementOf, type AccessPolicy, type Caller } from './access-policy.js';
import type { Scope } from './token-file.js';

const token = (scopes: Scope[], buckets?: string[]): Caller => ({
  kind: 'token',
  grant: { name: 't', scopes: new Set(scopes), buckets: buckets && new Set(buckets), expiresAtMs: undefined },
});
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
      '/quorumkv.v1.KvService/Session': 'read',
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
});
