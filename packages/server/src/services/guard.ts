import { toConnectError } from '../errors/connect-errors.js';
import { malformedRequest } from '../http/malformed-request.js';

/** Runs a handler body, turning any typed error into the ConnectError clients see. */
export async function guard<T>(body: () => Promise<T> | T): Promise<T> {
  try {
    return await body();
  } catch (err) {
    throw toConnectError(err);
  }
}

/** A stream handler's responses, ending with the ConnectError clients see when it fails (as {@link guard}). */
export async function* guardStream<T>(responses: AsyncIterable<T>): AsyncIterable<T> {
  try {
    yield* responses;
  } catch (err) {
    throw toConnectError(err);
  }
}

/**
 * A stream's request messages. connect-es parses each one as the handler reads it, so a message
 * that is not valid protobuf (or a broken envelope) fails here: the caller's malformed request; one
 * over the size limit (named `limit`) is LIMIT_EXCEEDED.
 */
export async function* requestMessages<T>(requests: AsyncIterable<T>, requestType: string, limit: string): AsyncIterable<T> {
  try {
    yield* requests;
  } catch (err) {
    throw malformedRequest(err, requestType, limit);
  }
}
