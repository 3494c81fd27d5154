import { randomBytes } from 'node:crypto';
import type { Db } from '#root/db/client.js';
import type { Redis } from '#root/redis.js';
import type { Logger } from '#root/logger.js';
import { ImportDraftGoneError } from '#root/import/errors.js';
import { parsePlanOffThread, type ParseLimits } from '#root/import/off-thread.js';
import type { PlanDraft } from '#root/import/plan-document.js';
import { tidy } from '#root/domain/text.js';
import type { IsoDate } from '#root/domain/types.js';
import { zonedDay } from '#root/domain/zoned-day.js';
import { UserError } from '#root/errors/index.js';
import { reconcileCurrent, sumReconciled, type ReconcileResult } from './obligations.js';
import {
  applyFix,
  commitImport,
  parseHorizonYear,
  parseTrackFrom,
  retireCandidates,
  reviewImport,
  type DutyFix,
  type ImportResult,
  type ImportReview,
  type RetireCandidate,
} from './plans.js';
import { serviceWords } from '#root/messages/service-words.js';

/**
 * Imports under review, kept in Redis between the administrator's requests (several web processes
 * may serve one administrator, so nothing is kept in a process): the plan as read from the upload
 * (read once, in a worker thread: src/import/off-thread.ts), the horizon and the fixes made so
 * far. Each step reviews the stored draft again (matching names to the units as they are now) and
 * applies the fixes; the upload itself is not kept, and never read twice.
 */

const planWords = serviceWords('plans');

/** How long a review waits for its commit (renewed by each fix). */
export const IMPORT_DRAFT_TTL_SECONDS = 2 * 60 * 60;

export interface ImportDraft {
  orgId: string;
  /** The plan as read from the upload, once. */
  draft: PlanDraft;
  /** The uploaded file's name; null for pasted text (or a name the form lost). */
  fileName: string | null;
  /** The plan code the administrator gave (when the file has none, or to override it). */
  planCode: string | null;
  /** The plan's last year as the administrator set it (null: none); absent: the plan's own. */
  horizonYear?: number | null;
  /** Fixes by duty code, applied in this order to each new review. */
  fixes: Record<string, DutyFix>;
  /** The day to track the plan from as the administrator set it (null: every period); absent: the default. */
  trackFrom?: IsoDate | null;
  createdAt: string;
}

/** Where drafts are kept: the program's Redis and its key prefix. */
export interface DraftStore {
  redis: Redis;
  prefix: string;
  /** Logs each reading of an upload (format, duties, milliseconds). */
  logger?: Logger;
  /** Bounds of a reading (default: 30 s, a 256 MB heap). */
  parseLimits?: Partial<ParseLimits>;
}

/** A review of a draft, with what the organisation already has of that plan. */
export interface DraftReview {
  review: ImportReview;
  /** The plan as it is now, when this code was imported before (re-importing updates it). */
  existing: { title: string; activeDuties: number } | null;
  /** Its active duties this text does not mention: the review asks, for each, whether to retire it. */
  retiring: RetireCandidate[];
}

const ID = /^[\w-]{22}$/;
const keyOf = (store: DraftStore, id: string) => `${store.prefix}:import:${id}`;
const doneKeyOf = (store: DraftStore, id: string) => `${store.prefix}:import:${id}:done`;

/** Reviews a stored draft again (names against the units as they are now), then applies its fixes (a fix that no longer applies is refused). */
export async function reviewDraft(
  db: Db,
  orgId: string,
  draft: Pick<ImportDraft, 'draft' | 'planCode' | 'fixes' | 'horizonYear' | 'trackFrom'> & { createdAt?: string },
  options: { takeDocument?: string[] } = {},
): Promise<DraftReview> {
  if (!draft.planCode && !draft.draft.plan.code) {
    throw new UserError(planWords('noPlanCodeInText'));
  }
  const org = await db.organisation.findUniqueOrThrow({ where: { id: orgId } });
  let review = await reviewImport(db, orgId, draft.draft, draft.planCode ?? undefined, {
    ...(draft.horizonYear !== undefined ? { horizonYear: draft.horizonYear } : {}),
    ...(draft.trackFrom !== undefined ? { trackFrom: draft.trackFrom } : {}),
    // The default: the current period of each duty on the day the review began, in the organisation's zone.
    ...(draft.createdAt ? { today: zonedDay(new Date(draft.createdAt), org.timeZone) } : {}),
    ...(options.takeDocument?.length ? { takeDocument: options.takeDocument } : {}),
  });
  for (const [code, fix] of Object.entries(draft.fixes)) review = applyFix(review, code, fix, org.yearlyDue);
  const plan = await db.plan.findUnique({
    where: { orgId_code: { orgId, code: review.plan.code } },
    include: { _count: { select: { duties: { where: { active: true } } } } },
  });
  return {
    review,
    existing: plan ? { title: plan.title, activeDuties: plan._count.duties } : null,
    retiring: plan ? await retireCandidates(db, orgId, review) : [],
  };
}

