import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { channelSpec } from '#root/channels/registry.js';
import type { ContactAddresses } from '#root/channels/spec.js';
import type { Db } from '#root/db/client.js';
import { obligationCode, pickByWords } from '#root/domain/obligation-code.js';
import { dueInstant } from '#root/domain/obligation-state.js';
import type { Lang } from '#root/domain/wording.js';
import { NotFoundError, UserError } from '#root/errors/index.js';
import { createBatcher } from '#root/lib/batcher.js';
import { saidError, say } from '#root/messages/chat-words.js';
import { audit } from './audit.js';
import { cancelPendingReminders } from './confirmations.js';
import { hashInviteCode } from './contacts.js';

/** The chat channels: people write to the bot there, and it answers. */
export type ChatChannel = 'telegram' | 'zalo';

/** The person behind a linked chat, as the bot needs them. */
export interface ChatContact {
  id: string;
  orgId: string;
  unitId: string;
  name: string;
  role: string;
  /** The person's language: every reply and notice to them is in it. */
  locale: Lang;
  telegramChatId: bigint | null;
  zaloUserId: string | null;
  unit: { name: string };
  org: { timeZone: string; name: string; code: string };
  /**
   * How many organisations this chat is linked in (one contact each, at most): above 1, the
   * chat is someone's in several organisations and the command service asks or says which one
   * it acts for ({@link contactsByChat} lists them).
   */
  links: number;
}

type ContactRow = {
  id: string;
  org_id: string;
  unit_id: string;
  name: string;
  role: string;
  locale: string;
  telegram_chat_id: bigint | null;
  zalo_user_id: string | null;
  address: string;
  unit_name: string;
  time_zone: string;
  org_name: string;
  org_code: string;
  links: bigint | number;
};
const contactLoaders = new WeakMap<Db, Record<ChatChannel, (address: string) => Promise<ChatContact | null>>>();

/**
 * The person behind a linked chat (a Telegram chat id, a Zalo user id), with their unit and
 * organisation. Read on every update: the lookups of updates arriving together share one statement.
 */
export async function contactByChat(db: Db, channel: ChatChannel, address: string): Promise<ChatContact | null> {
  let loaders = contactLoaders.get(db);
  if (!loaders) {
    const toContact = (row: ContactRow): ChatContact => ({
      id: row.id,
      orgId: row.org_id,
      unitId: row.unit_id,
      name: row.name,
      role: row.role,
      locale: row.locale === 'en' ? 'en' : 'vi',
      telegramChatId: row.telegram_chat_id,
      zaloUserId: row.zalo_user_id,
      unit: { name: row.unit_name },
      org: { timeZone: row.time_zone, name: row.org_name, code: row.org_code },
      links: Number(row.links),
    });
    const byAddress = (rows: ContactRow[], addresses: string[]) => {
      const found = new Map(rows.map((r) => [r.address, r]));
      return addresses.map((a) => {
        const row = found.get(a);
        return row ? toContact(row) : null;
      });
    };
    loaders = {
      telegram: createBatcher(
        async (addresses: string[]) => {
          const ids = addresses.map((a) => (/^-?\d{1,19}$/.test(a) ? a : '0'));
          const rows = await db.$queryRaw<ContactRow[]>`
            SELECT DISTINCT ON (c.telegram_chat_id) c.id, c.org_id, c.unit_id, c.name, c.role::text AS role, c.locale::text AS locale, c.telegram_chat_id, c.zalo_user_id,
                   c.telegram_chat_id::text AS address, u.name AS unit_name, o.time_zone, o.name AS org_name, o.code AS org_code,
                   count(*) OVER (PARTITION BY c.telegram_chat_id) AS links
              FROM contacts c JOIN units u ON u.id = c.unit_id JOIN organisations o ON o.id = c.org_id
             WHERE c.telegram_chat_id = ANY(${ids}::bigint[]) AND c.active
             ORDER BY c.telegram_chat_id, c.created_at`;
          return byAddress(rows, addresses);
        },
        { maxSize: 200, maxWaitMs: 1 },
      ),
      zalo: createBatcher(
        async (addresses: string[]) => {
          const rows = await db.$queryRaw<ContactRow[]>`
            SELECT DISTINCT ON (c.zalo_user_id) c.id, c.org_id, c.unit_id, c.name, c.role::text AS role, c.locale::text AS locale, c.telegram_chat_id, c.zalo_user_id,
                   c.zalo_user_id AS address, u.name AS unit_name, o.time_zone, o.name AS org_name, o.code AS org_code,
                   count(*) OVER (PARTITION BY c.zalo_user_id) AS links
              FROM contacts c JOIN units u ON u.id = c.unit_id JOIN organisations o ON o.id = c.org_id
             WHERE c.zalo_user_id = ANY(${addresses}::text[]) AND c.active
             ORDER BY c.zalo_user_id, c.created_at`;
          return byAddress(rows, addresses);
        },
        { maxSize: 200, maxWaitMs: 1 },
      ),
    };
    contactLoaders.set(db, loaders);
  }
  return loaders[channel](address);
}

