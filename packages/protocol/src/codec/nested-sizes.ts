// Sizes of nested messages for the hand-written codecs: computed once, in pre-order, before
// writing, and consumed in the same order while writing.
import type { ByteWriter } from '@quorumkv/bytes';
import { messageField } from './wire-writer.js';

/** Sizes of nested messages in pre-order, and where the writer is in them. */
export interface Sizes {
  list: number[];
  at: number;
}

/** Records a nested message's size slot before its children's. */
export function slot(s: Sizes): number {
  s.list.push(0);
  return s.list.length - 1;
}

/** Starts the next nested message field, with the size computed for it. */
export function nested(w: ByteWriter, field: number, s: Sizes): void {
  messageField(w, field, s.list[s.at++]!);
}

