// The node's error codes at the edges a handler does not see: a body that is not protobuf is the
// caller's fault (INVALID_ARGUMENT, reason MALFORMED_REQUEST) on every protocol and stream, and a
// request whose deadline passes before its quorum is DEADLINE_EXCEEDED with the quorum facts.
import * as http from 'node:http';
import * as http2 from 'node:http2';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { endStreamFromJson, errorFromJsonBytes } from '@connectrpc/connect/protocol-connect';
import { findTrailerError } from '@connectrpc/connect/protocol-grpc';
import { trailerParse } from '@connectrpc/connect/protocol-grpc-web';
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { AdminService, ErrorDetailSchema, ErrorReason, KvService, QuorumFailureSchema } from '@quorumkv/protocol';
import { startCluster, type Cluster, type NodeHandle } from '@quorumkv/harness';
import { Clients, dec, enc, fetchRing, primariesOf } from './support.js';

/** Not protobuf: field 1, length-delimited, with a length far past the end of the body. */
const GARBAGE = new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]);

function envelope(data: Uint8Array, flags = 0): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(5 + data.length);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, data.length);
  out.set(data, 5);
  return out;
}

interface RawAnswer {
  status: number;
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  body: Uint8Array;
}

/** One HTTP/2 (h2c) POST with a hand-made body: what no well-behaved client would send. */
function h2Post(url: string, path: string, contentType: string, body: Uint8Array): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url);
    session.on('error', reject);
    const req = session.request({ ':method': 'POST', ':path': path, 'content-type': contentType, te: 'trailers' });
    const chunks: Buffer[] = [];
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    req.on('response', (h) => (headers = h));
    req.on('trailers', (t) => (trailers = t));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', reject);
    req.on('end', () => {
      session.close();
      resolve({ status: Number(headers[':status']), headers, trailers, body: new Uint8Array(Buffer.concat(chunks)) });
    });
    req.end(body);
  });
}

/** The envelopes of a stream's body: [flags, data]. */
function envelopes(body: Uint8Array): [number, Uint8Array][] {
  const out: [number, Uint8Array][] = [];
  for (let at = 0; at + 5 <= body.length; ) {
    const length = new DataView(body.buffer, body.byteOffset + at + 1, 4).getUint32(0);
    out.push([body[at]!, body.subarray(at + 5, at + 5 + length)]);
    at += 5 + length;
  }
  return out;
}

const headersOf = (h: http2.IncomingHttpHeaders): Headers => new Headers(Object.entries(h).filter(([k]) => !k.startsWith(':')).map(([k, v]) => [k, String(v)]));

/** The answer must be INVALID_ARGUMENT with the reason a client reads with findDetails. */
function expectMalformed(err: ConnectError | undefined): void {
  expect(err && Code[err.code]).toBe(Code[Code.InvalidArgument]);
  expect(err!.findDetails(ErrorDetailSchema)[0]?.reason).toBe(ErrorReason.MALFORMED_REQUEST);
}

