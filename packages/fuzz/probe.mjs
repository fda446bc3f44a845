import { startCluster } from '@quorumkv/harness';
import { RequestGenerator, RequestSender } from './dist/index.js';
import { encodeEnvelope } from '@quorumkv/protocol';
const cluster = await startCluster({ nodes: 1, hostBase: 117 });
const n = cluster.nodes[0];
const sender = new RequestSender([{ host: n.host, port: n.port }], 4000);
const gen = new RequestGenerator({ seed: 18, nodes: 1, forbidden: new Set(), sinkHost: '127.0.0.120', clusterId: 'x' });
let req; for (let i = 0; i <= 41381; i++) req = gen.next();
const enc = (s) => new TextEncoder().encode(s);
try {
  const variants = [
    ['as generated', req],
    ['with te', { ...req, headers: { ...req.headers, te: 'trailers' } }],
    ['body {} no te', { ...req, body: encodeEnvelope(enc('{}')) }],
    ['body garbage json no te', { ...req, body: encodeEnvelope(enc('{"x')) }],
    ['status path', { ...req, path: '/quorumkv.v1.AdminService/Status' }],
    ['grpc-web+json h1', { ...req, http: 'h1', headers: { 'content-type': 'application/grpc-web+json' } }],
    ['connect json h1', { ...req, http: 'h1', headers: { 'content-type': 'application/json' }, body: req.body.subarray(5) }],
  ];
  for (const [name, r] of variants) {
    const t0 = Date.now();
    console.log(name, JSON.stringify(await sender.send({ ...r, node: 0 })).slice(0, 200), Date.now() - t0, 'ms');
  }
  console.log(Buffer.from(req.body).toString('hex'));
} finally { sender.close(); await cluster.stop(); }
