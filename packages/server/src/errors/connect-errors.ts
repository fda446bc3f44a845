// The one place where the node's typed errors become Connect codes and error details: an
// ErrorDetail with the reason on every error, and the QuorumFailure facts when a quorum failed. The
// error itself (`cause`) stays on the node; only the message and the details are sent.
import { Code, ConnectError } from '@connectrpc/connect';
import { StorageFullError } from '@quorumkv/storage';
import {
  ErrorDetailSchema,
  ErrorReason,
  QuorumFailureSchema,
  type ErrorDetail,
  type QuorumFailure,
  type SessionError,
} from '@quorumkv/protocol';
import { RingError } from '@quorumkv/ring';
import {
  NodeArgumentError,
  NodeClusterChangeError,
  NodeForeignClusterError,
  NodeLimitExceededError,
  NodeMalformedRequestError,
  NodeNotReadyError,
  NodeOverloadedError,
  NodePermissionDeniedError,
  NodeQuorumNotMetError,
  NodeStorageFullError,
  NodeTooManySiblingsError,
  NodeUnauthenticatedError,
} from './errors.js';

/** The Connect code and the reason of an error the node raised. */
function classify(err: unknown): { code: Code; reason: ErrorReason } {
  if (err instanceof NodeArgumentError) return { code: Code.InvalidArgument, reason: ErrorReason.INVALID_FIELD };
  if (err instanceof NodeMalformedRequestError) return { code: Code.InvalidArgument, reason: ErrorReason.MALFORMED_REQUEST };
  if (err instanceof NodeQuorumNotMetError) {
    return err.deadlinePassed ? { code: Code.DeadlineExceeded, reason: ErrorReason.DEADLINE_EXCEEDED } : { code: Code.Unavailable, reason: ErrorReason.QUORUM_NOT_MET };
  }
  if (err instanceof NodeOverloadedError) return { code: Code.ResourceExhausted, reason: ErrorReason.OVERLOADED };
  if (err instanceof NodeLimitExceededError) return { code: Code.ResourceExhausted, reason: ErrorReason.LIMIT_EXCEEDED };
  if (err instanceof NodeTooManySiblingsError) return { code: Code.FailedPrecondition, reason: ErrorReason.TOO_MANY_SIBLINGS };
  if (err instanceof NodeStorageFullError || err instanceof StorageFullError) return { code: Code.ResourceExhausted, reason: ErrorReason.STORAGE_FULL };
  if (err instanceof NodeForeignClusterError) return { code: Code.FailedPrecondition, reason: ErrorReason.FOREIGN_CLUSTER };
  if (err instanceof NodeNotReadyError) return { code: Code.Unavailable, reason: ErrorReason.NOT_READY };
  if (err instanceof NodeUnauthenticatedError) return { code: Code.Unauthenticated, reason: ErrorReason.UNAUTHENTICATED };
  if (err instanceof NodePermissionDeniedError) return { code: Code.PermissionDenied, reason: ErrorReason.PERMISSION_DENIED };
  if (err instanceof NodeClusterChangeError || err instanceof RingError) return { code: Code.FailedPrecondition, reason: ErrorReason.CLUSTER_CHANGE_REFUSED };
  return { code: Code.Internal, reason: ErrorReason.INTERNAL };
}

function detailOf(err: unknown, reason: ErrorReason): ErrorDetail {
  const field = err instanceof NodeArgumentError ? err.field : err instanceof NodeLimitExceededError ? err.limit : '';
  const description = err instanceof NodeArgumentError || err instanceof NodeLimitExceededError ? err.description : '';
  return { $typeName: 'quorumkv.v1.ErrorDetail', reason, field, description };
}

function quorumOf(err: unknown): QuorumFailure | undefined {
  if (!(err instanceof NodeQuorumNotMetError)) return undefined;
  return {
    $typeName: 'quorumkv.v1.QuorumFailure',
    operation: err.operation,
    asked: err.asked,
    answered: err.answered,
    required: err.required,
    replicas: err.replicas.map((r) => ({ $typeName: 'quorumkv.v1.ReplicaAnswer', ...r })),
  };
}

/**
 * Maps any error thrown by the node to the ConnectError a client receives. A ConnectError passes
 * with its code, message and details: it is a peer's answer or connect-es's own. Its metadata is
 * dropped: on a peer's answer it holds the peer's HTTP response headers (content-length, date,
 * grpc-status...), which are not this response's and, written into a gRPC response, break it.
 */
export function toConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) {
    const names: string[] = [];
    err.metadata.forEach((_value, name) => names.push(name));
    for (const name of names) err.metadata.delete(name);
    return err;
  }
  const { code, reason } = classify(err);
  const message = err instanceof Error ? err.message : String(err);
  const ce = new ConnectError(message, code, undefined, [{ desc: ErrorDetailSchema, value: detailOf(err, reason) }], err);
  const quorum = quorumOf(err);
  if (quorum) ce.details.push({ desc: QuorumFailureSchema, value: quorum });
  return ce;
}

/** The same mapping for one failed operation inside a Session stream. */
export function toSessionError(err: unknown): SessionError {
  if (err instanceof ConnectError) {
    return {
      $typeName: 'quorumkv.v1.SessionError',
      code: err.code,
      message: err.rawMessage,
      quorum: err.findDetails(QuorumFailureSchema)[0],
      detail: err.findDetails(ErrorDetailSchema)[0],
    };
  }
  const { code, reason } = classify(err);
  return {
    $typeName: 'quorumkv.v1.SessionError',
    code,
    message: err instanceof Error ? err.message : String(err),
    quorum: quorumOf(err),
    detail: detailOf(err, reason),
  };
}
