import type { Db } from '#root/db/client.js';
import { DeliveryError } from '../types.js';
import { checkWebhookUrl, maskWebhookUrl, type AllowedHost, type WebhookUrlProblem } from './address.js';
import type { WebhookAddressLookup } from './index.js';
import { openWebhookSecret, sealWebhookSecret } from './secret-box.js';
import { generateWebhookSecret } from './signature.js';

/**
 * A contact's webhook address from the database (`contacts.webhook_url`, `webhook_secret`), its
 * secret opened with the deployment's key. A secret that no longer opens (SECRET_KEY changed) is
 * a permanent failure of the address: it must be set again.
 */
export function webhookAddressFromDb(db: Db, secretKey: string): WebhookAddressLookup {
  return async (to) => {
    const c = await db.contact.findUnique({
      where: { id: to.contactId },
      select: { webhookUrl: true, webhookSecret: true },
    });
    if (!c?.webhookUrl || !c.webhookSecret) return null;
    const secret = openWebhookSecret(c.webhookSecret, secretKey, to.contactId);
    if (secret === undefined)
      throw new DeliveryError('webhook secret cannot be read (SECRET_KEY changed?): set the address again', {
        permanent: true,
        scope: 'address',
      });
    return { url: c.webhookUrl, secret };
  };
}

export type SetWebhookResult =
  { ok: true; url: string; masked: string; secret: string } | { ok: false; problem: WebhookUrlProblem; text: string };

/**
 * Sets a contact's webhook address, as an administrator typed it: checked (address.ts; nothing is
 * changed when it is refused), a new secret made, kept encrypted, and returned — to be shown once.
 * The channel is enabled again for the contact if it had been disabled. Audited with the address
 * masked, never the secret.
 */
export async function setWebhookAddress(
  db: Db,
  input: { orgId: string; contactId: string; url: string; actor: string },
  options: { secretKey: string; allow?: readonly AllowedHost[] },
): Promise<SetWebhookResult> {
  const check = checkWebhookUrl(input.url, options.allow ?? []);
  if (!check.ok) return check;
  const secret = generateWebhookSecret();
  const masked = maskWebhookUrl(check.url);
  await db.$transaction(async (tx) => {
    const contact = await tx.contact.findFirstOrThrow({ where: { id: input.contactId, orgId: input.orgId } });
    await tx.contact.update({
      where: { id: contact.id },
      data: {
        webhookUrl: check.url,
        webhookSecret: sealWebhookSecret(secret, options.secretKey, contact.id),
        disabledChannels: contact.disabledChannels.filter((c) => c !== 'webhook'),
      },
    });
    // The audit row written here (channels do not import services): the address masked, no secret.
    await tx.auditEvent.create({
      data: {
        orgId: input.orgId,
        actor: input.actor,
        action: 'contact.webhook',
        entity: 'contact',
        entityId: contact.id,
        data: { url: masked },
      },
    });
  });
  return { ok: true, url: check.url, masked, secret };
}

/** Removes a contact's webhook address and secret (audited). */
export async function clearWebhookAddress(
  db: Db,
  input: { orgId: string; contactId: string; actor: string },
): Promise<void> {
  await db.$transaction(async (tx) => {
    const contact = await tx.contact.findFirstOrThrow({ where: { id: input.contactId, orgId: input.orgId } });
    await tx.contact.update({ where: { id: contact.id }, data: { webhookUrl: null, webhookSecret: null } });
    await tx.auditEvent.create({
      data: {
        orgId: input.orgId,
        actor: input.actor,
        action: 'contact.webhook',
        entity: 'contact',
        entityId: contact.id,
        data: { url: null },
      },
    });
  });
}
