import type { Prisma } from '#root/generated/prisma/client.js';
import type { ChannelAdapter, OutgoingMessage, Recipient } from '../types.js';

const row = (to: Recipient, message: OutgoingMessage): Prisma.OutboxMessageCreateManyInput => ({
  orgId: message.orgId,
  contactId: to.contactId,
  ...('reminderId' in message.ref ? { reminderId: message.ref.reminderId } : { digestId: message.ref.digestId }),
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
      const created = await tx.outboxMessage.createManyAndReturn({
        data: items.map((i) => row(i.to, i.message)),
        select: { id: true, reminderId: true, digestId: true },
      });
      // Matched by reference, not by position: RETURNING's order is not a promise SQL makes.
      const idOf = new Map(created.map((c) => [c.reminderId ?? c.digestId ?? '', c.id.toString()]));
      return items.map((i) => ({ externalId: idOf.get('reminderId' in i.message.ref ? i.message.ref.reminderId : i.message.ref.digestId) ?? null }));
    },
  };
}
