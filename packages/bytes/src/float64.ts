// IEEE 754 doubles in little-endian byte order through one scratch pair of views, so neither reading
// nor writing allocates a DataView per buffer.
const scratch = new Float64Array(1);
const scratchBytes = new Uint8Array(scratch.buffer);
const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The double stored little-endian at `buf[pos, pos + 8)`; the caller checked the bounds. */
export function readFloat64le(buf: Uint8Array, pos: number): number {
  for (let i = 0; i < 8; i++) scratchBytes[hostIsLittleEndian ? i : 7 - i] = buf[pos + i]!;
  return scratch[0]!;
}

/** Writes `v` little-endian at `buf[pos, pos + 8)` and returns `pos + 8`. */
export function writeFloat64le(buf: Uint8Array, pos: number, v: number): number {
  scratch[0] = v;
  for (let i = 0; i < 8; i++) buf[pos + i] = scratchBytes[hostIsLittleEndian ? i : 7 - i]!;
  return pos + 8;
}
