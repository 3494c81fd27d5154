import type { Db } from '#root/db/client.js';
import { dueInstant } from '#root/domain/obligation-state.js';
import type { Prisma } from '#root/generated/prisma/client.js';
import { NotFoundError, UserError } from '#root/errors/index.js';
import { createBatcher } from '#root/lib/batcher.js';
import { audit } from './audit.js';
import { serviceWords } from '#root/messages/service-words.js';

const obligationWords = serviceWords('obligations');

export type ConfirmOutcome = (
  | { status: 'confirmed'; obligationId: string; cancelledReminders: number }
  | { status: 'already-done'; obligationId: string; completedAt: Date | null }
) & {
  duty: { code: string; title: string };
  /** The obligation's period (with the duty's code, the code people type: "4.2-2026Q4"). */
  periodKey: string;
};

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

type ConfirmRow = {
  found: boolean;
  allowed: boolean;
  confirmed: boolean;
  cancelled: number;
  completed_at: Date | null;
  code: string | null;
  title: string | null;
  period_key: string | null;
};

/**
 * Confirmations arriving together (a hundred people pressing ✅ at once) are written by one SQL
 * statement: for each, the unit check, the confirmation (the first one per obligation wins), the
 * cancellation of every pending reminder and the audit row. One statement is one transaction:
 * nothing half-done, and one commit for the whole batch.
 */
async function confirmMany(db: Db, inputs: ConfirmInput[]): Promise<ConfirmRow[]> {
  const col = <T>(f: (i: ConfirmInput) => T) => inputs.map(f);
  const rows = await db.$queryRaw<(ConfirmRow & { ord: number })[]>`
    WITH input AS (
      SELECT * FROM unnest(${col((i) => i.obligationId)}::uuid[], ${col((i) => i.contactId)}::uuid[], ${col((i) => i.actor)}::text[],
                           ${col((i) => i.via)}::text[], ${col((i) => i.note?.trim() || null)}::text[], ${col((i) => i.now)}::timestamptz[],
                           ${inputs.map((_, k) => k)}::int[])
             AS i(obligation_id, contact_id, actor, via, note, at, ord)
    ), target AS (
      SELECT i.*, o.org_id, o.completed_at, o.period_key, d.code, d.title,
             (i.contact_id IS NULL OR EXISTS (SELECT 1 FROM contacts c WHERE c.id = i.contact_id AND c.active AND c.unit_id = o.unit_id)) AS allowed
        FROM input i JOIN obligations o ON o.id = i.obligation_id JOIN duties d ON d.id = o.duty_id
    ), winner AS (
      SELECT DISTINCT ON (obligation_id) * FROM target WHERE allowed ORDER BY obligation_id, ord
    ), done AS (
      UPDATE obligations o SET status = 'done', completed_at = w.at, updated_at = w.at
        FROM winner w WHERE o.id = w.obligation_id AND o.status = 'open'
      RETURNING o.id
    ), confirmation AS (
      INSERT INTO confirmations (id, org_id, obligation_id, contact_id, actor, via, note, created_at)
      SELECT gen_random_uuid(), w.org_id, w.obligation_id, w.contact_id, w.actor, w.via, w.note, w.at FROM winner w JOIN done ON done.id = w.obligation_id
    ), cancelled AS (
      UPDATE reminders r SET status = 'cancelled' WHERE r.obligation_id IN (SELECT id FROM done) AND r.status = 'pending' RETURNING r.obligation_id
    ), audited AS (
      INSERT INTO audit_events (org_id, actor, action, entity, entity_id, data)
      SELECT w.org_id, w.actor, 'obligation.confirm', 'obligation', w.obligation_id::text,
             jsonb_build_object('via', w.via, 'cancelledReminders', (SELECT count(*) FROM cancelled c WHERE c.obligation_id = w.obligation_id))
             || CASE WHEN w.note IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('note', w.note) END
        FROM winner w JOIN done ON done.id = w.obligation_id
    )
    SELECT i.ord,
           t.obligation_id IS NOT NULL AS found,
           COALESCE(t.allowed, false) AS allowed,
           COALESCE(w.ord = i.ord AND d.id IS NOT NULL, false) AS confirmed,
           (SELECT count(*) FROM cancelled c WHERE c.obligation_id = i.obligation_id)::int AS cancelled,
           t.completed_at, t.code, t.title, t.period_key
      FROM input i
      LEFT JOIN target t ON t.ord = i.ord
      LEFT JOIN winner w ON w.obligation_id = i.obligation_id
      LEFT JOIN done d ON d.id = i.obligation_id
     ORDER BY i.ord`;
  return rows;
}

