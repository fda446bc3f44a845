// Bytes for the node's TCP port that are no valid HTTP at all, or HTTP broken below the RPC layer:
// garbage, an HTTP/2 preface followed by garbage frames, HTTP/1.1 with a broken request line,
// headers or chunked body. The node must close or answer such a connection and keep serving.
import { concat } from './byte-mutations.js';
import type { FuzzRandom } from './fuzz-random.js';

const H2_PREFACE = new TextEncoder().encode('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** One raw request and what kind it is. */
export function rawRequest(r: FuzzRandom): { shape: string; bytes: Uint8Array } {
  const shape = r.pick(['garbage', 'h2-garbage-frames', 'h2-bad-settings', 'h1-bad-request-line', 'h1-bad-chunked', 'h1-bad-content-length'] as const);
  switch (shape) {
    case 'garbage':
      return { shape, bytes: r.bytes(r.int(1, 4096)) };
    case 'h2-garbage-frames':
      return { shape, bytes: concat(H2_PREFACE, r.bytes(r.int(1, 2048))) };
    case 'h2-bad-settings': {
      // A SETTINGS frame whose length is not a multiple of 6, or with absurd values.
      const length = r.pick([5, 7, 12]);
      const frame = new Uint8Array(9 + length);
      frame[2] = length;
      frame[3] = 0x4;
      frame.set(r.bytes(length), 9);
      return { shape, bytes: concat(H2_PREFACE, frame) };
    }
    case 'h1-bad-request-line':
      return { shape, bytes: text(r.pick(['POST\r\n\r\n', 'POST /quorumkv.v1.KvService/Get HTTP/9.9\r\n\r\n', `${'A'.repeat(r.int(1, 9000))} / HTTP/1.1\r\n\r\n`, 'GET / HTTP/1.1\r\nHost\r\n\r\n'])) };
    case 'h1-bad-chunked':
      return { shape, bytes: text('POST /quorumkv.v1.KvService/Get HTTP/1.1\r\nHost: x\r\nContent-Type: application/proto\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n') };
    case 'h1-bad-content-length':
      return { shape, bytes: text(`POST /quorumkv.v1.KvService/Put HTTP/1.1\r\nHost: x\r\nContent-Type: application/proto\r\nContent-Length: ${r.pick(['-1', 'abc', '99999999999999999999', '5, 6'])}\r\n\r\nabc`) };
  }
}
