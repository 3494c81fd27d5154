import type { Db } from '#root/db/client.js';
import type { Prisma } from '#root/generated/prisma/client.js';
import { NotFoundError, UserError } from '#root/errors/index.js';
import { audit } from './audit.js';

export type ConfirmOutcome =
  | { status: 'confirmed'; obligationId: string; cancelledReminders: number }
  | { status: 'already-done'; obligationId: string; completedAt: Date | null };

export interface ConfirmInput {
  obligationId: string;
  /** The contact confirming for their unit, or null when an administrator acts on the unit's behalf. */
  contactId: string | null;
  /** Who, for the audit log ("contact:<id>", "cli:<user>", "web:<email>"). */
  actor: string;
  via: 'chat' | 'email' | 'web' | 'cli' | 'sandbox';
  note?: string | null;
  now: Date;
}

/**
 * Confirms an obligation for its whole unit, once: the first confirmation wins (a conditional
 * update on `status = 'open'`), the others are told it was already done. Every pending reminder of
 * the obligation is cancelled in the same transaction. A contact may confirm only their own unit's
 * obligations.
 */
export async function confirmObligation(db: Db, input: ConfirmInput): Promise<ConfirmOutcome> {
  return db.$transaction(async (tx) => {
    const obligation = await tx.obligation.findUnique({ where: { id: input.obligationId } });
    if (!obligation) throw new NotFoundError('Không tìm thấy nghĩa vụ / no such obligation');
    if (input.contactId) {
      const contact = await tx.contact.findUnique({ where: { id: input.contactId } });
      if (!contact || !contact.active || contact.unitId !== obligation.unitId) {
        throw new UserError('Anh/chị chỉ xác nhận được nhiệm vụ của đơn vị mình / you may confirm only your own unit’s duties');
      }
    }
    const { count } = await tx.obligation.updateMany({
      where: { id: obligation.id, status: 'open' },
      data: { status: 'done', completedAt: input.now },
    });
    if (count === 0) return { status: 'already-done', obligationId: obligation.id, completedAt: obligation.completedAt };
    await tx.confirmation.create({
      data: {
        orgId: obligation.orgId,
        obligationId: obligation.id,
        contactId: input.contactId,
        actor: input.actor,
        via: input.via,
        note: input.note?.trim() || null,
        createdAt: input.now,
      },
    });
    const cancelled = await cancelPendingReminders(tx, obligation.id);
    await audit(tx, {
      orgId: obligation.orgId,
      actor: input.actor,
      action: 'obligation.confirm',
      entity: 'obligation',
      entityId: obligation.id,
      data: { via: input.via, cancelledReminders: cancelled, ...(input.note ? { note: input.note } : {}) },
    });
    return { status: 'confirmed', obligationId: obligation.id, cancelledReminders: cancelled };
  });
}

/** Cancels what is still pending for an obligation (confirmed, waived or extended). */
export async function cancelPendingReminders(tx: Prisma.TransactionClient, obligationId: string): Promise<number> {
  const { count } = await tx.reminder.updateMany({ where: { obligationId, status: 'pending' }, data: { status: 'cancelled' } });
  return count;
}

/** Waives an obligation on the unit's behalf, with a reason (administrators only). */
export async function waiveObligation(db: Db, input: { obligationId: string; actor: string; reason: string; now: Date }) {
  if (!input.reason.trim()) throw new UserError('Cần lý do / a reason is required');
  return db.$transaction(async (tx) => {
    const { count } = await tx.obligation.updateMany({
      where: { id: input.obligationId, status: 'open' },
      data: { status: 'waived', completedAt: input.now },
    });
    if (count === 0) throw new UserError('Nghĩa vụ không còn mở / the obligation is not open');
    const o = await tx.obligation.findUniqueOrThrow({ where: { id: input.obligationId } });
    const cancelled = await cancelPendingReminders(tx, o.id);
    await audit(tx, { orgId: o.orgId, actor: input.actor, action: 'obligation.waive', entity: 'obligation', entityId: o.id, data: { reason: input.reason, cancelledReminders: cancelled } });
    return { cancelledReminders: cancelled };
  });
}

/**
 * Moves an obligation's due instant (an approved extension): its pending reminders are cancelled,
 * and the planner computes new ones from the new date (their stage ids carry the due day).
 */
export async function extendObligation(db: Db, input: { obligationId: string; to: Date; actor: string; reason: string }) {
  return db.$transaction(async (tx) => {
    const o = await tx.obligation.findUnique({ where: { id: input.obligationId } });
    if (!o || o.status !== 'open') throw new UserError('Nghĩa vụ không còn mở / the obligation is not open');
    if (input.to.getTime() <= (o.extendedTo ?? o.dueAt).getTime()) {
      throw new UserError('Hạn mới phải sau hạn hiện tại / the new due date must be later');
    }
    await tx.obligation.update({ where: { id: o.id }, data: { extendedTo: input.to } });
    const cancelled = await cancelPendingReminders(tx, o.id);
    await audit(tx, { orgId: o.orgId, actor: input.actor, action: 'obligation.extend', entity: 'obligation', entityId: o.id, data: { to: input.to.toISOString(), reason: input.reason, cancelledReminders: cancelled } });
    return { cancelledReminders: cancelled };
  });
}
