// A request body the node cannot read is the caller's fault: INVALID_ARGUMENT with reason
// MALFORMED_REQUEST, on every protocol. connect-es parses a unary request before any handler or
// interceptor runs and reports a body that is not valid protobuf as INTERNAL ("parse binary: ...",
// connect-es 2.1 protocol/serialization.ts), so the node recognises such a failure by where it
// happened, not by its message: an interceptor records that the call reached the handler, and a
// unary call that failed INTERNAL or INVALID_ARGUMENT without getting there failed reading its
// request. Its answer is then rewritten in the protocol it was given in. Streams read their
// requests inside the handler, so they map the same failures there (`services/guard.ts`). A body
// or stream message over the size limit (connect-es's `readMaxBytes`, RESOURCE_EXHAUSTED) is
// reported the same way as the node's other limits: reason LIMIT_EXCEEDED, naming the limit.
import { Code, ConnectError, createContextKey, createContextValues, type ConnectRouter, type Interceptor } from '@connectrpc/connect';
import { encodeEnvelope, type UniversalHandler, type UniversalServerRequest, type UniversalServerResponse } from '@connectrpc/connect/protocol';
import { codeToHttpStatus, errorFromJsonBytes, errorToJsonBytes } from '@connectrpc/connect/protocol-connect';
import { findTrailerError, setTrailerStatus } from '@connectrpc/connect/protocol-grpc';
import { trailerFlag, trailerParse, trailerSerialize } from '@connectrpc/connect/protocol-grpc-web';
import { EnvelopeReader, ReplicaService } from '@quorumkv/protocol';
import { toConnectError } from '../errors/connect-errors.js';
import { NodeLimitExceededError, NodeMalformedRequestError } from '../errors/errors.js';

const reachedHandler = createContextKey(false, { description: 'quorumkv: the request was parsed and reached its handler' });

/** Router interceptor: records that a call got past request parsing. */
export const markHandlerReached: Interceptor = (next) => (req) => {
  req.contextValues.set(reachedHandler, true);
  return next(req);
};

/**
 * The limit on one message of a service's requests: internal traffic carries whole records (any
 * number of siblings) and keeps the protocol's ceiling; the public services take `maxMessageBytes`.
 */
export function messageLimitName(serviceTypeName: string): string {
  return serviceTypeName === ReplicaService.typeName ? 'MAX_ENVELOPE_BYTES' : 'maxMessageBytes';
}

/**
 * The node's error for a failure connect-es raised while reading a request (not valid protobuf,
 * a broken envelope, undecodable JSON, a message over `limit`); any other error is returned as it is.
 */
export function malformedRequest(err: unknown, requestType: string, limit: string): unknown {
  if (!(err instanceof ConnectError)) return err;
  if (err.code === Code.ResourceExhausted) return new NodeLimitExceededError(limit, `${requestType}: ${err.rawMessage}`);
  if (err.code !== Code.Internal && err.code !== Code.InvalidArgument) return err;
  return new NodeMalformedRequestError(`malformed ${requestType}: ${err.rawMessage.replace(/^parse binary: /, '')}`);
}

/** Wraps every unary handler of the router so a body it cannot read is answered as malformed. */
export function answerMalformedRequests(router: ConnectRouter): void {
  router.handlers.forEach((h, i) => {
    if (h.method.methodKind === 'unary') router.handlers[i] = Object.assign((req: UniversalServerRequest) => answer(h, req), h) as UniversalHandler;
  });
}

