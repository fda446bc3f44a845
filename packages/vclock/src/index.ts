// The public API of @quorumkv/vclock. Everything a user needs is exported by name here; helper
// modules (varints, UTF-8, the byte reader, node-id checks) stay internal so they can change.

export { VClockDecodeError, InvalidClockError, type VClockDecodeErrorCode } from './errors.js';

export {
  type VersionVector,
  type Ordering,
  versionVector,
  emptyVersionVector,
  compareVersionVectors,
  descendsVersionVector,
  mergeVersionVectors,
  versionVectorsEqual,
} from './version-vector.js';

export {
  type VectorClock,
  type ClockEntry,
  type PruneOptions,
  DEFAULT_PRUNE_OPTIONS,
  emptyClock,
  vectorClock,
  increment,
  counterOf,
  compare,
  descends,
  merge,
  prune,
  toVersionVector,
} from './vector-clock.js';

export {
  type DVVSet,
  type Sibling,
  type Dot,
  emptySet,
  newSet,
  update,
  sync,
  join,
  values,
  siblingCount,
  compareSets,
  lww,
  map,
  filter,
} from './dvvset.js';

export {
  type ValueCodec,
  FORMAT_VERSION,
  bytesCodec,
  utf8Codec,
  encodeContext,
  decodeContext,
  encodeVectorClock,
  decodeVectorClock,
  encodeDVVSet,
  decodeDVVSet,
} from './codec.js';

export { type BoundContext, encodeBoundContext, decodeBoundContext } from './bound-context.js';