/** A chat's address as its channel's contact columns (its spec's parse); null when it is not one. */
function chatAddress(channel: ChatChannel, address: string): ContactAddresses | null {
  try {
    return channelSpec(channel).address?.parse(address) ?? null;
  } catch {
    return null;
  }
}

/**
 * Every active contact a chat is linked to, one per organisation, the oldest link first: read
 * only when {@link contactByChat} says the chat is linked in several organisations.
 */
export async function contactsByChat(db: Db, channel: ChatChannel, address: string): Promise<ChatContact[]> {
  const where = chatAddress(channel, address);
  if (!where) return [];
  const rows = await db.contact.findMany({
    where: { active: true, ...where },
    include: { unit: { select: { name: true } }, org: { select: { timeZone: true, name: true, code: true } } },
    orderBy: { createdAt: 'asc' },
  });
  return rows.map((c) => ({
    id: c.id,
    orgId: c.orgId,
    unitId: c.unitId,
    name: c.name,
    role: c.role,
    locale: c.locale,
    telegramChatId: c.telegramChatId,
    zaloUserId: c.zaloUserId,
    unit: { name: c.unit.name },
    org: { timeZone: c.org.timeZone, name: c.org.name, code: c.org.code },
    links: rows.length,
  }));
}

/**
 * Links a chat (a Telegram chat, a Zalo user) to the contact an invite was made for. The code is
 * single-use (a conditional update on `used_at IS NULL`) and expires; the chat's channel becomes
 * the contact's first. An address linked before to someone else in the organisation is moved, not
 * duplicated.
 */
export async function redeemInvite(db: Db, input: { code: string; channel: ChatChannel; address: string; now: Date }) {
  if (!/^[A-Za-z0-9_-]{10,64}$/.test(input.code)) {
    throw saidError('error.inviteInvalid');
  }
  const link = chatAddress(input.channel, input.address);
  if (!link) throw new Error(`not a ${input.channel} address: ${input.address}`);
  const by = `${input.channel}:${input.address}`;
  return db.$transaction(async (tx) => {
    const invite = await tx.invite.findUnique({
      where: { code: hashInviteCode(input.code) },
      include: { contact: { include: { unit: true } } },
    });
    if (!invite) throw saidError('error.inviteUnknown');
    if (invite.usedAt) throw saidError('error.inviteUsed');
    if (invite.expiresAt <= input.now) throw saidError('error.inviteExpired');
    const { count } = await tx.invite.updateMany({
      where: { id: invite.id, usedAt: null },
      data: { usedAt: input.now, usedBy: by },
    });
    if (count === 0) throw saidError('error.inviteUsed');
    const unlink = Object.fromEntries(Object.keys(link).map((f) => [f, null]));
    await tx.contact.updateMany({
      where: { orgId: invite.orgId, ...link, id: { not: invite.contactId } },
      data: unlink,
    });
    const c = invite.contact;
    const channels = [input.channel, ...c.channels.filter((ch) => ch !== input.channel)];
    const contact = await tx.contact.update({
      where: { id: c.id },
      data: {
        ...link,
        channels,
        disabledChannels: c.disabledChannels.filter((ch) => ch !== input.channel),
        unreachableSince: null,
      },
      include: { unit: true, org: true },
    });
    await audit(tx, {
      orgId: invite.orgId,
      actor: by,
      action: `contact.link-${input.channel}`,
      entity: 'contact',
      entityId: c.id,
    });
    return contact;
  });
}

