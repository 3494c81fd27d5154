import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed, expiring one-click links (email confirmations). The token names one obligation and one
 * contact and expires; it is an HMAC-SHA256 over both under SECRET_KEY, so it cannot be re-targeted
 * at another obligation or forged. Replays do nothing: an obligation is confirmed once.
 */
export interface LinkClaims {
  obligationId: string;
  contactId: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

/**
 * How long a confirmation link works, counted from when its message is sent (not from the due
 * date: an overdue reminder's link would be born expired). 30 days: long enough to act on any
 * reminder, and every later reminder carries a fresh link.
 */
export const LINK_VALIDITY_SECONDS = 30 * 86_400;

/** The expiry of a link minted at `now`: {@link LINK_VALIDITY_SECONDS} later, in seconds since the epoch. */
export const linkExpiry = (now: Date): number => Math.floor(now.getTime() / 1000) + LINK_VALIDITY_SECONDS;

const b64 = (b: Buffer) => b.toString('base64url');
const hex = (s: string) => Buffer.from(s.replace(/-/g, ''), 'hex');
const uuid = (b: Buffer) => {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

export function signLink(claims: LinkClaims, secret: string): string {
  const exp = Buffer.alloc(4);
  exp.writeUInt32BE(claims.exp);
  const body = Buffer.concat([hex(claims.obligationId), hex(claims.contactId), exp]);
  const mac = createHmac('sha256', secret).update('confirm-link-v1').update(body).digest().subarray(0, 16);
  return `${b64(body)}.${b64(mac)}`;
}

/**
 * A link checked: its claims when it is ours and in time; an expired link of ours still names its
 * claims (the page saying it expired speaks the contact's language), a malformed or forged one none.
 */
export type LinkCheck =
  | { ok: true; claims: LinkClaims }
  | { ok: false; reason: 'expired'; claims: LinkClaims }
  | { ok: false; reason: 'malformed' | 'forged' };

export function verifyLink(token: string, secret: string, now: Date): LinkCheck {
  const [bodyPart, macPart, extra] = token.split('.');
  if (!bodyPart || !macPart || extra !== undefined) return { ok: false, reason: 'malformed' };
  const body = Buffer.from(bodyPart, 'base64url');
  const mac = Buffer.from(macPart, 'base64url');
  if (body.length !== 36 || mac.length !== 16) return { ok: false, reason: 'malformed' };
  const expected = createHmac('sha256', secret).update('confirm-link-v1').update(body).digest().subarray(0, 16);
  if (!timingSafeEqual(mac, expected)) return { ok: false, reason: 'forged' };
  const exp = body.readUInt32BE(32);
  const claims = { obligationId: uuid(body.subarray(0, 16)), contactId: uuid(body.subarray(16, 32)), exp };
  if (exp * 1000 < now.getTime()) return { ok: false, reason: 'expired', claims };
  return { ok: true, claims };
}