async function answer(h: UniversalHandler, req: UniversalServerRequest): Promise<UniversalServerResponse> {
  const contextValues = req.contextValues ?? createContextValues();
  const request: RequestKind = { type: h.method.input.typeName, limit: messageLimitName(h.service.typeName) };
  const contentType = req.header.get('content-type') ?? '';
  let res: UniversalServerResponse;
  try {
    res = await h({ ...req, contextValues });
  } catch (err) {
    // connect-es failed writing its own error: gRPC percent-encodes the message into a trailer,
    // which throws on a lone surrogate (a JSON parse error quoting a body cut inside an emoji).
    // Unanswered, the call would hang; it is the caller's unreadable body.
    if (contextValues.get(reachedHandler) || !contentType.startsWith('application/grpc')) throw err;
    const unreadable = toConnectError(new NodeMalformedRequestError(`malformed ${request.type}: the body could not be read`));
    if (contentType.startsWith('application/grpc-web')) return { status: 200, header: new Headers({ 'content-type': contentType }), body: once(encodeEnvelope(trailerFlag, trailerSerialize(setTrailerStatus(new Headers(), unreadable)))) };
    return { status: 200, header: new Headers({ 'content-type': contentType }), trailer: setTrailerStatus(new Headers(), unreadable) };
  }
  if (contextValues.get(reachedHandler)) return res;
  if (contentType.startsWith('application/grpc-web')) return grpcWebAnswer(res, request);
  if (contentType.startsWith('application/grpc')) return grpcAnswer(res, request);
  return connectAnswer(res, request);
}

/** A unary request's message type and the limit on its size. */
interface RequestKind {
  type: string;
  limit: string;
}

/** The error of a failed call as the node reports it, or undefined when the failure was not the request's. */
function asMalformed(err: ConnectError | undefined, request: RequestKind): ConnectError | undefined {
  if (!err) return undefined;
  const mapped = malformedRequest(err, request.type, request.limit);
  return mapped === err ? undefined : toConnectError(mapped);
}

async function bytesOf(body: AsyncIterable<Uint8Array> | undefined): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  if (body) for await (const c of body) chunks.push(c);
  return new Uint8Array(Buffer.concat(chunks));
}

const once = (bytes: Uint8Array): AsyncIterable<Uint8Array> => (async function* () { yield bytes; })();

/** The Connect error in a JSON body (none for a bare HTTP status such as 415). */
function connectErrorIn(body: Uint8Array): ConnectError | undefined {
  try {
    return errorFromJsonBytes(body, undefined, new ConnectError('no error body', Code.Unknown));
  } catch {
    return undefined;
  }
}

/** Connect unary: the error is the JSON body of a non-200 answer. */
async function connectAnswer(res: UniversalServerResponse, request: RequestKind): Promise<UniversalServerResponse> {
  if (res.status === 200) return res;
  const body = await bytesOf(res.body);
  const ours = asMalformed(connectErrorIn(body), request);
  if (!ours) return res.body ? { ...res, body: once(body) } : res;
  const json = errorToJsonBytes(ours, undefined);
  const header = new Headers(res.header);
  header.set('content-length', String(json.byteLength));
  return { ...res, status: codeToHttpStatus(ours.code), header, body: once(json) };
}

/** gRPC: the status is in the trailers, already set when a call fails before its first answer. */
function grpcAnswer(res: UniversalServerResponse, request: RequestKind): UniversalServerResponse {
  const ours = res.trailer && asMalformed(findTrailerError(res.trailer), request);
  if (ours && res.trailer) setTrailerStatus(res.trailer, ours);
  return res;
}

/** gRPC-web: the trailers are the body's last envelope. */
async function grpcWebAnswer(res: UniversalServerResponse, request: RequestKind): Promise<UniversalServerResponse> {
  const body = await bytesOf(res.body);
  const envelopes = new EnvelopeReader().push(body);
  const last = envelopes[envelopes.length - 1];
  const trailer = last && last.flags & trailerFlag ? trailerParse(last.data) : undefined;
  const ours = trailer && asMalformed(findTrailerError(trailer), request);
  if (!ours) return { ...res, body: once(body) };
  const rewritten = setTrailerStatus(new Headers(), ours);
  return { ...res, body: once(encodeEnvelope(trailerFlag, trailerSerialize(rewritten))) };
}
