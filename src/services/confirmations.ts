import type { Db } from '#root/db/client.js';
import type { Prisma } from '#root/generated/prisma/client.js';
import { NotFoundError, UserError } from '#root/errors/index.js';
import { audit } from './audit.js';

export type ConfirmOutcome = (
  | { status: 'confirmed'; obligationId: string; cancelledReminders: number }
  | { status: 'already-done'; obligationId: string; completedAt: Date | null }
) & { duty: { code: string; title: string } };

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
 * update on `status = 'open'`), the others are told it was already done. A contact may confirm only
 * their own unit's obligations. The check, the confirmation, the cancellation of every pending
 * reminder and the audit row are one SQL statement: atomic, and cheap enough for a hundred people
 * pressing ✅ at the same moment.
 */
export async function confirmObligation(db: Db, input: ConfirmInput): Promise<ConfirmOutcome> {
  const note = input.note?.trim() || null;
  const [row] = await db.$queryRaw<{ found: boolean; allowed: boolean; confirmed: boolean; cancelled: number; completed_at: Date | null; code: string | null; title: string | null }[]>`
    WITH target AS (
      SELECT o.id, o.org_id, o.unit_id, o.completed_at, d.code, d.title
        FROM obligations o JOIN duties d ON d.id = o.duty_id
       WHERE o.id = ${input.obligationId}::uuid
    ), allowed AS (
      SELECT ${input.contactId}::uuid IS NULL
             OR EXISTS (SELECT 1 FROM contacts c JOIN target t ON t.unit_id = c.unit_id WHERE c.id = ${input.contactId}::uuid AND c.active) AS ok
    ), done AS (
      UPDATE obligations SET status = 'done', completed_at = ${input.now}, updated_at = ${input.now}
       WHERE id = ${input.obligationId}::uuid AND status = 'open' AND (SELECT ok FROM allowed)
      RETURNING id, org_id
    ), confirmation AS (
      INSERT INTO confirmations (id, org_id, obligation_id, contact_id, actor, via, note, created_at)
      SELECT gen_random_uuid(), org_id, id, ${input.contactId}::uuid, ${input.actor}, ${input.via}, ${note}, ${input.now} FROM done
    ), cancelled AS (
      UPDATE reminders SET status = 'cancelled' WHERE obligation_id IN (SELECT id FROM done) AND status = 'pending' RETURNING 1
    ), audited AS (
      INSERT INTO audit_events (org_id, actor, action, entity, entity_id, data)
      SELECT org_id, ${input.actor}, 'obligation.confirm', 'obligation', id::text,
             jsonb_build_object('via', ${input.via}::text, 'cancelledReminders', (SELECT count(*) FROM cancelled))
             || CASE WHEN ${note}::text IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('note', ${note}::text) END
        FROM done
    )
    SELECT EXISTS (SELECT 1 FROM target) AS found,
           (SELECT ok FROM allowed) AS allowed,
           EXISTS (SELECT 1 FROM done) AS confirmed,
           (SELECT count(*) FROM cancelled)::int AS cancelled,
           t.completed_at, t.code, t.title
      FROM (SELECT 1) AS one LEFT JOIN target t ON true`;
  if (!row?.found) throw new NotFoundError('Không tìm thấy nghĩa vụ / no such obligation');
  if (!row.allowed) throw new UserError('Anh/chị chỉ xác nhận được nhiệm vụ của đơn vị mình / you may confirm only your own unit’s duties');
  const duty = { code: row.code ?? '', title: row.title ?? '' };
  if (!row.confirmed) return { status: 'already-done', obligationId: input.obligationId, completedAt: row.completed_at, duty };
  return { status: 'confirmed', obligationId: input.obligationId, cancelledReminders: row.cancelled, duty };
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
