// A node's security settings made usable: the PEM files read (an unreadable one stops the start,
// naming its setting), the token file loaded and followed, and the access policy they imply.
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import { isIP } from 'node:net';
import type { ServerConfig } from '../config/config-schema.js';
import type { ServerTls } from '../http/http-server.js';
import type { PeerTls } from '../replication/peer-pool.js';
import { callerOf, type AccessPolicy, type Caller } from './access-policy.js';
import { FollowedFile } from './followed-file.js';
import { parseGossipKeys, type GossipKeyring } from './gossip-keys.js';
import { parseTokenFile, type TokenGrant } from './token-file.js';

type Log = (msg: string, fields: Record<string, unknown>) => void;

/** A security setting that cannot be used (a file that cannot be read or parsed); names the setting. */
export class SecuritySettingError extends Error {
  override readonly name = 'SecuritySettingError';
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
  }
}

export interface NodeSecurity {
  /** TLS of the node's port; undefined for plaintext. */
  readonly serverTls: ServerTls | undefined;
  /** What the node shows and trusts when it dials peers; undefined for plaintext. */
  readonly peerTls: PeerTls | undefined;
  readonly policy: AccessPolicy;
  /** The client tokens in force, by SHA-256, followed from the token file. */
  readonly tokens: FollowedFile<Map<string, TokenGrant>> | undefined;
  /** The gossip keys in force, followed from the key file; undefined when gossip is not authenticated. */
  readonly gossipKeys: FollowedFile<GossipKeyring> | undefined;
  callerOf(req: IncomingMessage | Http2ServerRequest): Caller;
  /** Starts following the token and key files. */
  watch(): void;
  stop(): void;
}

function readPem(field: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new SecuritySettingError(field, `cannot read ${path}: ${(err as Error).message}`);
  }
}

/** Reads the security settings of `c`. Throws {@link SecuritySettingError}. */
export function loadSecurity(c: ServerConfig, log: { warn: Log; info: Log }): NodeSecurity {
  let serverTls: ServerTls | undefined;
  let peerTls: PeerTls | undefined;
  if (c.tlsCert !== undefined && c.tlsKey !== undefined) {
    const cert = readPem('tlsCert', c.tlsCert);
    const key = readPem('tlsKey', c.tlsKey);
    const ca = c.tlsCa === undefined ? undefined : readPem('tlsCa', c.tlsCa);
    serverTls = { cert, key, ...(ca ? { ca } : {}) };
    // With a cluster CA a node presents its certificate to peers and trusts only that CA; without,
    // it dials peers over TLS trusting the system's CAs.
    peerTls = ca ? { ca, cert, key } : {};
  }
  const tokens = follow('tokenFile', c.tokenFile, 'token file', parseTokenFile, log);
  const gossipKeys = follow('gossipKeyFile', c.gossipKeyFile, 'gossip key file', parseGossipKeys, log);
  const source = tokens && { grants: () => tokens.current, now: Date.now };
  const files = [tokens, gossipKeys];
  return {
    serverTls,
    peerTls,
    tokens,
    gossipKeys,
    policy: { membersOnly: c.tlsCa !== undefined, tokensRequired: tokens !== undefined },
    callerOf: (req) => callerOf(req, source),
    watch: () => files.forEach((f) => f?.watch()),
    stop: () => files.forEach((f) => f?.stop()),
  };
}

/** The followed file of setting `field`, when it is set. Throws {@link SecuritySettingError}. */
function follow<T>(field: string, path: string | undefined, what: string, parse: (text: string) => T, log: { warn: Log; info: Log }): FollowedFile<T> | undefined {
  if (path === undefined) return undefined;
  try {
    return new FollowedFile({ path, parse, what, warn: log.warn, info: log.info });
  } catch (err) {
    throw new SecuritySettingError(field, (err as Error).message);
  }
}

/** Whether `host` is a loopback address (or name): plaintext there reaches no one else. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}
