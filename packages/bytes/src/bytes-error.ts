/**
 * Why bytes could not be read or written. A closed set, so a codec built on this package can map
 * each reason to its own error codes with an exhaustive `switch`.
 *
 * - `truncated`: the input ends inside a value, or a length points past the end of the input.
 * - `count-exceeds-input`: a count of items that cannot all fit in the bytes that remain, refused
 *   before anything is allocated or looped over.
 * - `overlong-varint`: a varint has more bytes than its type allows (8 for {@link ByteReader.uvarint},
 *   10 for the protobuf varints).
 * - `non-canonical-varint`: a varint padded with redundant zero groups (`uvarint` only: one number,
 *   one encoding).
 * - `varint-out-of-range`: above 2^53 - 1 (`uvarint`) or 2^64 - 1 (`varint64`); on writing, a bigint
 *   outside int64/uint64.
 * - `not-a-uint53`: a number to write is not a non-negative safe integer.
 * - `invalid-utf8`: bytes that strict UTF-8 refuses (overlong forms, encoded surrogates, code points
 *   above U+10FFFF, cut sequences, stray continuation bytes).
 * - `lone-surrogate`: a string to encode holds a UTF-16 surrogate that is not part of a pair, which
 *   has no UTF-8 encoding. It is refused, never replaced with U+FFFD: replacing would map different
 *   strings to the same bytes.
 * - `trailing-bytes`: input left over where the whole input should have been consumed.
 * - `size-mismatch`: a {@link ByteWriter} did not end exactly at the end of its buffer, so the size
 *   its caller computed in advance was wrong (a bug in that caller, never bad input).
 */
export type BytesErrorReason =
  | 'truncated'
  | 'count-exceeds-input'
  | 'overlong-varint'
  | 'non-canonical-varint'
  | 'varint-out-of-range'
  | 'not-a-uint53'
  | 'invalid-utf8'
  | 'lone-surrogate'
  | 'trailing-bytes'
  | 'size-mismatch';

/**
 * The one error this package throws. Codecs built on it catch it at their API boundary and report it
 * with their own error type (keeping it as `cause`), so their callers see one error per format.
 */
export class BytesError extends Error {
  override readonly name = 'BytesError';

  constructor(
    /** What is wrong, machine-readable. */
    readonly reason: BytesErrorReason,
    /**
     * Byte offset where the offending value starts (for writers: where writing stood); -1 when no
     * byte position applies (a string being measured).
     */
    readonly offset: number,
    /** What is wrong, for people, without the offset (the message appends it). */
    readonly detail: string,
  ) {
    super(offset >= 0 ? `${detail} (at byte ${offset})` : detail);
  }
}
