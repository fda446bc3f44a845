// The sequence of requests of a run, from its seed: for every method of every service (public and
// internal, unary and streaming), random-but-well-formed messages sent over each protocol the node
// speaks, and the same damaged at every layer: the message bytes, the envelope framing, the
// headers, the path, the gossip bytes inside MembershipService, and raw bytes on the TCP port.
import { toBinary, toJsonString, type DescMessage, type DescMethod, type DescService } from '@bufbuild/protobuf';
import { AdminService, encodeEnvelope, KvService, MembershipService, ReplicaService } from '@quorumkv/protocol';
import { BYTE_MUTATIONS, concat, mutateBytes, oversize } from './byte-mutations.js';
import { FuzzRandom } from './fuzz-random.js';
import { randomGossipBytes } from './gossip-messages.js';
import { MessageGenerator } from './message-generator.js';
import { rawRequest } from './raw-requests.js';

/** Every service the node serves. */
export const SERVICES: readonly DescService[] = [KvService, AdminService, ReplicaService, MembershipService];

/** The wire protocols a request is sent in. */
export type Protocol = 'connect' | 'connect-json' | 'grpc' | 'grpc-web';

/** An RPC as sent: path, headers and body bytes, over HTTP/1.1 or HTTP/2. */
export interface RpcRequest {
  readonly kind: 'rpc';
  /** `Service/Method` (short service name). */
  readonly rpc: string;
  readonly http: 'h1' | 'h2';
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

/** Bytes written straight to the node's TCP port. */
export interface RawRequest {
  readonly kind: 'raw';
  readonly rpc: 'raw-tcp';
  readonly bytes: Uint8Array;
}

/** One request of a run. */
export type FuzzRequest = (RpcRequest | RawRequest) & {
  /** Position in the run. */
  readonly index: number;
  /** Which node it goes to (index into the run's nodes). */
  readonly node: number;
  /** What was done to it: `well-formed`, `bytes:truncate`, `envelope:bad-flags`, ... */
  readonly shape: string;
};

/** What a generator needs to know about the cluster it targets. */
export interface RequestGeneratorOptions {
  readonly seed: number;
  /** How many nodes requests are spread over. */
  readonly nodes: number;
  /** Strings no generated field may hold (the canary bucket, real node ids). */
  readonly forbidden: ReadonlySet<string>;
  /** Loopback host where nothing listens: every address in a generated request points there. */
  readonly sinkHost: string;
  /** The cluster's id: gossip that carries it is read by the node (the rest is refused as foreign). */
  readonly clusterId: string;
  /** Bytes by which an oversized message exceeds the node's limit is drawn up to this. Default 2 MiB. */
  readonly oversizeBytes?: number;
}

const SHAPES = [
  [35, 'well-formed'],
  [20, 'bytes'],
  [10, 'envelope'],
  [10, 'headers'],
  [10, 'gossip'],
  [5, 'path'],
  [5, 'raw'],
  [1, 'oversize'],
] as const;

const PROTOCOLS: readonly Protocol[] = ['connect', 'connect-json', 'grpc', 'grpc-web'];

/** Every method of {@link SERVICES}. */
export const METHODS: readonly DescMethod[] = SERVICES.flatMap((s) => s.methods);

/** Generates a run's requests, the same ones for the same options. */
export class RequestGenerator {
  private readonly random: FuzzRandom;
  private readonly messages: MessageGenerator;
  private index = 0;

  constructor(private readonly options: RequestGeneratorOptions) {
    this.random = new FuzzRandom(options.seed);
    this.messages = new MessageGenerator(new FuzzRandom(this.random.seed()), { forbidden: options.forbidden, sinkHost: options.sinkHost });
  }

  next(): FuzzRequest {
    const r = this.random;
    const base = { index: this.index++, node: r.int(0, this.options.nodes - 1) };
    const shape = r.weighted(SHAPES);
    if (shape === 'raw') {
      const raw = rawRequest(r);
      return { ...base, kind: 'raw', rpc: 'raw-tcp', bytes: raw.bytes, shape: `raw:${raw.shape}` };
    }
    const method = shape === 'gossip' ? r.pick(MembershipService.methods) : r.pick(METHODS);
    const protocol = r.pick(PROTOCOLS);
    let messages = Array.from({ length: method.methodKind === 'unary' || method.methodKind === 'server_streaming' ? 1 : r.int(0, 3) }, () => this.encode(method.input, protocol));
    if (shape === 'gossip') messages = [this.gossipRequest(method)];
    let detail = '';
    if (shape === 'bytes') {
      const how = r.pick(BYTE_MUTATIONS);
      messages = messages.length === 0 ? [r.bytes(r.int(1, 64))] : messages.map((m) => mutateBytes(r, m, how));
      detail = `:${how}`;
    }
    if (shape === 'oversize') messages = [oversize(messages[0] ?? new Uint8Array(), r.int(1, this.options.oversizeBytes ?? 2 * 1024 * 1024) + 1024 * 1024)];
    const request = this.frame(method, protocol, messages);
    if (shape === 'envelope') detail = `:${this.breakEnvelope(request, messages)}`;
    if (shape === 'headers') detail = `:${this.breakHeaders(request)}`;
    if (shape === 'path') detail = `:${this.breakPath(request)}`;
    return { ...base, ...request, shape: `${shape}${detail}` };
  }

  private encode(desc: DescMessage, protocol: Protocol): Uint8Array {
    const message = this.messages.message(desc);
    if (protocol !== 'connect-json') return toBinary(desc, message);
    return new TextEncoder().encode(toJsonString(desc, message));
  }

