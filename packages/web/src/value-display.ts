/** How the key explorer shows a stored value. */
export interface DisplayedValue {
  /** `json` when the bytes are UTF-8 JSON, `text` for other printable UTF-8, `hex` otherwise. */
  kind: 'json' | 'text' | 'hex';
  /** What to show (pretty-printed JSON, the text, or hex pairs); cut at `maxChars`. */
  text: string;
  /** True when `text` was cut. */
  truncated: boolean;
  bytes: number;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function isPrintable(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
    if (c === 0x7f) return false;
  }
  return true;
}

/**
 * Chooses a readable rendering of value bytes: values are opaque to QuorumKV, so the dashboard
 * guesses, preferring JSON, then text, and falls back to hex for anything binary.
 */
export function displayValue(value: Uint8Array, maxChars = 4096): DisplayedValue {
  let text: string | undefined;
  try {
    text = decoder.decode(value);
  } catch {
    text = undefined;
  }
  let kind: DisplayedValue['kind'] = 'hex';
  let shown: string;
  if (text !== undefined && isPrintable(text)) {
    kind = 'text';
    shown = text;
    const trimmed = text.trim();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      try {
        shown = JSON.stringify(JSON.parse(trimmed), null, 2);
        kind = 'json';
      } catch {
        // not JSON after all
      }
    }
  } else {
    shown = Array.from(value.subarray(0, Math.ceil(maxChars / 3)), (b) => b.toString(16).padStart(2, '0')).join(' ');
  }
  const truncated = shown.length > maxChars || (kind === 'hex' && value.length * 3 - 1 > maxChars);
  return { kind, text: shown.slice(0, maxChars), truncated, bytes: value.length };
}