/**
 * Starts a review from pasted text or an uploaded file. The source is read (once, off the event
 * loop, within the bounds of src/import/limits.ts) and reviewed first: a file that is not a plan,
 * or is too large, is refused here and nothing is kept. The draft keeps what was read, not the file.
 *
 * @throws UserError (ImportError) when there is nothing to read, or it is not a plan with a duty table.
 */
export async function startImportDraft(
  db: Db,
  store: DraftStore,
  orgId: string,
  input: { text?: string; file?: { name: string | null; data: Buffer } | null; planCode?: string },
  now: Date,
): Promise<{ id: string } & DraftReview> {
  const planCode = tidy(input.planCode ?? '').slice(0, 100) || null;
  let source: { name: string | null; data: Buffer };
  if (input.file && input.file.data.length > 0) source = input.file;
  else if (input.text?.trim()) source = { name: null, data: Buffer.from(input.text, 'utf8') };
  else {
    throw new UserError(planWords('nothingPasted'));
  }
  const org = await db.organisation.findUniqueOrThrow({ where: { id: orgId } });
  const parsed = await parsePlanOffThread(
    source,
    { defaultDue: org.yearlyDue },
    { ...(store.logger ? { logger: store.logger } : {}), ...(store.parseLimits ? { limits: store.parseLimits } : {}) },
  );
  const draft: ImportDraft = {
    orgId,
    draft: parsed,
    fileName: input.file ? input.file.name : null,
    planCode,
    fixes: {},
    createdAt: now.toISOString(),
  };
  const reviewed = await reviewDraft(db, orgId, draft);
  const id = randomBytes(16).toString('base64url');
  await store.redis.set(keyOf(store, id), JSON.stringify(draft), 'EX', IMPORT_DRAFT_TTL_SECONDS);
  return { id, ...reviewed };
}

/**
 * The draft of this id, if it is still there and belongs to this organisation.
 *
 * @throws ImportDraftGoneError when it expired, is another organisation's, or was imported.
 */
export async function loadImportDraft(store: DraftStore, orgId: string, id: string): Promise<ImportDraft> {
  if (!ID.test(id)) throw new ImportDraftGoneError('expired');
  const raw = await store.redis.get(keyOf(store, id));
  if (!raw) {
    const done = await store.redis.get(doneKeyOf(store, id));
    throw new ImportDraftGoneError(done === orgId ? 'imported' : 'expired');
  }
  const draft = JSON.parse(raw) as ImportDraft;
  // Another organisation's draft is not there for this one; a draft of an older version (the
  // upload itself, no reading) is gone: it is uploaded again, never read again here.
  if (draft.orgId !== orgId || !draft.draft) throw new ImportDraftGoneError('expired');
  return draft;
}

/**
 * Sets the plan's last year (the horizon its duties' schedules end at) for this review: a year,
 * or empty for none. The review is done again with it (the duties past it flagged), and kept.
 *
 * @throws UserError when the year is not one.
 */
export async function setImportDraftHorizon(
  db: Db,
  store: DraftStore,
  orgId: string,
  id: string,
  input: string,
): Promise<DraftReview> {
  const draft = await loadImportDraft(store, orgId, id);
  const next: ImportDraft = { ...draft, horizonYear: parseHorizonYear(input) };
  const reviewed = await reviewDraft(db, orgId, next);
  await store.redis.set(keyOf(store, id), JSON.stringify(next), 'EX', IMPORT_DRAFT_TTL_SECONDS);
  return reviewed;
}

/**
 * Sets the day to track the plan from for this review: a day (`06/12/2026`), «tất cả» / `all` (or
 * `all: true`) for every period, or empty for the default (the current period of each duty).
 *
 * @throws UserError when the day is not one.
 */
