// What every command needs: the global options and a client for the chosen node.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { createClient, type QuorumKvClient } from '@quorumkv/client/node';
import { toJson as toJsonText, type Output } from './output.js';

/** Default node when neither --node nor QKV_NODE is given. */
export const DEFAULT_NODE = '127.0.0.1:7070';
/** Deadline of each request when --timeout is not given. */
export const DEFAULT_TIMEOUT_MS = 5000;

/** Global options (accepted before or after the command name). */
export interface GlobalOptions {
  node: string;
  json: boolean;
  timeout: number;
  /** Bearer token sent with every request. */
  token?: string;
  /** PEM file of the CA to trust: the node is reached over TLS. */
  ca?: string;
  /** Reach the node over TLS trusting the system's CAs. */
  tls?: boolean;
}

/** Runs `fn` with a client for the node named by --node (or `node`), and closes it afterwards. */
export async function withClient<T>(cmd: Command, fn: (client: QuorumKvClient, g: GlobalOptions) => Promise<T>, node?: string): Promise<T> {
  const g = globals(cmd);
  // The CLI talks to the node it was pointed at (no routing): one call, no ring fetch first.
  const client = createClient({ nodes: [node ?? g.node], routing: false, timeoutMs: g.timeout, retry: { maxAttempts: 2 }, ...security(g) });
  try {
    return await fn(client, g);
  } finally {
    client.close();
  }
}

/** The global options as seen from any (sub)command. */
export function globals(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals<Partial<GlobalOptions>>();
  return {
    node: o.node ?? DEFAULT_NODE,
    json: o.json ?? false,
    timeout: o.timeout ?? DEFAULT_TIMEOUT_MS,
    ...(o.token ? { token: o.token } : {}),
    ...(o.ca ? { ca: o.ca } : {}),
    ...(o.tls ? { tls: true } : {}),
  };
}

/** The client's token and TLS options from the global ones (`--ca` implies TLS). */
function security(g: GlobalOptions): { token?: string; tls?: { ca?: string } } {
  const tls = g.ca ? { ca: readFileSync(g.ca, 'utf8') } : g.tls ? {} : undefined;
  return { ...(g.token ? { token: g.token } : {}), ...(tls ? { tls } : {}) };
}

/** Prints `json` with --json, else `human()`. */
export function emit(out: Output, g: GlobalOptions, json: unknown, human: () => string): void {
  out.out(g.json ? toJsonText(json) : human());
}
