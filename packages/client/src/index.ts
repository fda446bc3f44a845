/**
 * The QuorumKV client SDK, runtime-agnostic core: no Node built-ins, so it bundles for browsers.
 * Most users import `@quorumkv/client/node` (HTTP/2) or `@quorumkv/client/web` (fetch), which
 * re-export all of this with a default transport.
 *
 * @packageDocumentation
 */
export { QuorumKvClient, createClient, type CoreClientOptions, type NodeStatus, type TypedGetOptions } from './client.js';
export type { ClientOptions, HedgeOptions } from './options.js';
export type { SessionOptions } from './session/session-floors.js';
export { DEFAULT_TIMEOUT_MS, DEFAULT_RING_REFRESH_INTERVAL_MS } from './options.js';
export {
  AdminClient,
  type AdminCallOptions,
  type BucketInfo,
  type BucketSpec,
  type ConflictModeName,
  type HandoffInfo,
  type HandoffStateName,
  type TransitionView,
  type RemainingTransfer,
  type HintsInfo,
  type HintTargetInfo,
  type LocalRecord,
  type MemberInfo,
  type OwnershipInfo,
  type PartitionProblemInfo,
  type RingView,
  type StatusInfo,
  type VerifyReport,
  type StagedChanges,
  type ClusterPlanInfo,
  type CreatedCluster,
  type ProposedNodeInfo,
} from './admin.js';
export type {
  CallOptions,
  DeleteOptions,
  DeleteResult,
  GetOptions,
  GetResult,
  KeyPage,
  ListKeysOptions,
  PutOptions,
  PutResult,
  Receipt,
  ReplicaReceipt,
  Sibling,
  SiblingResolver,
} from './types.js';
export {
  CancelledError,
  ClusterChangeError,
  ForeignClusterError,
  InsufficientStorageError,
  InvalidArgumentError,
  LimitExceededError,
  OverloadedError,
  PermissionDeniedError,
  QuorumKvError,
  QuorumNotMetError,
  StaleReadError,
  TimeoutError,
  TooManySiblingsError,
  UnauthenticatedError,
  UnavailableError,
  type ErrorOrigin,
  type ErrorReasonName,
  type QuorumFacts,
  type ReplicaOutcome,
} from './errors.js';
export { bytesToJson, bytesToString, bytesToStringStrict, fromBase64, jsonToBytes, toBase64, toBytes, type BytesInput } from './codec.js';
export { addressOf, baseUrlOf, type NodeConnection, type TransportFactory } from './transport.js';
export type { RetryOptions } from './retry.js';
export type { EwmaOptions } from './node-selector/ewma.js';
export type { NodeHealthOptions } from './node-selector/health.js';
