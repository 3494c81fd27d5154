import type { Db } from '#root/db/client.js';
import { obligationCode, pickByCode } from '#root/domain/obligation-code.js';
import { NotFoundError, UserError } from '#root/errors/index.js';
import { audit } from './audit.js';
import { confirmObligation, type ConfirmOutcome } from './confirmations.js';
import { serviceWords } from '#root/messages/service-words.js';

const outboxWords = serviceWords('outbox');

/** The sandbox outbox, newest first; `before` (a message id) pages to older ones. */
export async function listOutbox(
  db: Db,
  orgId: string,
  options: { limit: number; contactId?: string; before?: bigint },
) {
  return db.outboxMessage.findMany({
    where: {
      orgId,
      ...(options.contactId ? { contactId: options.contactId } : {}),
      ...(options.before === undefined ? {} : { id: { lt: options.before } }),
    },
    include: {
      contact: { include: { unit: true } },
      reminder: { include: { obligation: { include: { duty: true } } } },
    },
    orderBy: { id: 'desc' },
    take: options.limit,
  });
}

export async function getOutboxMessage(db: Db, orgId: string, id: string) {
  if (!/^\d{1,18}$/.test(id)) throw new UserError(outboxWords('invalidMessageId', { id }));
  const m = await db.outboxMessage.findFirst({
    where: { orgId, id: BigInt(id) },
    include: {
      contact: { include: { unit: true } },
      reminder: { include: { obligation: { include: { duty: true } } } },
    },
  });
  if (!m) throw new NotFoundError(outboxWords('noSuchMessage', { id }));
  return m;
}

const CONFIRM_WORDS = new Set(['xong', '/xong', 'done', '/done', 'da xong', 'đã xong', 'hoan thanh', 'hoàn thành']);

/** The contacts that have messages in the sandbox outbox, by name (the outbox page's filter). */
export async function outboxContacts(db: Db, orgId: string) {
  return db.contact.findMany({
    where: { orgId, outbox: { some: {} } },
    select: { id: true, name: true, unit: { select: { name: true } } },
    orderBy: { name: 'asc' },
  });
}

/** Whether the contact may answer a sandbox message with `xong`: a reminder asking their unit to confirm. */
export const answerable = (m: { reminder: { kind: string } | null }) =>
  m.reminder !== null && m.reminder.kind !== 'cooperating' && m.reminder.kind !== 'escalation';

/**
 * Answers a sandbox message as the contact it was sent to, as they would in chat. `xong` (or
 * `done`) confirms the reminder's obligation for their unit; in a day's message of several items,
 * `xong <mã>` confirms the item it names; anything else is refused clearly.
 * The confirmation is the contact's (actor `contact:<id>`); `actor`, when given (the
 * administrator answering on the web page), gets an audit row of its own saying who answered.
 */
export async function answerOutbox(
  db: Db,
  orgId: string,
  id: string,
  answer: string,
  note: string | null,
  now: Date,
  actor?: string,
): Promise<ConfirmOutcome> {
  const m = await getOutboxMessage(db, orgId, id);
  const word = answer.trim().toLowerCase();
  if (!CONFIRM_WORDS.has(word)) {
    throw new UserError(outboxWords('answerNotUnderstood', { answer }));
  }
  if (!m.reminder) throw new UserError(outboxWords('noConfirmationAsked'));
  if (!answerable(m)) {
    throw new UserError(outboxWords('informationOnly'));
  }
  // A day's message of several items: "xong <mã>" names the item (its first word of the note).
  let obligationId = m.reminder.obligationId;
  let rest = note;
  if (m.bundleId) {
    const items = await db.reminder.findMany({
      where: { bundleId: m.bundleId, kind: { in: ['lead', 'due', 'overdue'] } },
      include: { obligation: { include: { duty: true } } },
    });
    const distinct = [...new Map(items.map((i) => [i.obligationId, i.obligation])).values()].sort(
      (a, b) =>
        a.dueAt.getTime() - b.dueAt.getTime() || a.duty.code.localeCompare(b.duty.code, undefined, { numeric: true }),
    );
    if (distinct.length > 1) {
      const typed = note?.trim().split(/\s+/)[0] ?? '';
      const picked = typed
        ? pickByCode(typed, distinct, (o) => ({ dutyCode: o.duty.code, periodKey: o.periodKey }))
        : [];
      const codes = distinct.map((o) => obligationCode(o.duty.code, o.periodKey)).join(', ');
      if (picked.length !== 1) throw new UserError(outboxWords('whichItem', { count: distinct.length, codes }));
      obligationId = picked[0]!.id;
      rest = note!.trim().slice(typed.length).trim() || null;
    }
  }
  const outcome = await confirmObligation(db, {
    obligationId,
    contactId: m.contactId,
    actor: `contact:${m.contactId}`,
    via: 'sandbox',
    note: rest,
    now,
  });
  const text = [answer, note].filter(Boolean).join(' ');
  await db.$transaction(async (tx) => {
    await tx.outboxMessage.update({ where: { id: m.id }, data: { answeredAt: now, answer: text } });
    if (actor) {
      await audit(tx, {
        orgId,
        actor,
        action: 'outbox.answer',
        entity: 'outbox_message',
        entityId: m.id.toString(),
        data: { answer: text, contactId: m.contactId, obligationId, outcome: outcome.status },
      });
    }
  });
  return outcome;
}
