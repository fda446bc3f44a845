// The node's config turned into the bounds its HTTP server and streams enforce.
import type { ConnectionLimits } from '../http/http-server.js';
import type { BudgetLimits } from '../http/stream-budget.js';
import { maxMessageBytesOf, type ServerConfig } from './config-schema.js';

/** Every bound on connections and streams, from the config. */
export interface StreamLimits {
  connections: ConnectionLimits;
  /** Per-stream work and unread output. */
  stream: BudgetLimits;
  /** All streams of the node together (operations are bounded by maxInFlight elsewhere). */
  node: BudgetLimits;
  /** Result size a stream assumes before it has seen any: the largest value. */
  initialResultBytes: number;
  /** Largest request message of the public API. */
  maxMessageBytes: number;
}

export function streamLimitsOf(c: ServerConfig): StreamLimits {
  const maxMessageBytes = maxMessageBytesOf(c);
  return {
    connections: {
      maxConnections: c.maxConnections,
      maxStreamsPerConnection: c.maxStreamsPerConnection,
      maxStreams: c.maxStreams,
      connection: { maxInFlight: c.connectionMaxInFlight, maxBytes: c.connectionMaxBufferedBytes },
      timeouts: {
        firstByteMs: c.firstByteTimeoutMs,
        headersMs: c.headersTimeoutMs,
        idleMs: c.idleTimeoutMs,
        messageMs: c.messageTimeoutMs,
        messageMinBytesPerSecond: c.messageMinBytesPerSecond,
        drainMs: c.drainTimeoutMs,
      },
    },
    stream: { maxInFlight: c.streamMaxInFlight, maxBytes: c.streamMaxBufferedBytes },
    node: { maxInFlight: Infinity, maxBytes: c.maxBufferedBytes },
    initialResultBytes: c.maxValueBytes,
    maxMessageBytes,
  };
}