/**
 * A linked chat that answers again: someone sent /start in it (after unblocking the bot, or adding
 * it back to a group). Every active contact linked to this chat whose channel was disabled after a
 * failure gets the channel back and is reachable again; each is audited
 * (`contact.channel-enabled`). The contacts revived, by id.
 */
export async function reviveChat(
  db: Db,
  input: { channel: ChatChannel; address: string; actor: string },
): Promise<string[]> {
  const link = chatAddress(input.channel, input.address);
  if (!link) return [];
  return db.$transaction(async (tx) => {
    const dead = await tx.contact.findMany({
      where: { active: true, ...link, disabledChannels: { has: input.channel } },
    });
    for (const c of dead) {
      await tx.contact.update({
        where: { id: c.id },
        data: { disabledChannels: c.disabledChannels.filter((ch) => ch !== input.channel), unreachableSince: null },
      });
      await audit(tx, {
        orgId: c.orgId,
        actor: input.actor,
        action: 'contact.channel-enabled',
        entity: 'contact',
        entityId: c.id,
        data: { channel: input.channel },
      });
    }
    return dead.map((c) => c.id);
  });
}

/**
 * A pending extension request of the organisation by its short reference (the first hex digits of
 * its id). A reference that names only requests already decided says so (a second administrator
 * typing /duyet after a first one), rather than that nothing was found.
 */
export async function findPendingExtension(db: Db, orgId: string, ref: string) {
  const hex = ref.trim().toLowerCase().replace(/-/g, '');
  if (!/^[0-9a-f]{6,32}$/.test(hex)) throw saidError('error.requestRefInvalid', { ref: ref.slice(0, 40) });
  // Pending ones first: an old decided request sharing the prefix does not hide a pending one.
  const rows = await db.$queryRaw<{ id: string; status: string; decided_by: string | null }[]>`
    SELECT id, status::text AS status, decided_by FROM extension_requests
     WHERE org_id = ${orgId}::uuid AND replace(id::text, '-', '') LIKE ${`${hex}%`}
     ORDER BY (status = 'pending') DESC, created_at DESC
     LIMIT 3`;
  const pending = rows.filter((r) => r.status === 'pending');
  if (pending.length > 1) throw saidError('error.requestRefAmbiguous', { ref: ref.slice(0, 40) });
  if (pending.length === 1) return { id: pending[0]!.id };
  if (rows.length === 1) {
    const r = rows[0]!;
    const decided = r.status === 'approved' ? 'error.requestApprovedBefore' : 'error.requestRefusedBefore';
    // The one who decided, in each language's words.
    const by = (lang: 'vi' | 'en') => (r.decided_by ? say(lang, 'error.decidedBy', { name: r.decided_by }) : '');
    throw new UserError({
      vi: say('vi', decided, { ref: ref.slice(0, 40), by: by('vi') }),
      en: say('en', decided, { ref: ref.slice(0, 40), by: by('en') }),
    });
  }
  if (rows.length > 1) throw saidError('error.requestsAllDecided', { ref: ref.slice(0, 40) });
  throw saidError('error.requestNone', { ref: ref.slice(0, 40) });
}

/**
 * The unit's open obligations, nearest due first; without `includeHistory`, not the periods kept
 * as history (before their plan was tracked from): they are not what a unit is asked for.
 */
