import type { Prisma } from '#root/generated/prisma/client.js';
import type { ChannelAdapter, OutgoingMessage, Recipient } from '../types.js';

const row = (to: Recipient, message: OutgoingMessage): Prisma.OutboxMessageCreateManyInput => ({
  orgId: message.orgId,
  contactId: to.contactId,
  ...('reminderId' in message.ref
    ? { reminderId: message.ref.reminderId, ...(message.ref.bundleId ? { bundleId: message.ref.bundleId } : {}) }
    : { digestId: message.ref.digestId }),
  subject: message.subject,
  body: message.text,
});

/**
 * The sandbox outbox: messages are rows in PostgreSQL, written in the same transaction that claims
 * and records the reminder, so each is delivered exactly once. The administrator reads them with
 * `dondoc outbox` (and on the web page) and can answer as the contact.
 */
export function createSandboxChannel(): ChannelAdapter {
  return {
    name: 'sandbox',
    transactional: true,
    async send(tx, to, message) {
      const created = await tx.outboxMessage.create({ data: row(to, message) });
      return { externalId: created.id.toString() };
    },
    async sendMany(tx, items) {
      // One INSERT for the whole batch (the hot path of a busy worker).
      const ref = (m: OutgoingMessage) => ('reminderId' in m.ref ? m.ref.reminderId : m.ref.digestId);
      const created = await tx.$queryRaw<{ id: bigint; ref: string }[]>`
        INSERT INTO outbox_messages (org_id, contact_id, reminder_id, digest_id, bundle_id, subject, body)
        SELECT * FROM unnest(
          ${items.map((i) => i.message.orgId)}::uuid[],
          ${items.map((i) => i.to.contactId)}::uuid[],
          ${items.map((i) => ('reminderId' in i.message.ref ? i.message.ref.reminderId : null))}::uuid[],
          ${items.map((i) => ('digestId' in i.message.ref ? i.message.ref.digestId : null))}::uuid[],
          ${items.map((i) => ('reminderId' in i.message.ref ? (i.message.ref.bundleId ?? null) : null))}::uuid[],
          ${items.map((i) => i.message.subject)}::text[],
          ${items.map((i) => i.message.text)}::text[])
        RETURNING id, COALESCE(reminder_id, digest_id)::text AS ref`;
      // Matched by reference, not by position: RETURNING's order is not a promise SQL makes.
      const idOf = new Map(created.map((c) => [c.ref, c.id.toString()]));
      return items.map((i) => ({ externalId: idOf.get(ref(i.message)) ?? null }));
    },
  };
}
