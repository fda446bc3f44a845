// Limits of KvService.Session messages that the SDK and every node share. They live here, in the
// wire contract's package, so both sides read the same numbers.

/**
 * Most operations in one Session request message. The SDK never puts more in a message, and a node
 * ends a stream that sends more with RESOURCE_EXHAUSTED (reason LIMIT_EXCEEDED): decoding a message
 * costs work per operation, so this bounds what one message can cost a node.
 */
export const SESSION_MAX_OPS_PER_MESSAGE = 256;

/**
 * The SDK closes a Session message once it holds this many bytes of operations; an operation
 * larger than this travels alone. A node accepts messages of at least its largest value plus this
 * much (its `maxMessageBytes`), so every message the SDK builds from valid operations fits.
 */
export const SESSION_BATCH_BYTES = 64 * 1024;
