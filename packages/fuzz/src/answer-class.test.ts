import { classifyResponse, type RawResponse } from './answer-class.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const envelope = (flags: number, data: Uint8Array): Uint8Array => {
  const out = new Uint8Array(5 + data.length);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, data.length);
  out.set(data, 5);
  return out;
};
const res = (status: number, contentType: string | undefined, body: Uint8Array, extra: Partial<RawResponse> = {}): RawResponse => ({
  status,
  headers: { ...(contentType ? { 'content-type': contentType } : {}), ...extra.headers },
  trailers: extra.trailers ?? {},
  body,
});

describe('classifyResponse', () => {
  it.each<[string, RawResponse, string, string]>([
    ['Connect unary result', res(200, 'application/proto', new Uint8Array()), 'ok', 'ok'],
    ['Connect unary client error', res(400, 'application/json', text('{"code":"invalid_argument","message":"key: is required"}')), 'error', 'invalid_argument'],
    ['Connect unary internal error', res(500, 'application/json', text('{"code":"internal","message":"boom"}')), 'internal', 'internal'],
    ['an unknown code is the node failing to say what went wrong', res(500, 'application/json', text('{"code":"unknown"}')), 'internal', 'unknown'],
    ['a bare HTTP 500', res(500, 'text/plain', text('oops')), 'internal', 'http-500'],
    ['HTTP 415 for an unsupported content type', res(415, undefined, new Uint8Array()), 'error', 'http-415'],
    ['HTTP 505 for a bidi stream over HTTP/1.1', res(505, undefined, new Uint8Array()), 'error', 'http-505'],
    ['gRPC status in the trailers', res(200, 'application/grpc+proto', new Uint8Array(), { trailers: { 'grpc-status': '3', 'grpc-message': 'bad%20key' } }), 'error', 'invalid_argument'],
    ['gRPC internal, trailers-only', res(200, 'application/grpc', new Uint8Array(), { headers: { 'grpc-status': '13' } }), 'internal', 'internal'],
    ['gRPC without a status', res(200, 'application/grpc', new Uint8Array()), 'internal', 'internal'],
    ['gRPC-web trailers in the body', res(200, 'application/grpc-web+proto', envelope(0x80, text('grpc-status: 8\r\ngrpc-message: limit\r\n'))), 'error', 'resource_exhausted'],
    ['gRPC-web ok', res(200, 'application/grpc-web+proto', envelope(0x80, text('grpc-status: 0\r\n'))), 'ok', 'ok'],
    ['Connect stream ended well', res(200, 'application/connect+proto', envelope(0x02, text('{}'))), 'ok', 'ok'],
    ['Connect stream ended with an error', res(200, 'application/connect+proto', envelope(0x02, text('{"error":{"code":"failed_precondition"}}'))), 'error', 'failed_precondition'],
    ['Connect stream without its end', res(200, 'application/connect+proto', envelope(0, text('x'))), 'internal', 'internal'],
  ])('%s', (_name, response, cls, code) => {
    expect(classifyResponse(response)).toMatchObject({ class: cls, code });
  });
});
