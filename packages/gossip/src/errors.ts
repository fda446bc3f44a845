/**
 * Typed errors thrown by the gossip package. Each carries its details as fields so callers can
 * react without parsing messages.
 */

/** A {@link GossipConfig} field is out of range; thrown once, by `createMemberlist`. */
export class GossipConfigError extends Error {
  override readonly name = 'GossipConfigError';
  constructor(
    /** The offending config field, e.g. `probeTimeoutMs`. */
    readonly field: string,
    /** The value that was rejected. */
    readonly value: unknown,
    /** What the field must satisfy. */
    readonly requirement: string,
  ) {
    super(`invalid gossip config: ${field} = ${String(value)} (${requirement})`);
  }
}

/** Bytes handed to `decodeMessage` (or a message handed to `encodeMessage`) are malformed. */
export class GossipCodecError extends Error {
  override readonly name = 'GossipCodecError';
  constructor(
    /** Short machine-readable reason, e.g. `truncated`, `bad-version`, `bad-utf8`. */
    readonly reason: string,
    /** Byte offset at which decoding failed (-1 when encoding). */
    readonly offset: number,
    options?: { cause?: unknown },
  ) {
    super(`gossip codec: ${reason} at offset ${offset}`, options);
  }
}

/** An API call is not valid in the node's current state (e.g. `join` after `leave`), or its arguments are invalid. */
export class GossipStateError extends Error {
  override readonly name = 'GossipStateError';
  constructor(
    /** The API operation that was refused. */
    readonly operation: string,
    /** Why it was refused. */
    readonly reason: string,
  ) {
    super(`gossip: ${operation} refused: ${reason}`);
  }
}
