import type { MemberState } from './messages.js';

/** A member as seen by the local node. */
export interface MemberInfo {
  id: string;
  /** Address the transport delivers to (opaque to this package). */
  address: string;
  state: MemberState;
  /** The member's own counter, bumped whenever it refutes an accusation or changes its meta. */
  incarnation: number;
  /** Application data attached by the member (e.g. its client endpoint). */
  meta: Uint8Array;
  /** Local clock time of the last state change. */
  stateChangedAtMs: number;
}

/** Kinds of member events. */
export type MemberEventType = 'joined' | 'suspect' | 'alive' | 'dead' | 'left' | 'updated';

/**
 * A member changed state. `joined`: first seen, or back after a graceful leave; `alive`: recovered from
 * suspect or dead (refuted); `suspect`: failed a probe and awaits its suspicion timeout; `dead`:
 * suspicion expired; `left`: left gracefully; `updated`: an alive member's meta or address changed.
 */
export interface MemberEvent {
  type: MemberEventType;
  atMs: number;
  member: MemberInfo;
}

/** A cluster metadata entry changed (locally via `setMetadata` or by gossip). */
export interface MetadataEvent {
  type: 'metadata';
  atMs: number;
  key: string;
  version: number;
  value: Uint8Array;
}

/** Everything a listener registered with `on` receives. */
export type MembershipEvent = MemberEvent | MetadataEvent;

/** Receives events after the call that caused them has finished updating state. */
export type MembershipListener = (event: MembershipEvent) => void;
