// The clients: each a process of the history, issuing one operation at a time through the real SDK
// (routing by the ring, straight to the nodes, not through the fault proxies) and recording what it
// asked and what it was told. Keys, values and pauses come from the client's own seeded generator.
import { InvalidArgumentError, LimitExceededError, PermissionDeniedError, UnauthenticatedError, bytesToString, type QuorumKvClient } from '@quorumkv/client';
import type { Operation, Outcome, Workload } from './history.js';
import type { SeededRandom } from '@quorumkv/harness';
import { decodeSet, encodeSet } from './checkers/set-checker.js';

/** Buckets of the workloads: the set and register live in a siblings bucket, `lww` in an LWW one. */
export const BUCKET_OF: Readonly<Record<Workload, string>> = { set: 'jepsen-set', register: 'jepsen-register', lww: 'jepsen-lww' };
/** Keys per workload: few, so that clients collide on them. */
export const KEYS_PER_WORKLOAD = 6;

export const keyOf = (workload: Workload, index: number): string => `${workload}-${index}`;

/** Options of {@link runClient}. */
export interface ClientLoopOptions {
  readonly process: number;
  readonly workload: Workload;
  readonly client: QuorumKvClient;
  readonly random: SeededRandom;
  /** Ms since the run started. */
  readonly now: () => number;
  /** Stop issuing operations once this returns true. */
  readonly stop: () => boolean;
  readonly record: (op: Operation) => void;
  /** R of the reads; default the bucket's. */
  readonly readR?: number;
  /** Pause between operations, ms. Default [0, 40]. */
  readonly thinkMs?: readonly [number, number];
}

/** Errors the node raised before any replica could store the write: the operation certainly failed. */
const definite = (err: unknown): boolean =>
  err instanceof InvalidArgumentError || err instanceof PermissionDeniedError || err instanceof UnauthenticatedError || err instanceof LimitExceededError;

const describe = (err: unknown): string => (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 300);

/** Runs one client until `stop()`; each operation is a read then a write carrying the read's context. */
export async function runClient(o: ClientLoopOptions): Promise<void> {
  const [thinkMin, thinkMax] = o.thinkMs ?? [0, 40];
  const bucket = BUCKET_OF[o.workload];
  for (let seq = 0; !o.stop(); seq++) {
    const key = keyOf(o.workload, o.random.int(0, KEYS_PER_WORKLOAD - 1));
    const value = `p${o.process}-${seq}`;
    // Register writes are sometimes blind (no context): they supersede nothing.
    const blind = o.workload === 'register' && o.random.chance(0.2);
    const think = o.random.int(thinkMin, thinkMax);
    const invokeMs = o.now();
    const finish = (outcome: Outcome, rest: Partial<Operation>): void =>
      o.record({ process: o.process, workload: o.workload, key, value, saw: [], invokeMs, completeMs: o.now(), outcome, ...rest });
    let read: { values: string[]; context: Uint8Array | undefined };
    try {
      read = blind ? { values: [], context: undefined } : await readKey(o.client, key, bucket, o.readR);
    } catch (err) {
      finish('fail', { error: `read: ${describe(err)}` }); // nothing was written
      await sleep(think);
      continue;
    }
    const readCompleteMs = blind ? undefined : o.now();
    const register = o.workload === 'register';
    const saw = register ? read.values : [];
    const readFacts = readCompleteMs !== undefined ? { readCompleteMs } : {};
    const next = register ? value : encodeSet(new Set([...decodeSet(read.values), value]));
    try {
      const res = await o.client.put(key, next, { bucket, ...(read.context ? { context: read.context } : {}) });
      finish('ok', { saw, ...readFacts, context: Buffer.from(res.context).toString('base64'), lwwLost: res.receipt.lwwLost });
    } catch (err) {
      finish(definite(err) ? 'fail' : 'info', { saw, ...readFacts, error: describe(err) });
    }
    await sleep(think);
  }
}

async function readKey(client: QuorumKvClient, key: string, bucket: string, r: number | undefined): Promise<{ values: string[]; context: Uint8Array | undefined }> {
  const res = await client.get(key, { bucket, resolve: null, ...(r !== undefined ? { r } : {}) });
  return { values: res.values.map((v) => bytesToString(v)), context: res.context.length > 0 ? res.context : undefined };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
