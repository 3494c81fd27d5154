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
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeButton(action: ButtonAction, id: string): string {
  if (!UUID.test(id)) throw new Error(`not a uuid: ${id}`);
  return `${CODES[action]}:${Buffer.from(id.replace(/-/g, ''), 'hex').toString('base64url')}`;
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
