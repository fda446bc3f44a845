// Public API of @quorumkv/ring: a pure (no I/O, no Node built-ins) partition ring.

export type { NodeState, Ring, RingNode, RingNodeInit, RingTransition, SpreadViolations } from './types.js';

export {
  DEFAULT_PARTITION_COUNT,
  MAX_PARTITION_COUNT,
  MIN_PARTITION_COUNT,
  isValidPartitionCount,
  keyHash,
  partitionOf,
  type KeyInput,
} from './key-hash.js';
export { xxHash64 } from './hash.js';

export { DEFAULT_TARGET_N, DEFAULT_WEIGHT, DEFAULT_ZONE } from './ring-value.js';
export {
  createRing,
  nodeById,
  ownership,
  partitionsOwnedBy,
  spreadViolations,
  type CreateRingOptions,
} from './ring.js';

export {
  preferenceList,
  preferenceListForPartition,
  type IsUp,
  type PreferenceList,
  type PreferenceListOptions,
} from './preference-list.js';

export { apply, plan, type OwnershipChange, type PartitionMove, type PlanOptions, type RingPlan } from './claim.js';
export { planMove, planReplace } from './manual-plan.js';

export {
  allNodes,
  beginTransition,
  finishTransition,
  inTransition,
  markDone,
  partitionTransfers,
  pendingHolders,
  pendingPartitions,
  replicaSets,
  replicasAfter,
  targetRing,
  transfersOf,
  writeOnlyHolders,
  type ReplicaSets,
  type Transfer,
} from './transition.js';
export {
  balanceOf,
  summarizeTransition,
  type Balance,
  type OwnerRoute,
  type PartitionStats,
  type ReceiverTotals,
  type SummaryOptions,
  type TransitionSummary,
} from './transition-summary.js';

export { decodeRing, encodeRing } from './ring-codec.js';

export {
  CorruptRingError,
  DuplicateNodeError,
  RingArgumentError,
  InvalidNodeError,
  InvalidPartitionCountError,
  NotEnoughNodesError,
  RingError,
  NoTransitionError,
  StalePlanError,
  TransitionInProgressError,
  TransitionNotDoneError,
  UnknownNodeError,
  type RingErrorCode,
} from './errors.js';
