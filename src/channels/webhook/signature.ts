import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * The webhook's signature, in the shape Stripe's `Stripe-Signature` has (and close to GitHub's
 * `X-Hub-Signature-256`, with a timestamp added against replays):
 *
 *     Dondoc-Signature: t=1765000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd
 *
 * `t` is the time of sending in Unix seconds; `v1` is the lower-case hex HMAC-SHA256, keyed with
 * the address's whole secret (`whsec_…`, as UTF-8), of `<t>.<the raw request body>`. A receiver
 * recomputes it over the bytes it received (before parsing the JSON), compares in constant time,
 * and refuses a `t` older than its tolerance (5 minutes by default) — a captured request replayed
 * later fails, and `Dondoc-Event-Id` lets it drop a repeat within the window. Several `v1=` may
 * come (a secret being rotated): one matching is enough.
 */
export const SIGNATURE_HEADER = 'dondoc-signature';
/** The signing scheme of `v1=`; other schemes in the header are ignored. */
export const SIGNATURE_SCHEME = 'v1';
/** Stripe's default tolerance: a signature older (or newer) than this is refused. */
export const DEFAULT_TOLERANCE_SECONDS = 300;
/** What every secret starts with (as Stripe's do), so that one pasted elsewhere is recognisable. */
export const SECRET_PREFIX = 'whsec_';

/** A new secret for one webhook address: `whsec_` and 32 random bytes in base64url (43 characters). */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64url');
}

/** Whether a text has a secret's form (what {@link generateWebhookSecret} makes). */
export const isWebhookSecret = (s: string): boolean => /^whsec_[A-Za-z0-9_-]{43}$/.test(s);

const hmac = (secret: string, timestamp: number, body: string | Buffer): string =>
  createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');

/** The `Dondoc-Signature` value for `body` sent at `timestamp` (Unix seconds). */
export function signWebhook(secret: string, body: string | Buffer, timestamp: number): string {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new RangeError('timestamp: Unix seconds');
  return `t=${timestamp},${SIGNATURE_SCHEME}=${hmac(secret, timestamp, body)}`;
}

export type VerifyResult =
  | { ok: true; timestamp: number }
  | {
      ok: false;
      /**
       * `malformed`: no `t=` or it is no number; `no-signature`: no `v1=`; `mismatch`: no `v1`
       * matches this body and secret; `expired`: `t` is older than the tolerance; `future`: `t` is
       * later than now by more than the tolerance (a clock far off, or a forged time).
       */
      reason: 'malformed' | 'no-signature' | 'mismatch' | 'expired' | 'future';
    };

/**
 * Checks a `Dondoc-Signature` header against the raw body a receiver got (the exact bytes; a body
 * parsed and serialised again will not match). The comparison is in constant time; the timestamp
 * must be within `toleranceSeconds` of `now` (Unix milliseconds, default the clock), either way.
 * The signature is checked before the time, so that a stale request and a forged one are told apart
 * only for a holder of the secret.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | string[] | undefined | null,
  body: string | Buffer,
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
  now: number = Date.now(),
): VerifyResult {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (typeof value !== 'string' || value.length > 4_096 || secret === '') return { ok: false, reason: 'malformed' };
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of value.split(',')) {
    const at = part.indexOf('=');
    if (at < 0) continue;
    const key = part.slice(0, at).trim();
    const v = part.slice(at + 1).trim();
    if (key === 't') {
      if (!/^\d{1,15}$/.test(v) || timestamp !== undefined) return { ok: false, reason: 'malformed' };
      timestamp = Number(v);
    } else if (key === SIGNATURE_SCHEME) signatures.push(v);
  }
  if (timestamp === undefined) return { ok: false, reason: 'malformed' };
  if (!signatures.length) return { ok: false, reason: 'no-signature' };
  const expected = Buffer.from(hmac(secret, timestamp, body), 'utf8');
  // Every candidate is compared (no early exit), each in constant time for its length.
  let match = false;
  for (const s of signatures) {
    const given = Buffer.from(s.toLowerCase(), 'utf8');
    if (given.length === expected.length && timingSafeEqual(given, expected)) match = true;
  }
  if (!match) return { ok: false, reason: 'mismatch' };
  const age = Math.floor(now / 1_000) - timestamp;
  if (age > toleranceSeconds) return { ok: false, reason: 'expired' };
  if (-age > toleranceSeconds) return { ok: false, reason: 'future' };
  return { ok: true, timestamp };
}
