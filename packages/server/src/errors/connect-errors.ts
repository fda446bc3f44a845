// The one place where the node's typed errors become Connect codes and error details.
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import { StorageFullError } from '@quorumkv/storage';
import {
  FieldViolationSchema,
  QuorumFailureSchema,
  ReplicaAnswerSchema,
  SessionErrorSchema,
  type SessionError,
} from '@quorumkv/protocol';
import {
  DeadlineError,
  ForeignClusterError,
  InvalidArgumentError,
  NodeStorageFullError,
  NotReadyError,
  OverloadedError,
  QuorumNotMetError,
  TooManySiblingsError,
  type ReplicaOutcome,
} from './errors.js';

const answers = (replicas: ReplicaOutcome[]) => replicas.map((r) => create(ReplicaAnswerSchema, r));

function codeOf(err: unknown): Code {
  if (err instanceof ConnectError) return err.code;
  if (err instanceof InvalidArgumentError) return Code.InvalidArgument;
  if (err instanceof QuorumNotMetError) return Code.Unavailable;
  if (err instanceof OverloadedError) return Code.ResourceExhausted;
  if (err instanceof TooManySiblingsError) return Code.FailedPrecondition;
  if (err instanceof DeadlineError) return Code.DeadlineExceeded;
  if (err instanceof NodeStorageFullError || err instanceof StorageFullError) return Code.ResourceExhausted;
  if (err instanceof ForeignClusterError) return Code.FailedPrecondition;
  if (err instanceof NotReadyError) return Code.Unavailable;
  return Code.Internal;
}

/** Maps any error thrown by the node to the ConnectError a client receives. */
export function toConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const ce = new ConnectError(message, codeOf(err));
  if (err instanceof QuorumNotMetError) {
    ce.details.push({
      desc: QuorumFailureSchema,
      value: { operation: err.operation, asked: err.asked, answered: err.answered, required: err.required, replicas: answers(err.replicas) },
    });
  } else if (err instanceof InvalidArgumentError) {
    ce.details.push({ desc: FieldViolationSchema, value: { field: err.field, description: err.description } });
  }
  return ce;
}

/** The same mapping for one failed operation inside a Session stream. */
export function toSessionError(err: unknown): SessionError {
  const ce = toConnectError(err);
  return create(SessionErrorSchema, {
    code: ce.code,
    message: ce.rawMessage,
    quorum:
      err instanceof QuorumNotMetError
        ? create(QuorumFailureSchema, { operation: err.operation, asked: err.asked, answered: err.answered, required: err.required, replicas: answers(err.replicas) })
        : undefined,
    violation: err instanceof InvalidArgumentError ? create(FieldViolationSchema, { field: err.field, description: err.description }) : undefined,
  });
}

/** The Connect protocol's name of the code an error maps to ("failed_precondition", ...). */
export function connectCodeName(err: unknown): string {
  return Code[toConnectError(err).code].replace(/[A-Z]/g, (c, i: number) => (i === 0 ? c.toLowerCase() : `_${c.toLowerCase()}`));
}
