/**
 * What went wrong while decoding, so callers can count and log corruption by kind without parsing
 * messages.
 */
export type VClockDecodeErrorCode =
  | 'truncated'
  | 'trailing-bytes'
  | 'unsupported-version'
  | 'wrong-kind'
  | 'bad-varint'
  | 'out-of-range'
  | 'bad-utf8'
  | 'non-canonical'
  | 'value-codec';

/**
 * Thrown by every decoder in this package for bytes that are not a valid encoding. Decoders never
 * return a partially decoded or "best effort" clock: a wrong clock silently loses or resurrects
 * data, which is worse than refusing the record (the server repairs it from another replica).
 */
export class VClockDecodeError extends Error {
  override readonly name = 'VClockDecodeError';
  /** Machine-readable kind of failure. */
  readonly code: VClockDecodeErrorCode;
  /** Byte offset at which the problem was detected. */
  readonly offset: number;

  constructor(code: VClockDecodeErrorCode, offset: number, message: string, options?: { cause?: unknown }) {
    super(`${message} (at byte ${offset})`, options);
    this.code = code;
    this.offset = offset;
  }
}

/**
 * Thrown when a caller passes something that cannot be part of a clock: an empty or malformed node
 * id, a counter or timestamp that is not a non-negative safe integer. Checked at the API boundary
 * so that an invalid clock can never be built, stored and replicated.
 */
export class InvalidClockError extends Error {
  override readonly name = 'InvalidClockError';
  /** Which input was rejected (`nodeId`, `counter`, `timestampMs`, ...). */
  readonly field: string;
  /** The rejected value, for logs. */
  readonly value: unknown;

  constructor(field: string, value: unknown, message: string) {
    super(message);
    this.field = field;
    this.value = value;
  }
}
