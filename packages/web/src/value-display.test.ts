import { displayValue } from './value-display.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('displayValue', () => {
  it('pretty-prints JSON', () => {
    const v = displayValue(enc('{"a":1,"b":[true]}'));
    expect(v.kind).toBe('json');
    expect(v.text).toBe('{\n  "a": 1,\n  "b": [\n    true\n  ]\n}');
  });
  it('shows printable UTF-8 as text, brackets that are not JSON included', () => {
    expect(displayValue(enc('héllo wörld'))).toMatchObject({ kind: 'text', text: 'héllo wörld', bytes: 13 });
    expect(displayValue(enc('[not json')).kind).toBe('text');
  });
  it('falls back to hex for binary and invalid UTF-8', () => {
    expect(displayValue(new Uint8Array([0, 1, 255]))).toMatchObject({ kind: 'hex', text: '00 01 ff' });
    expect(displayValue(new Uint8Array([0xc3])).kind).toBe('hex');
  });
  it('cuts long values and says so', () => {
    const v = displayValue(enc('x'.repeat(100)), 10);
    expect(v).toMatchObject({ text: 'xxxxxxxxxx', truncated: true, bytes: 100 });
    expect(displayValue(new Uint8Array(100), 8)).toMatchObject({ kind: 'hex', truncated: true });
  });
});
