/**
 * @quorumkv/web — the dashboard's view logic (ring ownership, value rendering for the key
 * explorer). It runs in browsers on the SDK's web transport; the page itself is not built yet.
 *
 * @packageDocumentation
 */
export { displayValue, type DisplayedValue } from './value-display.js';
export { ownershipTable, type OwnershipRow, type RingShape } from './ownership.js';