  /** A MembershipService request carrying gossip bytes: mostly of this cluster, sometimes damaged. */
  private gossipRequest(method: DescMethod): Uint8Array {
    const r = this.random;
    let bytes = randomGossipBytes(r, r.chance(0.5) ? this.options.sinkHost + ':1' : '');
    if (r.chance(0.4)) bytes = mutateBytes(r, bytes, r.pick(BYTE_MUTATIONS));
    const clusterId = r.chance(0.8) ? this.options.clusterId : `zz-fuzz-${r.int(0, 9)}`;
    return toBinary(method.input, { $typeName: method.input.typeName, fromAddress: `${this.options.sinkHost}:1`, message: bytes, clusterId, tag: new Uint8Array() } as never);
  }

  private frame(method: DescMethod, protocol: Protocol, messages: Uint8Array[]): Mutable<RpcRequest> {
    const r = this.random;
    const path = `/${method.parent.typeName}/${method.name}`;
    const rpc = `${method.parent.name}/${method.name}`;
    const streaming = method.methodKind !== 'unary';
    const enveloped = concat(...messages.map((m) => encodeEnvelope(m)));
    const json = protocol === 'connect-json';
    switch (protocol) {
      case 'grpc':
        return { kind: 'rpc', rpc, http: 'h2', method: 'POST', path, headers: { 'content-type': 'application/grpc+proto', te: 'trailers' }, body: enveloped };
      case 'grpc-web':
        return { kind: 'rpc', rpc, http: r.pick(['h1', 'h2']), method: 'POST', path, headers: { 'content-type': 'application/grpc-web+proto' }, body: enveloped };
      default:
        if (streaming) return { kind: 'rpc', rpc, http: r.chance(0.8) ? 'h2' : 'h1', method: 'POST', path, headers: { 'content-type': `application/connect+${json ? 'json' : 'proto'}`, 'connect-protocol-version': '1' }, body: enveloped };
        return { kind: 'rpc', rpc, http: r.pick(['h1', 'h2']), method: 'POST', path, headers: { 'content-type': `application/${json ? 'json' : 'proto'}`, 'connect-protocol-version': '1' }, body: messages[0] ?? new Uint8Array() };
    }
  }

  /** Damages the framing of an enveloped body (a unary Connect body has none: it is cut short instead). */
  private breakEnvelope(request: Mutable<RpcRequest>, messages: Uint8Array[]): string {
    const r = this.random;
    const first = messages[0] ?? new Uint8Array();
    const header = (flags: number, length: number): Uint8Array => {
      const out = new Uint8Array(5);
      out[0] = flags;
      new DataView(out.buffer).setUint32(1, length >>> 0);
      return out;
    };
    const how = r.pick(['bad-flags', 'length-over', 'length-under', 'length-max', 'header-only', 'empty', 'two-messages'] as const);
    switch (how) {
      case 'bad-flags':
        request.body = concat(header(r.pick([0x01, 0x02, 0x80, 0x7f, 0xff, r.int(0, 255)]), first.length), first);
        break;
      case 'length-over':
        request.body = concat(header(0, first.length + r.int(1, 1 << 16)), first);
        break;
      case 'length-under':
        request.body = concat(header(0, Math.max(0, first.length - r.int(1, 8))), first);
        break;
      case 'length-max':
        request.body = concat(header(0, 0xffffffff), first);
        break;
      case 'header-only':
        request.body = header(0, 0).subarray(0, r.int(1, 4));
        break;
      case 'empty':
        request.body = new Uint8Array();
        break;
      case 'two-messages':
        request.body = concat(encodeEnvelope(first), encodeEnvelope(first));
        break;
    }
    return how;
  }

  private breakHeaders(request: Mutable<RpcRequest>): string {
    const r = this.random;
    const headers = { ...request.headers };
    const how = r.pick(['content-type', 'protocol-version', 'timeout', 'encoding', 'http-method', 'huge-header'] as const);
    switch (how) {
      case 'content-type':
        headers['content-type'] = r.pick(['text/plain', 'application/xml', 'application/grpc+json', 'application/connect+proto', 'application/proto', 'application/grpc', 'multipart/form-data; boundary=x', '', 'application/json; charset=latin1']);
        break;
      case 'protocol-version':
        headers['connect-protocol-version'] = r.pick(['2', '0', 'abc', '']);
        break;
      case 'timeout':
        headers[r.pick(['connect-timeout-ms', 'grpc-timeout'])] = r.pick(['-1', 'abc', '99999999999999999999', '0', '1n', '10H', '']);
        break;
      case 'encoding':
        headers[r.pick(['content-encoding', 'connect-content-encoding', 'grpc-encoding'])] = r.pick(['gzip', 'br', 'zstd', 'identity', 'x-nope']);
        break;
      case 'http-method':
        request.method = r.pick(['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);
        break;
      case 'huge-header':
        headers['x-fuzz'] = 'a'.repeat(r.int(1024, 60 * 1024));
        break;
    }
    request.headers = headers;
    return how;
  }

  private breakPath(request: Mutable<RpcRequest>): string {
    const r = this.random;
    const how = r.pick(['unknown-method', 'unknown-service', 'garbage', 'traversal'] as const);
    const [, service] = request.path.split('/');
    request.path = {
      'unknown-method': `/${service}/Nope${r.int(0, 9)}`,
      'unknown-service': `/quorumkv.v1.NopeService/Get`,
      garbage: `/${encodeURIComponent(new TextDecoder().decode(r.bytes(r.int(1, 40))))}`,
      traversal: `/../../${service}/%2e%2e/Get`,
    }[how];
    return how;
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
