import { createMemoryEngine } from '@quorumkv/storage';
import { ActorIdentity, nodeOfActor } from './actor-id.js';

const engine = () => createMemoryEngine({ partitionCount: 8, partitioner: () => 0 });

describe('ActorIdentity', () => {
  it('starts a new epoch on every start, so a restarted node never re-mints an old dot', async () => {
    const storage = engine();
    const first = await ActorIdentity.start('n1', storage);
    const second = await ActorIdentity.start('n1', storage);
    expect(first.id).toBe('n1~1');
    expect(second.id).toBe('n1~2');
  });

  it('moves to a new epoch after a failed local commit, and remembers it', async () => {
    const storage = engine();
    const actor = await ActorIdentity.start('n1', storage);
    actor.bump();
    expect(actor.id).toBe('n1~2');
    await new Promise((r) => setTimeout(r, 10));
    expect((await ActorIdentity.start('n1', storage)).id).toBe('n1~3');
  });

  it('maps actors back to node ids', () => {
    expect(nodeOfActor('node-1~12')).toBe('node-1');
    expect(nodeOfActor('legacy')).toBe('legacy');
  });
});