export async function openObligationsOfUnit(
  db: Db,
  unitId: string,
  limit = 20,
  options: { includeHistory?: boolean } = {},
) {
  return db.obligation.findMany({
    where: {
      unitId,
      status: 'open',
      current: true,
      ...(options.includeHistory ? {} : { history: false }),
      duty: { active: true },
    },
    include: { duty: { include: { plan: true } } },
    orderBy: [{ dueAt: 'asc' }],
    take: limit,
  });
}

/** The Telegram messages that carried reminders of an obligation (chat and message ids). */
export async function telegramMessagesOf(
  db: Db,
  obligationId: string,
): Promise<{ chatId: number; messageId: number }[]> {
  const rows = await db.reminder.findMany({
    where: { obligationId, channel: 'telegram', status: 'sent', externalId: { not: null } },
    select: { externalId: true },
  });
  return rows.flatMap((r) => {
    const m = /^(-?\d+):(\d+)$/.exec(r.externalId ?? '');
    return m ? [{ chatId: Number(m[1]), messageId: Number(m[2]) }] : [];
  });
}

/** How long a unit may take back its own confirmation (SPEC §5: /hoantac within 24 h). */
export const UNDO_WINDOW_MS = 24 * 3_600_000;

/** The unit's confirmations of the last 24 hours that it may still take back, latest first. */
export async function recentConfirmations(db: Db, unitId: string, now: Date) {
  return db.confirmation.findMany({
    where: {
      withdrawnAt: null,
      createdAt: { gte: new Date(now.getTime() - UNDO_WINDOW_MS) },
      obligation: { unitId, status: 'done' },
    },
    orderBy: { createdAt: 'desc' },
    take: 200,
    include: { obligation: { include: { duty: true } } },
  });
}

/**
 * Withdraws one of the unit's confirmations ({@link recentConfirmations}: made within the last 24
 * hours): the obligation is open again (the planner brings its reminders back on its next pass).
 */
export async function withdrawConfirmation(
  db: Db,
  input: { contactId: string; unitId: string; confirmationId: string; now: Date },
) {
  return db.$transaction(async (tx) => {
    const c = await tx.confirmation.findFirst({
      where: {
        id: input.confirmationId,
        withdrawnAt: null,
        createdAt: { gte: new Date(input.now.getTime() - UNDO_WINDOW_MS) },
        obligation: { unitId: input.unitId, status: 'done' },
      },
      include: { obligation: { include: { duty: true } } },
    });
    if (!c) throw saidError('error.nothingToUndo');
    // Claim, then act: of two withdrawals at once, one changes the rows.
    const { count } = await tx.confirmation.updateMany({
      where: { id: c.id, withdrawnAt: null },
      data: { withdrawnAt: input.now },
    });
    if (count === 0) throw saidError('error.alreadyWithdrawn');
    await tx.obligation.update({ where: { id: c.obligationId }, data: { status: 'open', completedAt: null } });
    await audit(tx, {
      orgId: c.orgId,
      actor: `contact:${input.contactId}`,
      action: 'obligation.undo-confirm',
      entity: 'obligation',
      entityId: c.obligationId,
    });
    return c.obligation;
  });
}