const batchers = new WeakMap<Db, (input: ConfirmInput) => Promise<ConfirmRow>>();

/**
 * Confirms an obligation for its whole unit, once: the first confirmation wins (a conditional
 * update on `status = 'open'`), the others are told it was already done. A contact may confirm only
 * their own unit's obligations. See {@link confirmMany}: confirmations made within a couple of
 * milliseconds share one statement.
 */
export async function confirmObligation(db: Db, input: ConfirmInput): Promise<ConfirmOutcome> {
  let batch = batchers.get(db);
  if (!batch)
    batchers.set(
      db,
      (batch = createBatcher((inputs: ConfirmInput[]) => confirmMany(db, inputs), { maxSize: 200, maxWaitMs: 2 })),
    );
  const row = await batch(input);
  if (!row.found) throw new NotFoundError(obligationWords('noSuchObligation'));
  if (!row.allowed) throw new UserError(obligationWords('ownUnitOnly'));
  const duty = { code: row.code ?? '', title: row.title ?? '' };
  const periodKey = row.period_key ?? '';
  if (!row.confirmed)
    return { status: 'already-done', obligationId: input.obligationId, completedAt: row.completed_at, duty, periodKey };
  return { status: 'confirmed', obligationId: input.obligationId, cancelledReminders: row.cancelled, duty, periodKey };
}

/** Cancels what is still pending for an obligation (confirmed, waived or extended). */
export async function cancelPendingReminders(tx: Prisma.TransactionClient, obligationId: string): Promise<number> {
  const { count } = await tx.reminder.updateMany({
    where: { obligationId, status: 'pending' },
    data: { status: 'cancelled' },
  });
  return count;
}

/** Waives an obligation on the unit's behalf, with a reason (administrators only). */
export async function waiveObligation(
  db: Db,
  input: { obligationId: string; actor: string; reason: string; now: Date },
) {
  if (!input.reason.trim()) throw new UserError(obligationWords('reasonRequired'));
  return db.$transaction(async (tx) => {
    const { count } = await tx.obligation.updateMany({
      where: { id: input.obligationId, status: 'open' },
      data: { status: 'waived', completedAt: input.now },
    });
    if (count === 0) throw new UserError(obligationWords('notOpen'));
    const o = await tx.obligation.findUniqueOrThrow({ where: { id: input.obligationId } });
    const cancelled = await cancelPendingReminders(tx, o.id);
    await audit(tx, {
      orgId: o.orgId,
      actor: input.actor,
      action: 'obligation.waive',
      entity: 'obligation',
      entityId: o.id,
      data: { reason: input.reason, cancelledReminders: cancelled },
    });
    return { cancelledReminders: cancelled };
  });
}

/**
 * Moves an obligation's due instant (an approved extension): its pending reminders are cancelled,
 * and the planner computes new ones from the new date (their stage ids carry the due day).
 */
export async function extendObligation(
  db: Db,
  input: { obligationId: string; to: Date; actor: string; reason: string },
) {
  return db.$transaction(async (tx) => {
    const o = await tx.obligation.findUnique({ where: { id: input.obligationId } });
    if (!o || o.status !== 'open') throw new UserError(obligationWords('notOpen'));
    if (input.to.getTime() <= dueInstant(o).getTime()) {
      throw new UserError(obligationWords('newDueNotLater'));
    }
    await tx.obligation.update({ where: { id: o.id }, data: { extendedTo: input.to } });
    const cancelled = await cancelPendingReminders(tx, o.id);
    await audit(tx, {
      orgId: o.orgId,
      actor: input.actor,
      action: 'obligation.extend',
      entity: 'obligation',
      entityId: o.id,
      data: { to: input.to.toISOString(), reason: input.reason, cancelledReminders: cancelled },
    });
    return { cancelledReminders: cancelled };
  });
}
