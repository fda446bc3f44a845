import { applyWrite, type KeyRecord } from '../record/key-record.js';
import { assessLoss } from './copy-loss.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const write = (stored: KeyRecord | undefined, actor: string, value: string, context = stored?.context): KeyRecord =>
  applyWrite(stored, context, actor, { tombstone: false, value: enc(value), timestampMs: 1, expiresAtMs: 0 }, false);

describe('assessLoss', () => {
  const v1 = write(undefined, 'a', 'v1'); // v1 @ a:1
  const v2 = write(v1, 'a', 'v2'); // v2 @ a:2 supersedes v1
  const dots: [string, string][] = [
    ['v1', 'a:1'],
    ['v2', 'a:2'],
  ];

  it('finds values whose last copy is lost, counting hints and other nodes as copies', () => {
    expect(assessLoss([v1], [], dots)).toMatchObject({ lost: ['v1'], revivable: [], held: ['v1'] });
    expect(assessLoss([v1], [v1], dots)).toMatchObject({ lost: [], revivable: [] });
    // The remaining copy knows v1 only as superseded: v1 is gone, and that is what v2 wanted.
    expect(assessLoss([v1], [v2], dots)).toMatchObject({ lost: ['v1'], revivable: [] });
  });

  it('finds superseded values that no remaining record knows to be superseded', () => {
    expect(assessLoss([v2], [v1], dots)).toEqual({ lost: ['v2'], revivable: ['v1'], held: ['v2'], superseded: ['v1'] });
    expect(assessLoss([v2], [v1, v2], dots)).toMatchObject({ lost: [], revivable: [] });
  });
});
