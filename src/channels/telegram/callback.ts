/**
 * Inline-button data: `<action>:<id as 22 base64url characters>` — 24 bytes, well under
 * Telegram's 64. The data names what was pressed, never who may press it: every press is checked
 * against the presser's own unit and role before anything changes, so made-up or replayed data
 * changes nothing it should not.
 */
/** done/list/extend name an obligation; approve/refuse an extension request. */
export type ButtonAction = 'done' | 'list' | 'extend' | 'approve' | 'refuse';

const CODES: Record<ButtonAction, string> = { done: 'x', list: 'l', extend: 'g', approve: 'a', refuse: 'r' };
const ACTIONS = Object.fromEntries(Object.entries(CODES).map(([a, c]) => [c, a as ButtonAction]));
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** The two base64url characters of each 12-bit value (three hex digits). */
const PAIRS = Array.from({ length: 4096 }, (_, v) => BASE64URL[v >> 6]! + BASE64URL[v & 63]!);
/** The value of a lower-case hex digit by its character code; -1 for any other character. */
const HEX = new Int8Array(128).fill(-1);
for (let c = 0; c < 16; c++) HEX['0123456789abcdef'.charCodeAt(c)] = c;
const hexAt = (id: string, at: number) => {
  const code = id.charCodeAt(at);
  return code < 128 ? HEX[code]! : -1;
};
/** Where the 32 hex digits of a uuid (`8-4-4-4-12`) are in its text. */
const DIGIT_AT = Array.from(
  { length: 32 },
  (_, k) => k + Number(k >= 8) + Number(k >= 12) + Number(k >= 16) + Number(k >= 20),
);

/**
 * The 16 bytes of a lower-case uuid in base64url, unpadded (22 characters); null when `id` is not
 * one. Every message's buttons encode two per item: done by hand, three hex digits to two
 * characters, it gives what `Buffer.from(hex, 'hex').toString('base64url')` gives at a fifth of
 * its cost (no regular expression, no buffers).
 */
function uuidBase64url(id: string): string | null {
  if (id.length !== 36) return null;
  if (id[8] !== '-' || id[13] !== '-' || id[18] !== '-' || id[23] !== '-') return null;
  let out = '';
  for (let k = 0; k < 30; k += 3) {
    const a = hexAt(id, DIGIT_AT[k]!);
    const b = hexAt(id, DIGIT_AT[k + 1]!);
    const c = hexAt(id, DIGIT_AT[k + 2]!);
    if ((a | b | c) < 0) return null;
    out += PAIRS[(a << 8) | (b << 4) | c]!;
  }
  // The last byte: two characters, no padding.
  const a = hexAt(id, 34);
  const b = hexAt(id, 35);
  if ((a | b) < 0) return null;
  return out + BASE64URL[(a << 2) | (b >> 2)]! + BASE64URL[(b & 3) << 4]!;
}

export function encodeButton(action: ButtonAction, id: string): string {
  const encoded = uuidBase64url(id);
  if (encoded === null) throw new Error(`not a uuid: ${id}`);
  return `${CODES[action]}:${encoded}`;
}

export function decodeButton(data: string): { action: ButtonAction; id: string } | null {
  const m = /^([a-z]):([A-Za-z0-9_-]{22})$/.exec(data);
  const action = m ? ACTIONS[m[1]!] : undefined;
  if (!m || !action) return null;
  const hex = Buffer.from(m[2]!, 'base64url').toString('hex');
  if (hex.length !== 32) return null;
  return {
    action,
    id: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`,
  };
}
