import { stat } from 'node:fs/promises';
import path from 'node:path';
import { formatInTimeZone } from 'date-fns-tz';
import type { Db } from '#root/db/client.js';
import { dueInstant, obligationState, type ObligationState } from '#root/domain/obligation-state.js';
import { dayInWords, type Lang } from '#root/domain/wording.js';
import { zonedDay } from '#root/domain/zoned-day.js';
import { NotFoundError, UserError } from '#root/errors/index.js';
import { say } from '#root/messages/chat-words.js';
import { actorNamer } from './actors.js';
import { decideExtensionAs } from './chat.js';
import { confirmObligation, waiveObligation } from './confirmations.js';
import { audit } from './audit.js';
import { isUuid } from './units.js';
import { nudge } from './nudge.js';
import { serviceWords } from '#root/messages/service-words.js';

/**
 * What an administrator does on a unit's behalf from the web pages: confirm, waive, nudge, decide
 * an extension request. Each takes the organisation of the administrator and refuses an id of
 * another one (or a malformed one) as not found, before anything is written; each needs a reason,
 * kept in the audit row with the administrator's name.
 */

const obligationWords = serviceWords('obligations');

const noObligation = () => new NotFoundError(obligationWords('noSuchObligationInOrg'));

function needReason(reason: string) {
  if (reason.trim().length < 3) throw new UserError(obligationWords('reasonTooShort'));
}

/** An obligation of the organisation, or NotFoundError (another organisation's id is not found). */
export async function obligationOfOrg(db: Db, orgId: string, id: string) {
  if (!isUuid(id)) throw noObligation();
  const o = await db.obligation.findFirst({
    where: { id, orgId },
    include: { duty: { include: { plan: true } }, unit: true },
  });
  if (!o) throw noObligation();
  return o;
}

export interface ObligationDetail {
  obligation: Awaited<ReturnType<typeof obligationOfOrg>>;
  state: ObligationState;
  timeZone: string;
  confirmations: {
    id: string;
    who: string;
    via: string;
    note: string | null;
    fileName: string | null;
    at: Date;
    withdrawnAt: Date | null;
  }[];
  /** `stored`: a copy is kept in STORAGE_DIR (downloadable). */
  evidence: {
    id: string;
    fileName: string;
    size: number;
    via: string;
    who: string | null;
    at: Date;
    stored: boolean;
  }[];
  extensions: {
    id: string;
    requestedDue: Date;
    reason: string;
    status: 'pending' | 'approved' | 'refused';
    who: string | null;
    decidedBy: string | null;
    decidedAt: Date | null;
    at: Date;
  }[];
  /** Reminders of the obligation by status (pending, sent, failed…). */
  reminders: Record<string, number>;
  lastReminderAt: Date | null;
}

/** One obligation with its history: confirmations, evidence, extension requests, reminders by status. */
export async function obligationDetail(
  db: Db,
  orgId: string,
  id: string,
  now: Date,
  lang: Lang = 'vi',
): Promise<ObligationDetail> {
  const obligation = await obligationOfOrg(db, orgId, id);
  const [org, confirmations, evidence, extensions, reminders, last, actorName] = await Promise.all([
    db.organisation.findUniqueOrThrow({ where: { id: orgId }, select: { timeZone: true } }),
    db.confirmation.findMany({
      where: { obligationId: id },
      include: { contact: true },
      orderBy: { createdAt: 'asc' },
    }),
    db.evidence.findMany({ where: { obligationId: id }, include: { contact: true }, orderBy: { createdAt: 'asc' } }),
    db.extensionRequest.findMany({
      where: { obligationId: id },
      include: { contact: true },
      orderBy: { createdAt: 'asc' },
    }),
    db.reminder.groupBy({ by: ['status'], where: { obligationId: id }, _count: { _all: true } }),
    db.reminder.findFirst({
      where: { obligationId: id, sentAt: { not: null } },
      orderBy: { sentAt: 'desc' },
      select: { sentAt: true },
    }),
    actorNamer(db, orgId, lang),
  ]);
  return {
    obligation,
    state: obligationState(obligation, now),
    timeZone: org.timeZone,
    confirmations: confirmations.map((c) => ({
      id: c.id,
      who: c.contact?.name ?? (c.actor ? actorName(c.actor) : '?'),
      via: c.via,
      note: c.note,
      fileName: c.fileName,
      at: c.createdAt,
      withdrawnAt: c.withdrawnAt,
    })),
    evidence: evidence.map((e) => ({
      id: e.id,
      fileName: e.fileName,
      size: e.size,
      via: e.via,
      who: e.contact?.name ?? null,
      at: e.createdAt,
      stored: e.storagePath !== null,
    })),
    extensions: extensions.map((x) => ({
      id: x.id,
      requestedDue: x.requestedDue,
      reason: x.reason,
      status: x.status,
      who: x.contact?.name ?? null,
      decidedBy: x.decidedBy,
      decidedAt: x.decidedAt,
      at: x.createdAt,
    })),
    reminders: Object.fromEntries(reminders.map((r) => [r.status, r._count._all])),
    lastReminderAt: last?.sentAt ?? null,
  };
}

