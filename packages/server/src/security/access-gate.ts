// Enforces the access policy on every RPC before its request is read. connect-es parses a unary
// request before any interceptor runs, so the check wraps the router's handlers instead (as the
// malformed-request answer does): a refused call is answered at once, in the protocol it came in
// (Connect unary, Connect streaming, gRPC, gRPC-web), with the node's error for the refusal, and
// its body is never read.
import { type ConnectRouter } from '@connectrpc/connect';
import { encodeEnvelope, type UniversalHandler, type UniversalServerRequest, type UniversalServerResponse } from '@connectrpc/connect/protocol';
import { codeToHttpStatus, endStreamFlag, endStreamToJson, errorToJsonBytes } from '@connectrpc/connect/protocol-connect';
import { setTrailerStatus } from '@connectrpc/connect/protocol-grpc';
import { trailerFlag, trailerSerialize } from '@connectrpc/connect/protocol-grpc-web';
import { toConnectError } from '../errors/connect-errors.js';
import { callerKey, refusalOf, requirementOf, type AccessPolicy } from './access-policy.js';

/** Wraps every handler of the router so a caller the policy refuses gets its error before anything is read. */
export function enforceAccess(router: ConnectRouter, policy: AccessPolicy): void {
  router.handlers.forEach((h, i) => {
    const need = requirementOf(h.requestPath);
    if (need === 'open') return;
    const guarded = (req: UniversalServerRequest): Promise<UniversalServerResponse> => {
      const caller = req.contextValues?.get(callerKey) ?? callerKey.defaultValue;
      const refusal = refusalOf(need, caller, policy);
      return refusal ? Promise.resolve(refusedResponse(req, refusal)) : h(req);
    };
    router.handlers[i] = Object.assign(guarded, h) as UniversalHandler;
  });
}

const once = (bytes: Uint8Array): AsyncIterable<Uint8Array> => (async function* () { yield bytes; })();
const NO_METADATA = new Headers();

/** The answer to a refused call, in the protocol of its content type. */
export function refusedResponse(req: UniversalServerRequest, refusal: unknown): UniversalServerResponse {
  const err = toConnectError(refusal);
  const contentType = req.header.get('content-type') ?? '';
  if (contentType.startsWith('application/grpc-web')) {
    const trailer = trailerSerialize(setTrailerStatus(new Headers(), err));
    return { status: 200, header: new Headers({ 'content-type': 'application/grpc-web+proto' }), body: once(encodeEnvelope(trailerFlag, trailer)) };
  }
  if (contentType.startsWith('application/grpc')) {
    return { status: 200, header: new Headers({ 'content-type': 'application/grpc+proto' }), trailer: setTrailerStatus(new Headers(), err) };
  }
  if (contentType.startsWith('application/connect+')) {
    const end = new TextEncoder().encode(JSON.stringify(endStreamToJson(NO_METADATA, err, undefined)));
    return { status: 200, header: new Headers({ 'content-type': contentType }), body: once(encodeEnvelope(endStreamFlag, end)) };
  }
  const json = errorToJsonBytes(err, undefined);
  return { status: codeToHttpStatus(err.code), header: new Headers({ 'content-type': 'application/json', 'content-length': String(json.byteLength) }), body: once(json) };
}
