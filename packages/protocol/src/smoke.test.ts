// End-to-end proof that the generated descriptors and connect-node fit together: a real server on a
// real socket, called over HTTP/2 with the gRPC protocol and over HTTP/1.1 with the Connect protocol.
import * as http from 'node:http';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { create } from '@bufbuild/protobuf';
import { createClient, type ConnectRouter } from '@connectrpc/connect';
import {
  connectNodeAdapter,
  createConnectTransport,
  createGrpcTransport,
  Http2SessionManager,
} from '@connectrpc/connect-node';
import { AdminService, StatusResponseSchema, NodeState } from './index.js';

function routes(router: ConnectRouter): void {
  router.service(AdminService, {
    status: () => create(StatusResponseSchema, { nodeId: 'smoke-1', ringVersion: 7n, ready: true }),
  });
}

describe('generated contract served by connect-node', () => {
  const handler = connectNodeAdapter({ routes });
  let h2: http2.Http2Server;
  let h1: http.Server;
  let h2Url = '';
  let h1Url = '';
  const sessions: Http2SessionManager[] = [];

  beforeAll(async () => {
    h2 = http2.createServer(handler);
    h1 = http.createServer(handler);
    await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => h1.listen(0, '127.0.0.1', resolve));
    h2Url = `http://127.0.0.1:${(h2.address() as AddressInfo).port}`;
    h1Url = `http://127.0.0.1:${(h1.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    for (const s of sessions) s.abort();
    await new Promise((resolve) => h2.close(resolve));
    await new Promise((resolve) => h1.close(resolve));
  });

  it('answers Status over HTTP/2 with the gRPC protocol', async () => {
    const sessionManager = new Http2SessionManager(h2Url);
    sessions.push(sessionManager);
    const transport = createGrpcTransport({ baseUrl: h2Url, sessionManager });
    const res = await createClient(AdminService, transport).status({});
    expect(res.nodeId).toBe('smoke-1');
    expect(res.ringVersion).toBe(7n);
    expect(res.ready).toBe(true);
  });

  it('answers Status over HTTP/1.1 with the Connect protocol (as browsers do)', async () => {
    const transport = createConnectTransport({ baseUrl: h1Url, httpVersion: '1.1' });
    const res = await createClient(AdminService, transport).status({});
    expect(res.nodeId).toBe('smoke-1');
    expect(res.ringVersion).toBe(7n);
  });

  it('answers unimplemented methods with a Connect error, not a crash', async () => {
    const transport = createConnectTransport({ baseUrl: h1Url, httpVersion: '1.1' });
    await expect(createClient(AdminService, transport).members({})).rejects.toMatchObject({ code: 12 });
    expect(NodeState.ACTIVE).toBe(1);
  });
});