/**
 * What a unit's people are told in chat after an administrator acted for it (sent by the command
 * service's `announce`, where the process has a chat bot): the text, and for an obligation
 * confirmed or waived, what the messages of its reminders now say.
 */
export interface UnitNotice {
  unitId: string;
  /** The text, in each recipient's language. */
  text: (lang: Lang) => string;
  /** What the reminder messages now say (in Vietnamese: they may have gone to people of both languages). */
  closed?: { obligationId: string; text: string };
}

const at = (d: Date, zone: string) =>
  say('vi', 'timeOnDay', { time: formatInTimeZone(d, zone, 'HH:mm'), date: formatInTimeZone(d, zone, 'dd/MM/yyyy') });
const dutyWords = (duty: { code: string; title: string }) => ({ code: duty.code, title: duty.title });
const timeZoneOf = async (db: Db, orgId: string) =>
  (await db.organisation.findUniqueOrThrow({ where: { id: orgId }, select: { timeZone: true } })).timeZone;

/** Confirms an open obligation on the unit's behalf (via "web", the reason as the confirmation's note). */
export async function confirmOnBehalf(
  db: Db,
  orgId: string,
  input: { obligationId: string; actor: string; by: string; reason: string; now: Date },
) {
  needReason(input.reason);
  const o = await obligationOfOrg(db, orgId, input.obligationId);
  if (o.status === 'waived') throw new UserError(obligationWords('waivedNotConfirmable'));
  const outcome = await confirmObligation(db, {
    obligationId: o.id,
    contactId: null,
    actor: input.actor,
    via: 'web',
    note: input.reason,
    now: input.now,
  });
  if (outcome.status === 'already-done') throw new UserError(obligationWords('alreadyConfirmed'));
  const zone = await timeZoneOf(db, orgId);
  const notice: UnitNotice = {
    unitId: o.unitId,
    text: (lang) =>
      say(lang, 'notice.confirmedFor', {
        ...dutyWords(o.duty),
        admin: input.by,
        unit: o.unit.name,
        reason: input.reason.slice(0, 500),
      }),
    closed: {
      obligationId: o.id,
      text: say('vi', 'notice.closedDone', { admin: input.by, when: at(input.now, zone) }),
    },
  };
  return { obligation: o, cancelledReminders: outcome.cancelledReminders, notice };
}

/** Waives an open obligation of the organisation, with a reason. */
export async function waiveOnBehalf(
  db: Db,
  orgId: string,
  input: { obligationId: string; actor: string; by: string; reason: string; now: Date },
) {
  needReason(input.reason);
  const o = await obligationOfOrg(db, orgId, input.obligationId);
  if (o.status !== 'open')
    throw new UserError(o.status === 'done' ? obligationWords('doneNotWaivable') : obligationWords('alreadyWaived'));
  const r = await waiveObligation(db, { obligationId: o.id, actor: input.actor, reason: input.reason, now: input.now });
  const zone = await timeZoneOf(db, orgId);
  const notice: UnitNotice = {
    unitId: o.unitId,
    text: (lang) =>
      say(lang, 'notice.waived', {
        ...dutyWords(o.duty),
        admin: input.by,
        unit: o.unit.name,
        due: dayInWords(zonedDay(dueInstant(o), zone), lang),
        reason: input.reason.slice(0, 500),
      }),
    closed: {
      obligationId: o.id,
      text: say('vi', 'notice.closedWaived', { admin: input.by, when: at(input.now, zone) }),
    },
  };
  return { obligation: o, cancelledReminders: r.cancelledReminders, notice };
}

/**
 * A reminder now: for one obligation, or for a unit's nearest open obligations (overdue ones and the
 * next due date), then queued at once (as `dondoc nudge` does) by `queueDue`, which puts the
 * organisation's due reminders on the send queue and says how many (the caller owns the queue:
 * services do not import jobs).
 */
export async function nudgeNow(
  db: Db,
  orgId: string,
  queueDue: (orgId: string, now: Date) => Promise<number>,
  input: { unitId?: string; obligationId?: string; actor: string; reason: string; now: Date },
) {
  needReason(input.reason);
  let unitId: string;
  let unitName: string;
  if (input.obligationId) {
    const o = await obligationOfOrg(db, orgId, input.obligationId);
    if (o.status !== 'open') throw new UserError(obligationWords('closedNoReminder'));
    unitId = o.unitId;
    unitName = o.unit.name;
  } else {
    const u =
      input.unitId && isUuid(input.unitId) ? await db.unit.findFirst({ where: { id: input.unitId, orgId } }) : null;
    if (!u) throw new NotFoundError(obligationWords('noSuchUnitInOrg'));
    unitId = u.id;
    unitName = u.name;
  }
  const r = await nudge(db, orgId, {
    unitId,
    ...(input.obligationId ? { obligationId: input.obligationId } : {}),
    actor: input.actor,
    now: input.now,
    reason: input.reason,
  });
  const queued = await queueDue(orgId, input.now);
  return { ...r, unit: unitName, queued };
}

