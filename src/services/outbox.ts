import type { Db } from '#root/db/client.js';
import { NotFoundError, UserError } from '#root/errors/index.js';
import { confirmObligation, type ConfirmOutcome } from './confirmations.js';

/** The sandbox outbox, newest first. */
export async function listOutbox(db: Db, orgId: string, options: { limit: number; contactId?: string }) {
  return db.outboxMessage.findMany({
    where: { orgId, ...(options.contactId ? { contactId: options.contactId } : {}) },
    include: { contact: { include: { unit: true } }, reminder: { include: { obligation: { include: { duty: true } } } } },
    orderBy: { id: 'desc' },
    take: options.limit,
  });
}

export async function getOutboxMessage(db: Db, orgId: string, id: string) {
  if (!/^\d{1,18}$/.test(id)) throw new UserError(`Mã thư «${id}» không hợp lệ / invalid message id`);
  const m = await db.outboxMessage.findFirst({
    where: { orgId, id: BigInt(id) },
    include: { contact: { include: { unit: true } }, reminder: { include: { obligation: { include: { duty: true } } } } },
  });
  if (!m) throw new NotFoundError(`Không có thư #${id} trong hộp thư thử / no sandbox message #${id}`);
  return m;
}

const CONFIRM_WORDS = new Set(['xong', '/xong', 'done', '/done', 'da xong', 'đã xong', 'hoan thanh', 'hoàn thành']);

/**
 * Answers a sandbox message as the contact it was sent to, as they would in chat. `xong` (or
 * `done`) confirms the reminder's obligation for their unit; anything else is refused clearly.
 */
export async function answerOutbox(db: Db, orgId: string, id: string, answer: string, note: string | null, now: Date): Promise<ConfirmOutcome> {
  const m = await getOutboxMessage(db, orgId, id);
  const word = answer.trim().toLowerCase();
  if (!CONFIRM_WORDS.has(word)) {
    throw new UserError(`Chưa hiểu câu trả lời «${answer}»; dùng: xong [ghi chú] / unknown answer; use: xong [note]`);
  }
  if (!m.reminder) throw new UserError('Thư này không hỏi xác nhận (ví dụ: thư tổng hợp) / this message asks for no confirmation');
  if (m.reminder.kind === 'cooperating' || m.reminder.kind === 'escalation') {
    throw new UserError('Thư này chỉ để thông tin; đơn vị chủ trì xác nhận / information only: the lead unit confirms');
  }
  const outcome = await confirmObligation(db, {
    obligationId: m.reminder.obligationId,
    contactId: m.contactId,
    actor: `contact:${m.contactId}`,
    via: 'sandbox',
    note,
    now,
  });
  await db.outboxMessage.update({ where: { id: m.id }, data: { answeredAt: now, answer: [answer, note].filter(Boolean).join(' ') } });
  return outcome;
}
