import type { Db } from '#root/db/client.js';
import { UserError } from '#root/errors/index.js';
import { say } from '#root/messages/chat-words.js';
import { DeliveryError, type Recipient } from '../types.js';
import { checkWebhookUrl, maskWebhookUrl, WEBHOOK_URL_MAX, type AllowedHost, type WebhookUrlCheck } from './address.js';
import type { WebhookAddress, WebhookAddressLookup } from './index.js';
import { openWebhookSecret, sealWebhookSecret } from './secret-box.js';
import { generateWebhookSecret } from './signature.js';

/** A contact's webhook columns (`contacts.webhook_url`, `contacts.webhook_secret`, the secret sealed). */
export interface WebhookColumns {
  webhookUrl?: string | null;
  webhookSecret?: string | null;
}

/** The address of a contact's columns, its secret opened; null when it has none. */
function addressOf(c: WebhookColumns, secretKey: string): WebhookAddress | null {
  if (!c.webhookUrl || !c.webhookSecret) return null;
  const secret = openWebhookSecret(c.webhookSecret, secretKey);
  if (secret === undefined)
    throw new DeliveryError('webhook secret cannot be read (SECRET_KEY changed?): set the address again', {
      permanent: true,
      scope: 'address',
    });
  return { url: c.webhookUrl, secret };
}

/**
 * The address from the recipient itself, when the delivery loads every address column of the
 * contact into it (`webhookUrl`, `webhookSecret`): no query of its own.
 */
export function webhookAddressFromRecipient(secretKey: string): WebhookAddressLookup {
  return async (to: Recipient & WebhookColumns) => addressOf(to, secretKey);
}

/**
 * A contact's webhook address read from the database. A secret that no longer opens (SECRET_KEY
 * changed) is a permanent failure of the address: it must be set again.
 */
export function webhookAddressFromDb(db: Db, secretKey: string): WebhookAddressLookup {
  return async (to) => {
    const c = await db.contact.findUnique({
      where: { id: to.contactId },
      select: { webhookUrl: true, webhookSecret: true },
    });
    return c ? addressOf(c, secretKey) : null;
  };
}

/** A refused address as a UserError in both languages (a page shows its reader's). */
export function webhookUrlError(check: Extract<WebhookUrlCheck, { ok: false }>): UserError {
  const params = { text: check.text, count: WEBHOOK_URL_MAX };
  const key = `webhookUrl.${check.problem}` as const;
  return new UserError({ vi: say('vi', key, params), en: say('en', key, params) });
}

/**
 * The columns of an address an administrator typed: the URL checked (address.ts; a UserError
 * saying what is wrong when refused, nothing set), a new secret made and sealed. `secret` is the
 * secret in clear, to be shown once and never again.
 */
export function parseWebhookAddress(
  raw: string,
  options: { secretKey: string; allow?: readonly AllowedHost[] },
): { columns: { webhookUrl: string; webhookSecret: string }; secret: string; masked: string } {
  const check = checkWebhookUrl(raw, options.allow ?? []);
  if (!check.ok) throw webhookUrlError(check);
  const secret = generateWebhookSecret();
  return {
    columns: { webhookUrl: check.url, webhookSecret: sealWebhookSecret(secret, options.secretKey) },
    secret,
    masked: maskWebhookUrl(check.url),
  };
}

/** Whether a contact has a webhook address; and the address as lists show it (masked), null when none. */
export const hasWebhookAddress = (c: WebhookColumns): boolean => Boolean(c.webhookUrl && c.webhookSecret);
export const showWebhookAddress = (c: WebhookColumns): string | null =>
  c.webhookUrl ? maskWebhookUrl(c.webhookUrl) : null;
