// How an actor (the name dots are minted under) is spelled: `nodeId~incarnation.epoch`.
// `incarnation` names one life of a data dir (a node whose disk was lost gets a new one) and `epoch`
// (base 36) one run of a key's writes on it; see actor-epochs.ts for when a new epoch is taken.
// Node ids cannot contain `~` (config validation), so the node id is everything before the last one.

const NODE_SEPARATOR = '~';
const EPOCH_SEPARATOR = '.';

/** The node id of an actor id (`n1~k3j9x2.1z` → `n1`). */
export function nodeOfActor(actor: string): string {
  const i = actor.lastIndexOf(NODE_SEPARATOR);
  return i < 0 ? actor : actor.slice(0, i);
}

/** The actor id of an epoch of one incarnation of a node. */
export function formatActor(nodeId: string, incarnation: string, epoch: number): string {
  return `${nodeId}${NODE_SEPARATOR}${incarnation}${EPOCH_SEPARATOR}${epoch.toString(36)}`;
}

/** The prefix every actor of one incarnation of a node starts with. */
export function actorPrefix(nodeId: string, incarnation: string): string {
  return `${nodeId}${NODE_SEPARATOR}${incarnation}${EPOCH_SEPARATOR}`;
}

/** The epoch of `actor` when it starts with `prefix` (see {@link actorPrefix}), else undefined. */
export function epochOfActor(actor: string, prefix: string): number | undefined {
  if (!actor.startsWith(prefix) || actor.length === prefix.length) return undefined;
  const digits = actor.slice(prefix.length);
  if (!/^[0-9a-z]{1,11}$/.test(digits)) return undefined;
  const epoch = parseInt(digits, 36);
  return Number.isSafeInteger(epoch) && epoch > 0 ? epoch : undefined;
}