export async function setImportDraftTrackFrom(
  db: Db,
  store: DraftStore,
  orgId: string,
  id: string,
  input: { day: string; all?: boolean },
): Promise<DraftReview> {
  const draft = await loadImportDraft(store, orgId, id);
  const day = input.all ? null : parseTrackFrom(input.day);
  const { trackFrom: _previous, ...rest } = draft;
  void _previous;
  const next: ImportDraft = day === undefined ? rest : { ...rest, trackFrom: day };
  const reviewed = await reviewDraft(db, orgId, next);
  await store.redis.set(keyOf(store, id), JSON.stringify(next), 'EX', IMPORT_DRAFT_TTL_SECONDS);
  return reviewed;
}

/**
 * Fixes one duty of a draft (see {@link applyFix}) and keeps the fix for the commit. The timeframe
 * is parsed again when it changed, or when it was not understood and the flags are not simply
 * cleared; an unchanged phrase that was understood is left alone.
 *
 * @throws UserError when there is nothing to fix, no such duty, or the timeframe is still not understood.
 */
export async function fixImportDraft(
  db: Db,
  store: DraftStore,
  orgId: string,
  id: string,
  code: string,
  input: { timeframe?: string; clearFlags?: boolean },
): Promise<DraftReview & { duty: ImportReview['duties'][number] }> {
  const draft = await loadImportDraft(store, orgId, id);
  const before = await reviewDraft(db, orgId, draft);
  const current = before.review.duties.find((d) => d.code === code);
  if (!current) throw new UserError(planWords('noSuchDutyInReview', { code }));
  const timeframe = input.timeframe === undefined ? '' : tidy(input.timeframe);
  const retime =
    timeframe !== '' &&
    (timeframe !== current.timeframe || (current.schedule.kind === 'unparsed' && !input.clearFlags));
  if (!retime && !input.clearFlags) {
    throw new UserError(planWords('nothingToCorrect'));
  }
  const fix: DutyFix = {
    ...draft.fixes[code],
    ...(retime ? { timeframe } : {}),
    ...(input.clearFlags ? { clearFlags: true } : {}),
  };
  const fixes = { ...draft.fixes, [code]: fix };
  // Reviewed again from the stored draft with every fix: refuses (keeping nothing) if the phrase is still not understood.
  const after = await reviewDraft(db, orgId, { ...draft, fixes });
  await store.redis.set(keyOf(store, id), JSON.stringify({ ...draft, fixes }), 'EX', IMPORT_DRAFT_TTL_SECONDS);
  return { ...after, duty: after.review.duties.find((d) => d.code === code)! };
}

/** Drops a draft (the administrator cancelled the import). */
export async function discardImportDraft(store: DraftStore, orgId: string, id: string): Promise<void> {
  await loadImportDraft(store, orgId, id);
  await store.redis.del(keyOf(store, id));
}

/**
 * Commits a draft: the plan and its duties as reviewed and fixed ({@link commitImport}, which
 * audits), then the obligations of this year and the next, as `dondoc import` does.
 *
 * 1. Load the draft and review it again with its fixes.
 * 2. Claim it with a Redis `SET NX` marker, so that a second click, in this process or another,
 *    finds it already imported instead of importing it twice.
 * 3. Commit in one transaction; if that fails, release the claim (the draft stays, to try again).
 * 4. Delete the draft; reconcile this year's and next year's obligations.
 *
 * @throws ImportDraftGoneError when the draft expired or was already imported.
 */
export async function commitImportDraft(
  db: Db,
  store: DraftStore,
  orgId: string,
  id: string,
  actor: string,
  now: Date,
  choices: {
    takeDocument?: string[];
    /** The duties left out to retire, as the review page chose (see commitImport); all of them without it. */
    retire?: readonly string[];
  } = {},
): Promise<{ result: ImportResult; planCode: string; obligations: ReconcileResult }> {
  const draft = await loadImportDraft(store, orgId, id);
  // The administrator's choice for each fix the document now contradicts (refused, nothing written, if not one).
  const { review } = await reviewDraft(db, orgId, draft, choices);
  const claimed = await store.redis.set(doneKeyOf(store, id), orgId, 'EX', IMPORT_DRAFT_TTL_SECONDS, 'NX');
  if (claimed !== 'OK') throw new ImportDraftGoneError('imported');
  let result: ImportResult;
  try {
    result = await commitImport(
      db,
      orgId,
      review,
      actor,
      choices.retire === undefined ? {} : { retire: choices.retire },
    );
  } catch (e) {
    await store.redis.del(doneKeyOf(store, id));
    throw e;
  }
  await store.redis.del(keyOf(store, id));
  // This year and the next, as every other change does: pages only read what is stored.
  const obligations = sumReconciled(await reconcileCurrent(db, orgId, now, actor));
  return { result, planCode: review.plan.code, obligations };
}
