import type { HandoffInfo } from '@quorumkv/client/node';
import { describeUnsettled, membershipVerdictLine, type NodeMembershipView } from './membership-diagnosis.js';

const handoff = (over: Partial<HandoffInfo>): HandoffInfo => ({
  partition: 1,
  fromNode: 'n2',
  toNode: 'n6',
  sent: 0,
  total: 10,
  bytesSent: 0,
  bytesTotal: 100,
  state: 'queued',
  elapsedMs: 0,
  error: '',
  retryInMs: 0,
  ...over,
});

function member(id: string, over: Partial<NodeMembershipView> = {}): NodeMembershipView {
  return {
    id,
    address: `${id}:1`,
    role: 'member',
    running: true,
    status: { ringVersion: 29, ringChecksum: 'c', claimant: 'n1', ready: true, uptimeMs: 1, aliveCount: 5, memberCount: 6, handoffs: [] },
    ring: { version: 29, checksum: 'c', nodes: ['n1:active', 'n2:active', 'n6:joining'], transition: { since: 25, pendingPartitions: 2, remaining: [{ partition: 1, toNode: 'n6', sources: ['n2', 'n3'] }, { partition: 2, toNode: 'n6', sources: ['n3'] }] } },
    ...over,
  };
}

describe('membership diagnosis', () => {
  it('names the copies left, what their senders say, a ring node that is no member, and a leaver still running', () => {
    const views = [
      member('n1'),
      member('n2', { status: { ...member('n2').status!, handoffs: [handoff({ state: 'retrying', error: 'n6 unavailable: connect ECONNREFUSED', retryInMs: 20_000 })] } }),
      { id: 'n4', address: 'n4:1', role: 'departed' as const, running: true },
    ];
    const line = describeUnsettled(views, ['n1', 'n2']);
    expect(line).toBe(
      'left but still running: n4; ring v29 names n1:active,n2:active,n6:joining; not members: n6; claimant n1; ring v29 (n1) in transition since v25, 2 partitions pending, 2 copies left: ' +
        '1>n6 from [n2,n3]: n2 retrying in 20 s after "n6 unavailable: connect ECONNREFUSED"; 2>n6 from [n3]: no node sends it',
    );
  });

  it('says which members hold other rings, and which answer none', () => {
    const views = [member('n1'), member('n2', { ring: { version: 30, checksum: 'd', nodes: ['n1:active', 'n2:active'] } }), member('n3', { running: false, ring: undefined, status: undefined, errors: ['ring: unavailable'] })];
    expect(describeUnsettled(views, ['n1', 'n2', 'n3'])).toMatch(/^no ring from n3 \(not running\); rings differ: n1 v29 n2 v30; ring v30 names n1:active,n2:active; members missing: n3; claimant n1; ring v29 \(n1\) in transition since v25/);
  });

  it('prints PASS with the seconds, FAIL with the reason', () => {
    expect(membershipVerdictLine({ verdict: 'pass', seconds: 0.12, members: ['n1', 'n2'] })).toBe('membership: PASS (settled 0.1 s after heal, members n1,n2)');
    expect(membershipVerdictLine({ verdict: 'fail', timeoutMs: 180_000, members: ['n1'], reason: 'claimant n1' })).toBe('membership: FAIL (not settled within 180 s of heal, members n1: claimant n1)');
  });
});