describe('error codes at the edges', () => {
  let cluster: Cluster;
  let n1: NodeHandle;
  const clients = new Clients();
  const sessions: Http2SessionManager[] = [];
  beforeAll(async () => {
    // A long replica timeout: only the request's own deadline can end a request to stopped replicas.
    cluster = await startCluster({ nodes: 3, n: 3, r: 2, w: 2, hostBase: 101, extraArgs: ['--replica-timeout-ms', '10000'] });
    n1 = cluster.nodes[0]!;
  });
  afterAll(async () => {
    clients.close();
    for (const s of sessions) s.abort();
    for (const node of cluster?.nodes ?? []) await node.kill('SIGCONT');
    await cluster?.stop();
  });

  async function stillServes(node: NodeHandle, key: string): Promise<void> {
    await clients.of(node).kv.put({ key: enc(key), value: enc('serving') });
    expect((await clients.of(node).kv.get({ key: enc(key) })).siblings.map((s) => dec(s.value))).toEqual(['serving']);
  }

  describe('a body that is not protobuf is invalid_argument', () => {
    const unreadable = new ConnectError('unreadable error', Code.Unknown);

    it('Connect unary over HTTP/1.1', async () => {
      const res = await fetch(`${n1.url}/quorumkv.v1.KvService/Put`, { method: 'POST', headers: { 'content-type': 'application/proto' }, body: GARBAGE });
      expect(res.status).toBe(400);
      const err = errorFromJsonBytes(new Uint8Array(await res.arrayBuffer()), undefined, unreadable);
      expectMalformed(err);
      expect(err.rawMessage).toMatch(/^malformed quorumkv\.v1\.PutRequest: /);
      await stillServes(n1, 'after-h1');
    });

    it('Connect unary over h2c, also for a string field holding invalid UTF-8', async () => {
      for (const body of [GARBAGE, new Uint8Array([0x0a, 0x02, 0xc3, 0x28])]) {
        const res = await h2Post(n1.url, '/quorumkv.v1.KvService/Put', 'application/proto', body);
        expect(res.status).toBe(400);
        expectMalformed(errorFromJsonBytes(res.body, undefined, unreadable));
      }
      await stillServes(n1, 'after-h2');
    });

    it('Connect unary with an undecodable JSON body', async () => {
      const res = await fetch(`${n1.url}/quorumkv.v1.KvService/Put`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"key": 12' });
      expect(res.status).toBe(400);
      expectMalformed(errorFromJsonBytes(new Uint8Array(await res.arrayBuffer()), undefined, unreadable));
    });

    it('leaves what is not a body problem alone: an unsupported content type is still 415', async () => {
      const res = await fetch(`${n1.url}/quorumkv.v1.KvService/Put`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
      expect(res.status).toBe(415);
      await stillServes(n1, 'after-415');
    });

    it('gRPC', async () => {
      const res = await h2Post(n1.url, '/quorumkv.v1.KvService/Put', 'application/grpc+proto', envelope(GARBAGE));
      expectMalformed(findTrailerError(headersOf({ ...res.headers, ...res.trailers })));
      await stillServes(n1, 'after-grpc');
    });

    it('gRPC-web over HTTP/1.1', async () => {
      const res = await fetch(`${n1.url}/quorumkv.v1.KvService/Put`, { method: 'POST', headers: { 'content-type': 'application/grpc-web+proto' }, body: envelope(GARBAGE) });
      const frames = envelopes(new Uint8Array(await res.arrayBuffer()));
      const [flags, data] = frames[frames.length - 1]!;
      expect(flags & 0x80).toBe(0x80);
      expectMalformed(findTrailerError(trailerParse(data)));
    });

    describe('a JSON body whose parse error quotes half of a surrogate pair', () => {
      // Found by the fuzzer (issue #18): V8 quotes the start of the body in its JSON.parse error and
      // cuts it inside an emoji; connect-es then failed writing that message into the grpc-message
      // trailer (encodeURIComponent throws on a lone surrogate), and the node never answered.
      const body = Buffer.from('0a20e69687d0962020d096e4b8add09600e69687f09f988000c3847fe4b8ade69687120284a4', 'hex');

      it('gRPC', async () => {
        const res = await h2Post(n1.url, '/quorumkv.v1.AdminService/Status', 'application/grpc+json', envelope(body));
        const err = findTrailerError(headersOf({ ...res.headers, ...res.trailers }));
        expectMalformed(err);
        expect(err!.rawMessage).toMatch(/^malformed quorumkv\.v1\.StatusRequest: /);
        await stillServes(n1, 'after-grpc-json');
      });

      it('gRPC-web over HTTP/1.1', async () => {
        const res = await fetch(`${n1.url}/quorumkv.v1.AdminService/Status`, { method: 'POST', headers: { 'content-type': 'application/grpc-web+json' }, body: envelope(body), signal: AbortSignal.timeout(10_000) });
        const frames = envelopes(new Uint8Array(await res.arrayBuffer()));
        expectMalformed(findTrailerError(trailerParse(frames[frames.length - 1]![1])));
      });
    });

    it.each([
      ['ReplicaService/Replicate', '/quorumkv.v1.ReplicaService/Replicate'],
      ['KvService/Session', '/quorumkv.v1.KvService/Session'],
    ])('the raw %s stream', async (_name, path) => {
      const res = await h2Post(n1.url, path, 'application/connect+proto', envelope(GARBAGE));
      const end = envelopes(res.body).find(([flags]) => flags & 0b10);
      expectMalformed(endStreamFromJson(end![1]).error);
      await stillServes(n1, `after-${path}`);
    });

    it.each([
      ['ReplicaService/Replicate', '/quorumkv.v1.ReplicaService/Replicate'],
      ['KvService/Session', '/quorumkv.v1.KvService/Session'],
    ])('the %s stream over gRPC (through connect-es)', async (_name, path) => {
      const res = await h2Post(n1.url, path, 'application/grpc+proto', envelope(GARBAGE));
      expectMalformed(findTrailerError(headersOf({ ...res.headers, ...res.trailers })));
      await stillServes(n1, `after-grpc-${path}`);
    });
  });

  describe('a request over the size limit on an HTTP/1.1 keep-alive connection', () => {
    // Found by the fuzzer (issue #18): a gRPC-web body over the limit was refused after connect-es
    // had begun reading it, which destroyed the request and left the rest of its body unread: the
    // next request on the connection went unanswered until the idle timeout cut it (120 s).
    function h1Post(agent: http.Agent, contentType: string, body: Uint8Array): Promise<{ status: number; body: Uint8Array; reusedSocket: boolean }> {
      return new Promise((resolve, reject) => {
        const url = new URL(n1.url);
        const req = http.request({ host: url.hostname, port: url.port, method: 'POST', path: '/quorumkv.v1.KvService/GetRouting', agent, headers: { 'content-type': contentType, 'content-length': String(body.length) } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode!, body: new Uint8Array(Buffer.concat(chunks)), reusedSocket: req.reusedSocket }));
        });
        const timer = setTimeout(() => req.destroy(new Error('no answer within 5 s')), 5_000);
        req.once('close', () => clearTimeout(timer));
        req.on('error', reject);
        req.end(body);
      });
    }

    it.each([
      ['gRPC-web', 'application/grpc-web+proto', (size: number) => envelope(new Uint8Array(size))],
      ['Connect', 'application/proto', (size: number) => new Uint8Array(size)],
    ])('%s: is refused as LIMIT_EXCEEDED, and the connection serves the next request', async (_name, contentType, body) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const refused = await h1Post(agent, contentType, body(3 * 1024 * 1024));
        expect(new TextDecoder().decode(refused.body)).toMatch(/resource_exhausted|grpc-status: ?8/);
        const next = await h1Post(agent, contentType, body(0));
        expect(next).toMatchObject({ status: 200, reusedSocket: true });
      } finally {
        agent.destroy();
      }
    });
  });

  describe("a peer's error passes on with its code, not its response headers", () => {
    // Found by the fuzzer (issue #18): a membership change asked of a node that is not the
    // claimant is forwarded to it, and the claimant's refusal came back with the claimant's HTTP
    // response headers (content-length, date...) as its metadata; written into a gRPC response
    // they broke it, and the client saw its stream reset instead of FAILED_PRECONDITION.
    it.each(['Connect', 'gRPC'])('AdminService/Plan with nothing staged, asked of a node that is not the claimant, over %s', async (protocol) => {
      const n2 = cluster.nodes[1]!;
      const session = new Http2SessionManager(n2.url);
      sessions.push(session);
      const transport = protocol === 'gRPC' ? createGrpcTransport({ baseUrl: n2.url, sessionManager: session }) : createConnectTransport({ baseUrl: n2.url, httpVersion: '2', sessionManager: session });
      const err = await createClient(AdminService, transport).plan({}).then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
      expect(err && Code[err.code]).toBe(Code[Code.FailedPrecondition]);
      expect(err!.rawMessage).toMatch(/nothing staged/);
      expect(err!.findDetails(ErrorDetailSchema)[0]?.reason).toBe(ErrorReason.CLUSTER_CHANGE_REFUSED);
    });
  });

  describe('a passed deadline is deadline_exceeded', () => {
    it('a short-deadline put to a stopped replica set, through Connect and gRPC clients, keeps the quorum facts', async () => {
      const ring = await fetchRing(clients, n1);
      let key = '';
      for (let i = 0; !key; i++) if (primariesOf(ring, `dl-${i}`, 3)[0] === n1.id) key = `dl-${i}`;
      const session = new Http2SessionManager(n1.url);
      sessions.push(session);
      const connect = createClient(KvService, createConnectTransport({ baseUrl: n1.url, httpVersion: '2', sessionManager: session, acceptCompression: [] }));
      const grpc = createClient(KvService, createGrpcTransport({ baseUrl: n1.url, sessionManager: session, acceptCompression: [] }));
      const others = cluster.nodes.slice(1);
      for (const node of others) await node.kill('SIGSTOP');
      try {
        for (const kv of [connect, grpc]) {
          // No client-side deadline: the node's own (the request's timeout_ms) must end the call.
          // Long enough for the write to start (a write whose deadline passed before it was
          // coordinated is dropped with asked 0), far shorter than the replica timeout.
          const err = await kv.put({ key: enc(key), value: enc('late'), timeoutMs: 300 }).then(
            () => undefined,
            (e: unknown) => ConnectError.from(e),
          );
          expect(err && Code[err.code]).toBe(Code[Code.DeadlineExceeded]);
          expect(err!.findDetails(ErrorDetailSchema)[0]?.reason).toBe(ErrorReason.DEADLINE_EXCEEDED);
          const q = err!.findDetails(QuorumFailureSchema)[0];
          expect(q).toMatchObject({ operation: 'put', asked: 3, required: 2 });
          expect(q!.answered).toBeLessThan(2);
        }
      } finally {
        for (const node of others) await node.kill('SIGCONT');
      }
    });
  });
});
