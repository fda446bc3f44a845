// A scripted in-memory cluster for the SDK's unit tests: each fake node answers every unary call by
// a script (a message or a thrown error), and every call is recorded as "<node> <Method>".
import { create, type DescMessage } from '@bufbuild/protobuf';
import { Code, ConnectError, type Transport } from '@connectrpc/connect';
import { GetResponseSchema, GetRoutingResponseSchema, PutResponseSchema } from '@quorumkv/protocol';
import { createRing, encodeRing, type Ring } from '@quorumkv/ring';
import type { TransportFactory } from '../transport.js';

/** How a fake node answers: `timeoutMs` is the deadline the SDK gave the call. */
export type Script = (method: string, input: Record<string, unknown>, signal: AbortSignal | undefined, timeoutMs: number | undefined) => Promise<unknown>;

/** A Connect error caused by a system error with this code (ECONNREFUSED, ECONNRESET...). */
export const sysErr = (code: string): ConnectError =>
  new ConnectError(code, code === 'ECONNREFUSED' ? Code.Unavailable : Code.Aborted, undefined, undefined, Object.assign(new Error(code), { code }));

/** Answers every call successfully (a Put with a context, a Get with nothing found). */
export const ok: Script = async (method) =>
  method === 'Put' ? create(PutResponseSchema, { context: new Uint8Array([1]) }) : create(GetResponseSchema, { found: false });

/** Never answers; fails only when the SDK aborts the call or its deadline passes. */
export const silent: Script = (_m, _i, signal, timeoutMs) =>
  new Promise((_resolve, reject) => {
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => reject(new ConnectError('deadline exceeded', Code.DeadlineExceeded)), timeoutMs);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new ConnectError('aborted', Code.Canceled));
    });
  });

/** A ring of the given addresses (node ids are the addresses), and a GetRouting answer carrying it. */
export function fakeRing(addresses: readonly string[]): { ring: Ring; routing: () => unknown } {
  const ring = createRing({ partitionCount: 16, nodes: addresses.map((a) => ({ id: a, address: a })) });
  return { ring, routing: () => create(GetRoutingResponseSchema, { ring: { encoded: encodeRing(ring), defaultN: 3, version: BigInt(ring.version) } }) };
}

/** A transport factory whose nodes answer by `scripts` (keyed by host:port); `calls` records every call. */
export function fakeCluster(scripts: Record<string, Script>): { factory: TransportFactory; calls: string[] } {
  const calls: string[] = [];
  const factory: TransportFactory = (baseUrl) => {
    const node = baseUrl.replace('http://', '');
    const transport = {
      async unary(method: { name: string; output: DescMessage }, signal: AbortSignal | undefined, timeoutMs: number | undefined, _h: unknown, input: Record<string, unknown>) {
        calls.push(`${node} ${method.name}`);
        const message = await scripts[node]!(method.name, input, signal, timeoutMs);
        return { stream: false, method, service: {}, header: new Headers(), trailer: new Headers(), message };
      },
      stream() {
        throw new Error('no streams here');
      },
    } as unknown as Transport;
    return { transport, close: () => undefined };
  };
  return { factory, calls };
}
