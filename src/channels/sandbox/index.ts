import type { ChannelAdapter } from '../types.js';

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
      const row = await tx.outboxMessage.create({
        data: {
          orgId: message.orgId,
          contactId: to.contactId,
          ...('reminderId' in message.ref ? { reminderId: message.ref.reminderId } : { digestId: message.ref.digestId }),
          subject: message.subject,
          body: message.text,
        },
      });
      return { externalId: row.id.toString() };
    },
  };
}
