import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  generateWebhookSecret,
  isWebhookSecret,
  signWebhook,
  verifyWebhookSignature,
} from '#root/channels/webhook/signature.js';

const body = JSON.stringify({ type: 'dondoc.reminder_bundle', version: 1, id: 'b-1', text: 'Kính gửi Sở Y tế' });
const now = Date.UTC(2026, 11, 7, 1, 30, 0);
const t = Math.floor(now / 1_000);

describe('the webhook signature', () => {
  const secret = generateWebhookSecret();

  it('is t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>"> with the whole secret as key', () => {
    const header = signWebhook(secret, body, t);
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    expect(header).toBe(`t=${t},v1=${expected}`);
    expect(verifyWebhookSignature(secret, header, body, 300, now)).toEqual({ ok: true, timestamp: t });
    // The same over the raw bytes.
    expect(verifyWebhookSignature(secret, header, Buffer.from(body), 300, now).ok).toBe(true);
  });

  it('refuses a tampered body, another secret, and a signature of another time', () => {
    const header = signWebhook(secret, body, t);
    expect(verifyWebhookSignature(secret, header, body.replace('Sở Y tế', 'Sở Tư pháp'), 300, now)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(verifyWebhookSignature(generateWebhookSecret(), header, body, 300, now)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    // The timestamp is signed: moving it breaks the signature.
    const moved = header.replace(`t=${t}`, `t=${t + 60}`);
    expect(verifyWebhookSignature(secret, moved, body, 300, now)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('refuses a signature older or newer than the tolerance (a replay), accepts one within it', () => {
    const old = signWebhook(secret, body, t - 301);
    expect(verifyWebhookSignature(secret, old, body, 300, now)).toEqual({ ok: false, reason: 'expired' });
    expect(verifyWebhookSignature(secret, signWebhook(secret, body, t - 299), body, 300, now).ok).toBe(true);
    expect(verifyWebhookSignature(secret, signWebhook(secret, body, t + 301), body, 300, now)).toEqual({
      ok: false,
      reason: 'future',
    });
    // A larger tolerance, the receiver's choice.
    expect(verifyWebhookSignature(secret, old, body, 600, now).ok).toBe(true);
  });

  it('accepts one matching v1 among several (a secret being rotated) and ignores other schemes', () => {
    const other = generateWebhookSecret();
    const mine = signWebhook(secret, body, t).split(',')[1]!;
    const theirs = signWebhook(other, body, t).split(',')[1]!;
    expect(verifyWebhookSignature(secret, `t=${t},${theirs},${mine},v0=abc`, body, 300, now).ok).toBe(true);
    expect(verifyWebhookSignature(other, `t=${t},${theirs},${mine}`, body, 300, now).ok).toBe(true);
  });

  it('says what is wrong with a malformed header', () => {
    const v1 = signWebhook(secret, body, t).split(',')[1]!;
    expect(verifyWebhookSignature(secret, undefined, body, 300, now)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyWebhookSignature(secret, '', body, 300, now)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyWebhookSignature(secret, v1, body, 300, now)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyWebhookSignature(secret, `t=abc,${v1}`, body, 300, now)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyWebhookSignature(secret, `t=${t},t=${t},${v1}`, body, 300, now)).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(verifyWebhookSignature(secret, `t=${t}`, body, 300, now)).toEqual({ ok: false, reason: 'no-signature' });
    expect(verifyWebhookSignature(secret, `t=${t},v1=zz`, body, 300, now)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyWebhookSignature('', signWebhook(secret, body, t), body, 300, now)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('makes secrets of 32 random bytes, whsec_ and base64url, each different', () => {
    const secrets = new Set(Array.from({ length: 50 }, generateWebhookSecret));
    expect(secrets.size).toBe(50);
    for (const s of secrets) {
      expect(isWebhookSecret(s)).toBe(true);
      expect(Buffer.from(s.slice('whsec_'.length), 'base64url')).toHaveLength(32);
    }
    expect(isWebhookSecret('whsec_short')).toBe(false);
  });
});
