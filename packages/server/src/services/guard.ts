import { toConnectError } from '../errors/connect-errors.js';

/** Runs a handler body, turning any typed error into the ConnectError clients see. */
export async function guard<T>(body: () => Promise<T> | T): Promise<T> {
  try {
    return await body();
  } catch (err) {
    throw toConnectError(err);
  }
}