/** Approves or refuses a pending extension request of the organisation, once, with a reason. */
export async function decideExtensionOnBehalf(
  db: Db,
  orgId: string,
  input: { requestId: string; approve: boolean; actor: string; decidedBy: string; reason: string; now: Date },
) {
  needReason(input.reason);
  if (!isUuid(input.requestId)) throw new NotFoundError(obligationWords('noSuchExtension'));
  const r = await decideExtensionAs(db, {
    requestId: input.requestId,
    approve: input.approve,
    orgId,
    actor: input.actor,
    decidedBy: input.decidedBy,
    reason: input.reason,
    now: input.now,
  });
  if (!r.changed) {
    const approved = r.request.status === 'approved';
    const by = r.request.decidedBy ? ` (${r.request.decidedBy})` : '';
    throw new UserError(obligationWords(approved ? 'extensionAlreadyApproved' : 'extensionAlreadyRefused', { by }));
  }
  const zone = await timeZoneOf(db, orgId);
  const words = (lang: Lang) => ({
    ...dutyWords(r.request.obligation.duty),
    unit: r.request.obligation.unit.name,
    admin: input.decidedBy,
    to: dayInWords(zonedDay(r.request.requestedDue, zone), lang),
    reason: input.reason.slice(0, 500),
  });
  const notice: UnitNotice = {
    unitId: r.request.obligation.unitId,
    text: (lang) => say(lang, input.approve ? 'notice.approved' : 'notice.refused', words(lang)),
  };
  return { request: r.request, timeZone: zone, notice };
}

/**
 * The kept copy of an evidence file of the organisation, for download: its name and where it is.
 * Another organisation's evidence, an unknown id, or a file no longer on disk: NotFoundError.
 */
export async function evidenceFile(
  db: Db,
  orgId: string,
  id: string,
  storageDir: string,
): Promise<{ fileName: string; size: number; path: string }> {
  const missing = () => new NotFoundError(obligationWords('noSuchEvidence'));
  if (!isUuid(id)) throw missing();
  const e = await db.evidence.findFirst({ where: { id, orgId }, select: { fileName: true, storagePath: true } });
  if (!e?.storagePath) throw missing();
  const root = path.resolve(storageDir);
  const file = path.resolve(root, e.storagePath);
  // Paths are ours, but a file outside the storage directory is never served.
  if (!file.startsWith(root + path.sep)) throw missing();
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) throw new NotFoundError(obligationWords('evidenceGone'));
  return { fileName: e.fileName, size: info.size, path: file };
}

/**
 * Undoes a confirmation or a waiver on the unit's behalf (a wrong click, a report that was not the
 * right one): the obligation is open again, its standing confirmation withdrawn, the reason kept
 * in the audit row; the planner brings its reminders back on its next pass.
 */
export async function reopenOnBehalf(
  db: Db,
  orgId: string,
  input: { obligationId: string; actor: string; by: string; reason: string; now: Date },
) {
  needReason(input.reason);
  const o = await obligationOfOrg(db, orgId, input.obligationId);
  if (o.status === 'open') throw new UserError(obligationWords('nothingToUndo'));
  const was = o.status;
  await db.$transaction(async (tx) => {
    // Claim, then act: of two undos at once, one changes the rows.
    const { count } = await tx.obligation.updateMany({
      where: { id: o.id, status: was },
      data: { status: 'open', completedAt: null },
    });
    if (count === 0) throw new UserError(obligationWords('changedMeanwhile'));
    const withdrawn = await tx.confirmation.updateMany({
      where: { obligationId: o.id, withdrawnAt: null },
      data: { withdrawnAt: input.now },
    });
    await audit(tx, {
      orgId,
      actor: input.actor,
      action: was === 'done' ? 'obligation.undo-confirm' : 'obligation.undo-waive',
      entity: 'obligation',
      entityId: o.id,
      data: { reason: input.reason, was, withdrawnConfirmations: withdrawn.count },
    });
  });
  const notice: UnitNotice = {
    unitId: o.unitId,
    text: (lang) =>
      say(lang, was === 'done' ? 'notice.reopenedDone' : 'notice.reopenedWaived', {
        ...dutyWords(o.duty),
        admin: input.by,
        unit: o.unit.name,
        reason: input.reason.slice(0, 500),
      }),
  };
  return { obligation: o, was, notice };
}