/** Parses "30/11/2026" or "30/11" (this year or, if past, next year) as a calendar day. */
export function parseDayMonth(text: string, today: string): string | null {
  const m = /^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{4}))?$/.exec(text.trim());
  if (!m) return null;
  const [d, mo] = [Number(m[1]), Number(m[2])];
  let year = m[3] ? Number(m[3]) : Number(today.slice(0, 4));
  const iso = (y: number) => `${y}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  const valid = (s: string) =>
    !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s;
  if (!m[3] && valid(iso(year)) && iso(year) < today) year++;
  return valid(iso(year)) ? iso(year) : null;
}

/**
 * A unit asks for more time: the request is stored (pending) for the administrators to decide. Only
 * the unit's own open obligation, and only a later day than its current due date.
 */
export async function requestExtension(
  db: Db,
  input: { contactId: string; unitId: string; obligationId: string; toDay: string; dueAt: Date; reason: string },
) {
  return db.$transaction(async (tx) => {
    const o = await tx.obligation.findUnique({ where: { id: input.obligationId }, include: { duty: true } });
    if (!o || o.unitId !== input.unitId) throw saidError('error.extendOwnOnly');
    if (o.status !== 'open') throw saidError('error.dutyNotOpen');
    if (input.dueAt.getTime() <= dueInstant(o).getTime()) throw saidError('error.extendAfterDue');
    const pending = await tx.extensionRequest.findFirst({ where: { obligationId: o.id, status: 'pending' } });
    if (pending) throw saidError('error.extendPending');
    const request = await tx.extensionRequest.create({
      data: {
        orgId: o.orgId,
        obligationId: o.id,
        contactId: input.contactId,
        requestedDue: input.dueAt,
        reason: input.reason.slice(0, 500),
      },
    });
    await audit(tx, {
      orgId: o.orgId,
      actor: `contact:${input.contactId}`,
      action: 'extension.request',
      entity: 'obligation',
      entityId: o.id,
      data: { to: input.toDay, reason: input.reason.slice(0, 200) },
    });
    return { request, obligation: o };
  });
}

/**
 * An administrator decides a pending request, once (a conditional update on `pending`). Approval
 * moves the due instant and cancels what was pending (the planner re-plans from the new date).
 * `actor` names the administrator in the audit log ("contact:<id>" in a chat, "web:<email>" on the
 * web pages), `decidedBy` on the request; the reason, when given, is kept in the audit row.
 */
export async function decideExtensionAs(
  db: Db,
  input: {
    requestId: string;
    approve: boolean;
    orgId: string;
    actor: string;
    decidedBy: string;
    reason?: string;
    now: Date;
  },
) {
  return db.$transaction(async (tx) => {
    const r = await tx.extensionRequest.findUnique({
      where: { id: input.requestId },
      include: { obligation: { include: { duty: true, unit: true } }, contact: true },
    });
    if (!r || r.orgId !== input.orgId) throw saidError('error.requestNotFound', {}, NotFoundError);
    const { count } = await tx.extensionRequest.updateMany({
      where: { id: r.id, status: 'pending' },
      data: { status: input.approve ? 'approved' : 'refused', decidedBy: input.decidedBy, decidedAt: input.now },
    });
    if (count === 0) return { request: r, changed: false as const };
    if (input.approve) {
      if (r.obligation.status !== 'open') throw saidError('error.dutyNotOpen');
      await tx.obligation.update({ where: { id: r.obligationId }, data: { extendedTo: r.requestedDue } });
      await cancelPendingReminders(tx, r.obligationId);
    }
    await audit(tx, {
      orgId: r.orgId,
      actor: input.actor,
      action: input.approve ? 'extension.approve' : 'extension.refuse',
      entity: 'obligation',
      entityId: r.obligationId,
      ...(input.reason ? { data: { request: r.id, reason: input.reason } } : {}),
    });
    return { request: r, changed: true as const };
  });
}

/** {@link decideExtensionAs} by an administrator or supervisor contact (the chat's /duyet, /tuchoi). */
export async function decideExtension(
  db: Db,
  input: {
    requestId: string;
    approve: boolean;
    admin: { id: string; orgId: string; role: string; name: string };
    now: Date;
  },
) {
  if (input.admin.role !== 'admin' && input.admin.role !== 'supervisor') {
    throw saidError('error.adminsDecide');
  }
  return decideExtensionAs(db, {
    requestId: input.requestId,
    approve: input.approve,
    orgId: input.admin.orgId,
    actor: `contact:${input.admin.id}`,
    decidedBy: input.admin.name,
    now: input.now,
  });
}

/** Who is late: per unit, the duties overdue and not confirmed at `now`. */
export async function lateByUnit(db: Db, orgId: string, now: Date) {
  const rows = await db.obligation.findMany({
    where: {
      orgId,
      status: 'open',
      current: true,
      history: false,
      OR: [{ extendedTo: null, dueAt: { lt: now } }, { extendedTo: { lt: now } }],
    },
    include: { unit: true, duty: true },
  });
  const byUnit = new Map<string, string[]>();
  for (const o of rows) byUnit.set(o.unit.name, [...(byUnit.get(o.unit.name) ?? []), o.duty.code]);
  return [...byUnit]
    .map(([unit, codes]) => ({
      unit,
      codes: [...new Set(codes)].sort((a, b) => a.localeCompare(b, undefined, { numeric: true })),
    }))
    .sort((a, b) => b.codes.length - a.codes.length || a.unit.localeCompare(b.unit, 'vi'));
}

/**
 * Keeps a file received as evidence of an obligation: the row (file id, name, size, sender), then
 * the bytes under `storageDir/<org>/<obligation>/<row id>-<safe name>`, then the row's path.
 */
export async function storeEvidence(
  db: Db,
  storageDir: string,
  input: {
    orgId: string;
    obligationId: string;
    contactId: string;
    via: string;
    fileId: string;
    fileUniqueId: string;
    fileName: string;
    mimeType: string | null;
    bytes: Buffer;
  },
) {
  const row = await db.evidence.create({
    data: {
      orgId: input.orgId,
      obligationId: input.obligationId,
      contactId: input.contactId,
      via: input.via,
      fileId: input.fileId.slice(0, 200),
      fileUniqueId: input.fileUniqueId.slice(0, 200),
      fileName: input.fileName.slice(0, 200),
      mimeType: input.mimeType,
      size: input.bytes.length,
    },
  });
  const relative = path.join(
    input.orgId,
    input.obligationId,
    `${row.id}-${input.fileName.replace(/[^\p{L}\p{N}._-]+/gu, '_').slice(0, 120)}`,
  );
  const target = path.join(storageDir, relative);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, input.bytes);
  return db.evidence.update({ where: { id: row.id }, data: { storagePath: relative } });
}

/** Evidence files: what is accepted, and how big (the Bot API serves files up to 20 MB). */
export const EVIDENCE_MAX_BYTES = 20 * 1024 * 1024;
const EVIDENCE_TYPES = /\.(pdf|docx?|xlsx?|odt|ods|pptx?|zip|rar|7z|jpe?g|png|txt|csv)$/i;

/** Checks a file before downloading it; the reason to refuse it, in Vietnamese then English, or null. */
export function evidenceRefusal(fileName: string, size: number | undefined): 'file.tooBig' | 'file.badType' | null {
  if (size !== undefined && size > EVIDENCE_MAX_BYTES) return 'file.tooBig';
  if (!EVIDENCE_TYPES.test(fileName)) return 'file.badType';
  return null;
}

const withDuty = { obligation: { include: { duty: true } } } as const;

/**
 * The reminders a Telegram message of these contacts carried, by its id ("<chat>:<message>"):
 * the items of the bundle it was (found through the contact's bundles, not by scanning every
 * reminder), else a reminder sent alone by an earlier version, before bundles.
 */
async function carriedBy(db: Db, contactIds: string[], externalId: string) {
  const inBundle = await db.reminder.findMany({
    where: { status: 'sent', bundle: { contactId: { in: contactIds }, channel: 'telegram', externalId } },
    include: withDuty,
  });
  if (inBundle.length) return inBundle;
  return db.reminder.findMany({
    where: { bundleId: null, contactId: { in: contactIds }, channel: 'telegram', externalId },
    include: withDuty,
  });
}

type Carried = Awaited<ReturnType<typeof carriedBy>>[number];

/**
 * Of the reminders a message carried, the one a file replying to it is evidence of: the message's
 * only obligation, or the one the file's caption names by its code ("4.2-2026Q4", or "4.2" when the
 * message has one period of it). A message of several obligations and a caption that names none
 * of them (or none) gives no reminder but the codes to choose from: the file is not filed under a
 * guess.
 */
function pickCarried(carried: Carried[], caption: string | undefined): { reminder: Carried } | { among: string[] } {
  const byObligation = [...new Map(carried.map((r) => [r.obligationId, r])).values()];
  if (byObligation.length === 1) return { reminder: byObligation[0]! };
  const of = (r: Carried) => ({ dutyCode: r.obligation.duty.code, periodKey: r.obligation.periodKey });
  const words = (caption ?? '').split(/\s+/).filter(Boolean);
  const named = new Set<Carried>();
  for (let i = 0; i < words.length; i++) {
    const { matches } = pickByWords(words.slice(i), byObligation, of);
    if (matches.length === 1) named.add(matches[0]!);
  }
  if (named.size === 1) return { reminder: [...named][0]! };
  return {
    among: byObligation
      .map((r) => obligationCode(r.obligation.duty.code, r.obligation.periodKey))
      .sort((a, b) => a.localeCompare(b, 'vi', { numeric: true })),
  };
}

/**
 * What a file sent in a chat is evidence of: an obligation, or, for a file replying to a message
 * of several obligations without naming one, the codes to name (`among`), or nothing known.
 */
export type EvidenceTarget<O> = { obligation: O; contactId: string } | { among: string[]; contactId: string } | null;

/**
 * The obligation a file sent in this chat is evidence of: the reminder it replies to (of a
 * message of several, the one its caption names), or the unit's latest confirmation (within an
 * hour) by this contact.
 */
export async function evidenceTarget(
  db: Db,
  input: {
    contactId: string;
    unitId: string;
    chatId?: bigint;
    replyToMessageId?: number;
    caption?: string;
    now: Date;
  },
): Promise<EvidenceTarget<Carried['obligation']>> {
  return evidenceTargetAmong(db, {
    contacts: [{ id: input.contactId, unitId: input.unitId }],
    ...(input.chatId !== undefined ? { chatId: input.chatId } : {}),
    ...(input.replyToMessageId !== undefined ? { replyToMessageId: input.replyToMessageId } : {}),
    ...(input.caption !== undefined ? { caption: input.caption } : {}),
    afterConfirmation: true,
    now: input.now,
  });
}

/**
 * Of a chat linked in one organisation or several (one contact in each), who a file is from and
 * the obligation it is evidence of, only where it cannot be mistaken: with `replyToMessageId`, the
 * reminder it replies to (its obligation's organisation; of a message of several obligations, the
 * one the caption names, else the codes to choose from); without, or when the reply names no
 * reminder, and only when `afterConfirmation` (one organisation, or a channel with no replies to
 * go by: Zalo), the latest confirmation within the hour by one of these contacts. Null when
 * neither names one.
 */
export async function evidenceTargetAmong(
  db: Db,
  input: {
    contacts: { id: string; unitId: string }[];
    chatId?: bigint;
    replyToMessageId?: number;
    caption?: string;
    afterConfirmation?: boolean;
    now: Date;
  },
): Promise<EvidenceTarget<Carried['obligation']>> {
  const ids = input.contacts.map((c) => c.id);
  const ofItsUnit = (contactId: string, unitId: string) =>
    input.contacts.some((c) => c.id === contactId && c.unitId === unitId);
  if (input.replyToMessageId !== undefined && input.chatId !== undefined) {
    const carried = (await carriedBy(db, ids, `${input.chatId}:${input.replyToMessageId}`)).filter((r) =>
      ofItsUnit(r.contactId, r.obligation.unitId),
    );
    if (carried.length) {
      const picked = pickCarried(carried, input.caption);
      return 'among' in picked
        ? { among: picked.among, contactId: carried[0]!.contactId }
        : { contactId: picked.reminder.contactId, obligation: picked.reminder.obligation };
    }
  }
  if (!input.afterConfirmation) return null;
  const c = await db.confirmation.findFirst({
    where: { contactId: { in: ids }, withdrawnAt: null, createdAt: { gte: new Date(input.now.getTime() - 3_600_000) } },
    orderBy: { createdAt: 'desc' },
    include: withDuty,
  });
  return c?.contactId && ofItsUnit(c.contactId, c.obligation.unitId)
    ? { contactId: c.contactId, obligation: c.obligation }
    : null;
}
