/**
 * Inline-button data: `<action>:<obligation id as 22 base64url characters>` — 24 bytes, well under
 * Telegram's 64. The data names what was pressed, never who may press it: every press is checked
 * against the presser's own unit and role before anything changes, so made-up or replayed data
 * changes nothing it should not.
 */
export type ButtonAction = 'done' | 'list';

const CODES: Record<ButtonAction, string> = { done: 'x', list: 'l' };
const ACTIONS = Object.fromEntries(Object.entries(CODES).map(([a, c]) => [c, a as ButtonAction]));
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function encodeButton(action: ButtonAction, obligationId: string): string {
  if (!UUID.test(obligationId)) throw new Error(`not an obligation id: ${obligationId}`);
  return `${CODES[action]}:${Buffer.from(obligationId.replace(/-/g, ''), 'hex').toString('base64url')}`;
}

export function decodeButton(data: string): { action: ButtonAction; obligationId: string } | null {
  const m = /^([a-z]):([A-Za-z0-9_-]{22})$/.exec(data);
  const action = m ? ACTIONS[m[1]!] : undefined;
  if (!m || !action) return null;
  const hex = Buffer.from(m[2]!, 'base64url').toString('hex');
  if (hex.length !== 32) return null;
  return { action, obligationId: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}` };
}
