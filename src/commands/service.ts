import { formatInTimeZone } from 'date-fns-tz';
import { decodeButton, encodeButton } from '#root/channels/telegram/callback.js';
import type { Db } from '#root/db/client.js';
import type { Clock } from '#root/deps.js';
import { obligationCode, pickByCode, pickByWords } from '#root/domain/obligation-code.js';
import { dueInstant } from '#root/domain/obligation-state.js';
import { endOfDayInZone } from '#root/domain/occurrences.js';
import { zonedDay } from '#root/domain/zoned-day.js';
import { UserError } from '#root/errors/index.js';
import type { Redis } from '#root/redis.js';
import type { Logger } from '#root/logger.js';
import {
  type ChatChannel,
  type ChatContact,
  contactByChat,
  contactsByChat,
  decideExtension,
  evidenceTarget,
  evidenceTargetAmong,
  findPendingExtension,
  lateByUnit,
  openObligationsOfUnit,
  parseDayMonth,
  recentConfirmations,
  redeemInvite,
  requestExtension,
  withdrawConfirmation,
} from '#root/services/chat.js';
import { confirmObligation } from '#root/services/confirmations.js';
import type { UnitNotice } from '#root/services/on-behalf.js';
import { CONTACT_CHANNELS, setContactChannels } from '#root/services/contacts.js';
import { nudge } from '#root/services/nudge.js';
import { findUnit } from '#root/services/units.js';
import { indicatorCommand } from './indicator.js';
import { parseCommand, type ParsedCommand } from './parse.js';

/**
 * The chat commands of SPEC §5, once for every chat channel. The Telegram and Zalo adapters only
 * translate: an update in becomes a {@link Caller} and a text or a button press; the {@link Outcome}
 * becomes messages out. Whatever the channel, a person acts only for their own unit, with the
 * rights of their own role, and the same input gets the same answer.
 */

export type { ChatChannel } from '#root/services/chat.js';

/** Who wrote, and where. */
export interface Caller {
  channel: ChatChannel;
  /** The person's id on the channel (Telegram user id, Zalo user id). */
  userId: string;
  /** The conversation: the person's private chat, or a group (Telegram) linked to a unit. */
  chatId: string;
  group: boolean;
}

export interface Button {
  text: string;
  data: string;
}

/** One message back to the caller. `ask`: the channel should invite a reply to this message (Telegram's ForceReply). */
export interface Reply {
  text: string;
  buttons?: Button[][];
  ask?: { placeholder: string };
}

export interface Outcome {
  replies: Reply[];
  /** Work to do after the caller has their answer (telling colleagues, marking messages). */
  later?: () => Promise<void>;
}

/** The answer to a button press: the toast or alert, and possibly messages or a new keyboard. */
export interface ButtonOutcome {
  answer: { text?: string; alert?: boolean };
  replies?: Reply[];
  /** Replace the pressed message's buttons with these. */
  keyboard?: Button[][];
  later?: () => Promise<void>;
}

/** A message to someone other than the caller, on their chat channel. */
export interface Notice {
  text: string;
  buttons?: Button[][];
}

/** Sends a notice to an address of a chat channel; throws if the channel refuses. */
export type ChatSender = (address: string, notice: Notice) => Promise<void>;

export interface CommandDeps {
  db: Db;
  logger: Logger;
  clock: Clock;
  /** The chat channels this process can send on. */
  senders: Partial<Record<ChatChannel, ChatSender>>;
  /** After a confirmation: mark the messages that carried its reminders (Telegram edits their buttons). */
  onConfirmed?: (obligationId: string, doneText: string) => Promise<void>;
  /** Queues what is pending of an organisation now (an administrator's /nhac). */
  dispatch?: (orgId: string) => Promise<void>;
  /** Where wrong invite codes are counted ({@link redisCodeTries} to share them between processes). */
  codeTries?: CodeTries;
}

/** Wrong invite codes of one chat: how many since when, and until when the chat is locked (ms, the service's clock). */
export interface CodeTriesEntry {
  count: number;
  since: number;
  lockedUntil: number;
}

/** A store of {@link CodeTriesEntry} by chat; entries may vanish after `ttlMs` (real time). */
export interface CodeTries {
  get(key: string, nowMs: number): Promise<CodeTriesEntry | undefined>;
  set(key: string, entry: CodeTriesEntry, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
}

/** In this process, pruned as entries lapse (by the service's clock). */
export function memoryCodeTries(): CodeTries {
  const entries = new Map<string, CodeTriesEntry>();
  return {
    async get(key, nowMs) {
      if (entries.size >= 1_000)
        for (const [k, v] of entries) if (v.lockedUntil <= nowMs && nowMs - v.since >= CODE_LOCK_MS) entries.delete(k);
      return entries.get(key);
    },
    async set(key, entry) {
      entries.set(key, entry);
    },
    async delete(key) {
      entries.delete(key);
    },
  };
}

/**
 * In Redis, shared by every process handling updates (several copies of the web role receiving
 * webhooks): a chat gets its five tries in all, not five per process.
 */
export function redisCodeTries(redis: Redis, prefix: string): CodeTries {
  const k = (key: string) => `${prefix}:invite-tries:${key}`;
  // While Redis is down, this process counts alone rather than holding /start up.
  const local = memoryCodeTries();
  const up = () => redis.status === 'ready';
  return {
    async get(key, nowMs) {
      if (!up()) return local.get(key, nowMs);
      const v = await redis.get(k(key));
      return v ? (JSON.parse(v) as CodeTriesEntry) : undefined;
    },
    async set(key, entry, ttlMs) {
      if (!up()) return local.set(key, entry, ttlMs);
      await redis.set(k(key), JSON.stringify(entry), 'PX', ttlMs);
    },
    async delete(key) {
      await local.delete(key);
      if (up()) await redis.del(k(key));
    },
  };
}

/** Which channels show buttons: elsewhere the text says what to type. */
const HAS_BUTTONS: Record<ChatChannel, boolean> = { telegram: true, zalo: false };
/** Whether a person can answer a given message (a reply): a file then names the reminder it answers. */
const HAS_REPLIES: Record<ChatChannel, boolean> = { telegram: true, zalo: false };

/** Wrong invite codes tolerated per chat before it must wait (guessing 128-bit codes is hopeless anyway). */
const CODE_TRIES = 5;
const CODE_LOCK_MS = 15 * 60_000;

export const NOT_LINKED =
  'Chat này chưa được liên kết với đầu mối nào. Hãy mở liên kết mời quản trị viên gửi cho anh/chị, hoặc gửi /start <mã mời>.\n(This chat is not linked yet: open the invite link you received, or send /start <code>.)';

/** The prompt of the 📅 dialogue: a reply to it carries the new date and the reason. */
export const EXTEND_PROMPT = /^📅 Gia hạn nhiệm vụ (\S+):/;

const isAdmin = (c: { role: string }) => c.role === 'admin' || c.role === 'supervisor';
/** The code of an obligation to type in a chat ("4.2-2026Q4"). */
const codeOf = (o: { periodKey: string; duty: { code: string } }) => obligationCode(o.duty.code, o.periodKey);
const day = (d: Date, zone: string) => formatInTimeZone(d, zone, 'dd/MM/yyyy');
const CHANNEL_LABEL: Record<string, string> = {
  telegram: 'Telegram',
  zalo: 'Zalo',
  email: 'Email',
  sandbox: 'Hộp thư thử (sandbox)',
};

/**
 * Who sent a file and which obligation it is evidence of ({@link CommandService.evidenceFor}):
 * a refusal to send as is (not linked; linked in several organisations and nothing names one),
 * or the contact, the obligation (null when nothing names one: the adapter asks for a reply or a
 * /xong first), and `label`, "[Organisation] " to put before the answer when the chat is linked in
 * several organisations.
 */
export type EvidenceFor =
  | { refusal: string }
  | { contact: ChatContact; obligation: NonNullable<Awaited<ReturnType<typeof evidenceTarget>>> | null; label: string };

export type CommandService = ReturnType<typeof createCommandService>;

export function createCommandService(deps: CommandDeps) {
  const { db, logger, clock } = deps;
  // Wrong invite codes per chat: within CODE_LOCK_MS of the first, the fifth locks the chat for
  // CODE_LOCK_MS from then. Kept where `deps.codeTries` says (Redis, shared by every process that
  // handles updates), else in this process.
  const badCodes = deps.codeTries ?? memoryCodeTries();

  /**
   * Who is acting: the person's own linked account first; in a group linked to a unit, anyone in
   * the group acts for that unit (the group is the unit's).
   */
  async function identify(caller: Caller): Promise<ChatContact | null> {
    const own = await contactByChat(db, caller.channel, caller.userId);
    if (own || !caller.group) return own;
    return contactByChat(db, caller.channel, caller.chatId);
  }

  /**
   * Everyone the caller may act as: the contact of {@link identify}, or, when the chat is linked
   * in several organisations (one contact in each), every one of them, the oldest link first.
   */
  async function identifyAll(caller: Caller): Promise<ChatContact[]> {
    const own = await contactByChat(db, caller.channel, caller.userId);
    const address = own ? caller.userId : caller.group ? caller.chatId : null;
    const first = own ?? (address ? await contactByChat(db, caller.channel, address) : null);
    if (!first || !address) return [];
    return first.links > 1 ? contactsByChat(db, caller.channel, address) : [first];
  }

  const actorOf = (caller: Caller) => `${caller.channel}:${caller.userId}`;

  /** Contacts reached by chat, each on the first chat channel of their preference that this process can use. */
  async function tell(
    where: { unitId?: string; orgId?: string; admins?: boolean; except?: string },
    notice: (c: { id: string }) => Notice | null,
  ) {
    const people = await db.contact.findMany({
      where: {
        active: true,
        ...(where.unitId ? { unitId: where.unitId } : {}),
        ...(where.orgId ? { orgId: where.orgId } : {}),
        ...(where.admins ? { role: { in: ['admin', 'supervisor'] } } : {}),
        ...(where.except ? { id: { not: where.except } } : {}),
        OR: [{ telegramChatId: { not: null } }, { zaloUserId: { not: null } }],
      },
    });
    for (const p of people) {
      const route = chatRoute(p, deps.senders);
      const n = notice(p);
      if (!route || !n) continue;
      const message = HAS_BUTTONS[route.channel] ? n : { text: n.text };
      await deps.senders[route.channel]!(route.address, message).catch((error: unknown) =>
        logger.warn({ err: error, contact: p.id, channel: route.channel }, 'could not tell a contact'),
      );
    }
  }

  async function obligationList(contact: ChatContact, caller: Caller, intro?: string): Promise<Reply> {
    const open = await openObligationsOfUnit(db, contact.unitId);
    if (!open.length)
      return { text: `${intro ? `${intro}\n\n` : ''}${contact.unit.name} không còn nhiệm vụ nào đang mở. 🎉` };
    const zone = contact.org.timeZone;
    const lines = open.map((o) => `• ${codeOf(o)} «${o.duty.title}» — hạn ${day(dueInstant(o), zone)}`);
    const head = `${intro ? `${intro}\n\n` : ''}Nhiệm vụ đang mở của ${contact.unit.name}:\n${lines.join('\n')}`;
    if (!HAS_BUTTONS[caller.channel]) {
      return {
        text: `${head}\n\nKhi đã hoàn thành, gõ /xong <mã> [ghi chú], ví dụ: /xong ${codeOf(open[0]!)} đã gửi báo cáo.\n(Reply /done <code> to confirm.)`,
      };
    }
    return {
      text: `${head}\n\nBấm để xác nhận đã hoàn thành:`,
      buttons: open.map((o) => [
        { text: `✅ ${codeOf(o)} — hạn ${day(dueInstant(o), zone)}`, data: encodeButton('done', o.id) },
      ]),
    };
  }

  /**
   * The unit's open obligations a typed code names, nearest due first: the one of the period it
   * names ("4.2-2026Q4"), or every open period of the duty when it names the duty alone ("4.2").
   */
  async function openByCode(contact: ChatContact, code: string) {
    return (await openByWords(contact, [code])).matches;
  }

  /** {@link openByCode} for a command's words: the period may be typed as a word of its own ("4.2 2026Q4"). */
  async function openByWords(contact: ChatContact, words: string[]) {
    const open = await openObligationsOfUnit(db, contact.unitId, 200, { includeHistory: true });
    const key = (o: (typeof open)[number]) => ({ dutyCode: o.duty.code, periodKey: o.periodKey });
    // The tracked periods first ("4.2" alone names the current one); a period kept as history
    // answers only a code no tracked period answers ("4.2-2026Q1": it may still be confirmed).
    const tracked = pickByWords(
      words,
      open.filter((o) => !o.history),
      key,
    );
    return tracked.matches.length ? tracked : pickByWords(words, open, key);
  }

  /** What follows the first `n` words of a command (a note keeps its own line breaks). */
  const after = (rest: string, n: number) => rest.replace(new RegExp(`^(?:\\S+\\s*){${n}}`), '').trim();

  /**
   * Several periods of one duty answer the code typed, which named none of them: the caller is
   * asked which (a button each where the channel has buttons, the code to type elsewhere), and
   * nothing changes meanwhile.
   */
  function askWhichPeriod(
    caller: Caller,
    contact: ChatContact,
    items: {
      id: string;
      periodKey: string;
      dueAt: Date;
      extendedTo: Date | null;
      duty: { code: string; title: string };
    }[],
    what: 'done' | 'extend' | 'undo',
  ): Reply {
    const zone = contact.org.timeZone;
    const first = items[0]!;
    const typed = { done: '/xong', extend: '/giahan', undo: '/hoantac' }[what];
    const tail = { done: ' [ghi chú]', extend: ' <ngày> <lý do>', undo: '' }[what];
    const verb = { done: 'xác nhận', extend: 'xin gia hạn', undo: 'rút lại xác nhận' }[what];
    const state = what === 'undo' ? 'vừa được xác nhận' : 'đang mở';
    const lines = items.map(
      (o) => `• Kỳ ${o.periodKey}, hạn ${day(dueInstant(o), zone)}: ${typed} ${codeOf(o)}${tail}`,
    );
    const text = `Nhiệm vụ ${first.duty.code} «${first.duty.title}» có ${items.length} kỳ ${state}; anh/chị ${verb} kỳ nào? Chưa có gì thay đổi.\n${lines.join('\n')}\n(Several periods match: name one. Nothing was changed.)`;
    if (!HAS_BUTTONS[caller.channel] || what === 'undo') return { text };
    return {
      text,
      buttons: items.map((o) => [
        {
          text: `${what === 'done' ? '✅' : '📅'} ${codeOf(o)} — hạn ${day(dueInstant(o), zone)}`,
          data: encodeButton(what, o.id),
        },
      ]),
    };
  }

  /** When a code has nothing open, but the unit confirmed it lately: who, and when (nothing is confirmed twice). */
  async function lastConfirmed(contact: ChatContact, code: string): Promise<string | null> {
    const recent = await db.confirmation.findMany({
      where: { withdrawnAt: null, obligation: { unitId: contact.unitId, status: 'done' } },
      orderBy: { createdAt: 'desc' },
      take: 200,
      include: { obligation: { include: { duty: true } }, contact: true },
    });
    const c = pickByCode(code, recent, (x) => ({
      dutyCode: x.obligation.duty.code,
      periodKey: x.obligation.periodKey,
    }))[0];
    if (!c) return null;
    const when = formatInTimeZone(c.createdAt, contact.org.timeZone, "HH:mm 'ngày' dd/MM/yyyy");
    const who = c.contact?.name ?? c.actor;
    return `Nhiệm vụ ${codeOf(c.obligation)} «${c.obligation.duty.title}» (hạn ${day(dueInstant(c.obligation), contact.org.timeZone)}) đã được xác nhận trước đó, bởi ${who} lúc ${when}; không còn kỳ nào đang mở. (Already confirmed.)`;
  }

  /**
   * Confirms for the unit. The answer is ready as soon as the confirmation is committed; marking
   * the reminder messages and telling the unit's other people are follow-ups.
   */
  async function confirm(
    caller: Caller,
    contact: ChatContact,
    obligationId: string,
    note: string | null,
  ): Promise<{ text: string; later?: () => Promise<void> }> {
    const now = clock.now();
    const outcome = await confirmObligation(db, {
      obligationId,
      contactId: contact.id,
      actor: actorOf(caller),
      via: 'chat',
      note,
      now,
    });
    const label = `${outcome.duty.code} «${outcome.duty.title}»`;
    if (outcome.status === 'already-done')
      return { text: `Nhiệm vụ ${label} đã được xác nhận trước đó. (Already confirmed.)` };
    const later = async () => {
      const when = formatInTimeZone(now, contact.org.timeZone, "HH:mm 'ngày' dd/MM/yyyy");
      await deps.onConfirmed?.(obligationId, `✅ Đã hoàn thành bởi ${contact.name} lúc ${when}`);
      await tell({ unitId: contact.unitId, except: contact.id }, () => ({
        text: `✅ ${contact.name} đã xác nhận ${contact.unit.name} hoàn thành nhiệm vụ ${label}.`,
      }));
    };
    return {
      text: `✅ Đã ghi nhận: ${contact.unit.name} hoàn thành nhiệm vụ ${label}. Các nhắc nhở còn lại đã được hủy.\n(Confirmed; remaining reminders cancelled.)`,
      later,
    };
  }

  /** Stores a request and asks every administrator to decide it: buttons where the channel has them, a command to type elsewhere. */
  /** What is wrong with the date and reason of an extension request, before anything is looked up; null when nothing. */
  function badExtensionInput(contact: ChatContact, dayText: string, reason: string): Outcome | null {
    if (!parseDayMonth(dayText, zonedDay(clock.now(), contact.org.timeZone))) {
      return {
        replies: [
          {
            text: `Ngày «${dayText.slice(0, 20)}» không hợp lệ; dùng dạng 30/12/2026. (Invalid date: use dd/mm/yyyy.)`,
          },
        ],
      };
    }
    if (!reason.trim()) return { replies: [{ text: 'Cần ghi lý do xin gia hạn. (A reason is required.)' }] };
    return null;
  }

  async function askExtension(
    contact: ChatContact,
    obligationId: string,
    dayText: string,
    reason: string,
  ): Promise<Outcome> {
    const bad = badExtensionInput(contact, dayText, reason);
    if (bad) return bad;
    const zone = contact.org.timeZone;
    const to = parseDayMonth(dayText, zonedDay(clock.now(), zone))!;
    const { request, obligation } = await requestExtension(db, {
      contactId: contact.id,
      unitId: contact.unitId,
      obligationId,
      toDay: to,
      dueAt: endOfDayInZone(to, zone),
      reason,
    });
    const old = day(dueInstant(obligation), zone);
    const wanted = day(request.requestedDue, zone);
    const ref = shortRef(request.id);
    const text = `📅 ${contact.unit.name} (${contact.name}) xin gia hạn nhiệm vụ ${obligation.duty.code} «${obligation.duty.title}» từ ${old} đến ${wanted}.\nLý do: ${reason.slice(0, 500)}`;
    return {
      replies: [
        {
          text: `Đã gửi đề nghị gia hạn nhiệm vụ ${obligation.duty.code} đến ${wanted}; quản trị viên sẽ trả lời. (Extension requested.)`,
        },
      ],
      later: () =>
        tell({ orgId: contact.orgId, admins: true }, () => ({
          text: `${text}\nDuyệt: /duyet ${ref} — Từ chối: /tuchoi ${ref}`,
          buttons: [
            [
              { text: '✅ Duyệt', data: encodeButton('approve', request.id) },
              { text: '❌ Từ chối', data: encodeButton('refuse', request.id) },
            ],
          ],
        })),
    };
  }

  /** An administrator's decision: the request changes once; the unit is told. */
  async function decide(admin: ChatContact, requestId: string, approve: boolean) {
    const { request, changed } = await decideExtension(db, { requestId, approve, admin, now: clock.now() });
    const label = `${request.obligation.duty.code} «${request.obligation.duty.title}»`;
    if (!changed) return { changed, verdict: 'Đề nghị này đã được quyết định trước đó. (Already decided.)', request };
    const verdict = approve
      ? `✅ Đã duyệt gia hạn ${label} đến ${day(request.requestedDue, admin.org.timeZone)}`
      : `❌ Không duyệt gia hạn ${label}`;
    const later = () => tell({ unitId: request.obligation.unitId }, () => ({ text: `${verdict} (${admin.name}).` }));
    return { changed, verdict, request, later };
  }

  async function start(caller: Caller, code: string): Promise<Outcome> {
    if (!code) {
      const all = await identifyAll(caller);
      if (all.length > 1) {
        const lines = all.map((c) => `• ${c.org.name} (mã ${c.org.code}): ${c.name} — ${c.unit.name}`);
        return {
          replies: [
            {
              text: `Chat này liên kết với ${all.length} đầu mối ở ${all.length} tổ chức:\n${lines.join('\n')}\nGõ /viec để xem nhiệm vụ đang mở của từng tổ chức; khi một mã có ở nhiều tổ chức, thêm @<mã tổ chức> sau mã (ví dụ: /xong 4.2-2026Q4@${all[0]!.org.code}).\n(This chat is linked to contacts in several organisations, listed above.)`,
            },
          ],
        };
      }
      const contact = all[0] ?? null;
      return {
        replies: [
          {
            text: contact
              ? `Chào ${contact.name} (${contact.unit.name}). Gõ /viec để xem nhiệm vụ đang mở, /trogiup để xem hướng dẫn.`
              : NOT_LINKED,
          },
        ],
      };
    }
    const key = `${caller.channel}:${caller.chatId}`;
    const nowMs = clock.now().getTime();
    const tries = await badCodes.get(key, nowMs);
    if (tries && tries.lockedUntil > nowMs) {
      const minutes = Math.ceil((tries.lockedUntil - nowMs) / 60_000);
      return {
        replies: [
          {
            text: `Đã nhập sai mã quá nhiều lần. Thử lại sau ${minutes} phút. (Too many wrong codes: try again in ${minutes} min.)`,
          },
        ],
      };
    }
    try {
      const contact = await redeemInvite(db, {
        code,
        channel: caller.channel,
        address: caller.chatId,
        now: clock.now(),
      });
      await badCodes.delete(key);
      logger.info({ contact: contact.id, channel: caller.channel }, 'chat linked');
      const how = HAS_BUTTONS[caller.channel] ? 'bằng nút ✅ Đã hoàn thành hoặc lệnh /xong' : 'bằng lệnh /xong <mã>';
      return {
        replies: [
          {
            text: `Xin chào ${contact.name} (${contact.unit.name})! Từ nay anh/chị sẽ nhận nhắc hạn nhiệm vụ tại đây và xác nhận ${how}.\nGõ /viec để xem nhiệm vụ đang mở.\n(Linked: reminders will arrive here.)`,
          },
        ],
      };
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      const fresh =
        !tries || (tries.lockedUntil <= nowMs && (tries.lockedUntil > 0 || nowMs - tries.since >= CODE_LOCK_MS));
      const t = fresh ? { count: 0, since: nowMs, lockedUntil: 0 } : tries;
      const count = t.count + 1;
      await badCodes.set(
        key,
        { count, since: t.since, lockedUntil: count >= CODE_TRIES ? nowMs + CODE_LOCK_MS : 0 },
        2 * CODE_LOCK_MS,
      );
      return { replies: [{ text: error.message }] };
    }
  }

  function help(contact: ChatContact | null, caller: Caller): string {
    const admin = contact !== null && isAdmin(contact);
    const lines = [
      'dondoc nhắc hạn nhiệm vụ của kế hoạch. Các lệnh:',
      `/viec — nhiệm vụ đang mở của đơn vị${HAS_BUTTONS[caller.channel] ? ', kèm nút xác nhận' : ''}`,
      '/xong <mã> [ghi chú] — xác nhận đơn vị đã hoàn thành (ví dụ: /xong 4.2-2026Q4 đã gửi báo cáo)',
      '/giahan <mã> <ngày> <lý do> — xin gia hạn (ví dụ: /giahan 4.2-2026Q4 30/12/2026 chờ số liệu)',
      '/hoantac <mã> — rút lại xác nhận của đơn vị trong 24 giờ',
      'Mã gồm số hiệu nhiệm vụ và kỳ, như trong tin nhắc (4.2-2026Q4: quý IV năm 2026; 4.2-2026: năm 2026); không phân biệt chữ hoa, dấu gạch hay khoảng trắng.',
      '/kenh [kênh …] — xem hoặc đổi thứ tự kênh nhận nhắc (ví dụ: /kenh zalo email)',
      '/chitieu [số] [tử số/mẫu số] [ghi chú] — xem hoặc báo cáo chỉ tiêu của đơn vị năm nay (ví dụ: /chitieu 1 45/50 hệ thống)',
      ...(admin
        ? [
            '/tonghop — đơn vị nào đang trễ hạn',
            '/nhac <đơn vị> — nhắc ngay một đơn vị',
            '/duyet <mã đề nghị> — duyệt gia hạn; /tuchoi <mã đề nghị> — từ chối',
          ]
        : []),
      '/trogiup — hướng dẫn này',
      '',
      `English: /tasks, /done <code> [note], /extend <code> <date> <reason>, /undo <code> (the code names the duty and its period, as in the reminder: 4.2-2026Q4), /channels [list], /indicator [number] [numerator/denominator] [note]${admin ? ', /status, /nudge <unit>, /approve <ref>, /refuse <ref>' : ''}, /help.`,
    ];
    if (!contact) lines.unshift(NOT_LINKED, '');
    else lines.unshift(`${contact.name} — ${contact.unit.name}`, '');
    return lines.join('\n');
  }

  async function channelsCommand(contact: ChatContact, caller: Caller, args: string[]): Promise<Outcome> {
    const c = await db.contact.findUniqueOrThrow({ where: { id: contact.id } });
    const addressOf: Record<string, boolean> = {
      telegram: c.telegramChatId !== null,
      zalo: c.zaloUserId !== null,
      email: c.email !== null,
    };
    if (!args.length) {
      const order = c.channels
        .map((ch) => `${CHANNEL_LABEL[ch] ?? ch}${c.disabledChannels.includes(ch) ? ' (đang lỗi / failing)' : ''}`)
        .join(' → ');
      const usable = CONTACT_CHANNELS.map((ch) => `${ch}: ${addressOf[ch] ? 'đã có' : 'chưa liên kết'}`).join(', ');
      return {
        replies: [
          {
            text: `Thứ tự kênh nhận nhắc: ${order}.\nMỗi nhắc nhở gửi một lần, trên kênh đầu tiên nhận được; kênh sau chỉ dùng khi kênh trước lỗi.\nCác kênh: ${usable}.\nĐổi: /kenh ${caller.channel} email\n(Your channels, first first; change with /channels ${caller.channel} email.)`,
          },
        ],
      };
    }
    const updated = await setContactChannels(db, contact.orgId, contact.id, args, actorOf(caller), { byContact: true });
    return {
      replies: [
        {
          text: `Đã lưu thứ tự kênh: ${updated.channels.map((ch) => CHANNEL_LABEL[ch] ?? ch).join(' → ')}. (Channels saved.)`,
        },
      ],
    };
  }

  async function decideByRef(contact: ChatContact, ref: string | undefined, approve: boolean): Promise<Outcome> {
    if (!isAdmin(contact)) return { replies: [{ text: 'Lệnh này dành cho quản trị viên. (Administrators only.)' }] };
    if (!ref)
      return {
        replies: [
          {
            text: `Cách dùng: /${approve ? 'duyet' : 'tuchoi'} <mã đề nghị>, mã có trong tin xin gia hạn. (Usage: /${approve ? 'approve' : 'refuse'} <ref>.)`,
          },
        ],
      };
    const request = await findPendingExtension(db, contact.orgId, ref);
    const d = await decide(contact, request.id, approve);
    return { replies: [{ text: d.verdict }], ...(d.later ? { later: d.later } : {}) };
  }

  /** A text message: a command, or the answer to the 📅 dialogue, or anything else. */
  async function handleText(caller: Caller, text: string, context: { replyToBotText?: string } = {}): Promise<Outcome> {
    try {
      // NUL and other control characters (but new lines and tabs) mean nothing in a command and
      // PostgreSQL refuses NUL in text: they go before anything reads the message.
      return await handleTextInner(
        caller,
        // eslint-disable-next-line no-control-regex
        text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, ''),
        context,
      );
    } catch (error) {
      if (error instanceof UserError) return { replies: [{ text: error.message }] };
      throw error;
    }
  }

  async function handleTextInner(caller: Caller, text: string, context: { replyToBotText?: string }): Promise<Outcome> {
    const command = parseCommand(text);
    if (!command) {
      if (caller.group) return { replies: [] };
      const prompt = EXTEND_PROMPT.exec(context.replyToBotText ?? '');
      if (prompt) {
        const all = await identifyAll(caller);
        // In several organisations: as `/giahan <code> <date> <reason>`, for the one the code is found in.
        if (all.length > 1)
          return severalOrganisations(caller, all, {
            name: 'extend',
            args: [prompt[1]!, ...text.trim().split(/\s+/)],
            rest: `${prompt[1]} ${text.trim()}`,
          });
        const contact = all[0];
        if (!contact) return { replies: [{ text: NOT_LINKED }] };
        const open = await openByCode(contact, prompt[1]!);
        if (!open.length) return { replies: [{ text: 'Nhiệm vụ này không còn mở. (No longer open.)' }] };
        // A prompt of an older version named the duty alone: with several periods open, ask which.
        if (open.length > 1) return { replies: [askWhichPeriod(caller, contact, open, 'extend')] };
        const [dayText, ...reason] = text.trim().split(/\s+/);
        return askExtension(contact, open[0]!.id, dayText ?? '', reason.join(' '));
      }
      return { replies: [{ text: 'Gõ /viec để xem nhiệm vụ, /xong <mã> để xác nhận, /trogiup để xem hướng dẫn.' }] };
    }
    const { name, args } = command;
    if (name === 'start') return start(caller, args[0] ?? '');
    if (name === 'unknown')
      return caller.group
        ? { replies: [] }
        : { replies: [{ text: 'Lệnh không rõ. Gõ /trogiup để xem các lệnh. (Unknown command: see /help.)' }] };
    const all = await identifyAll(caller);
    if (all.length > 1) return severalOrganisations(caller, all, command);
    const contact = all[0] ?? null;
    if (name === 'help') return { replies: [{ text: help(contact, caller) }] };
    if (!contact) return { replies: [{ text: NOT_LINKED }] };
    return commandAs(caller, contact, command);
  }

  /** A command (not /start, /trogiup or an unknown one) of a linked contact. */
  async function commandAs(caller: Caller, contact: ChatContact, command: ParsedCommand): Promise<Outcome> {
    const { name, args, rest } = command;
    switch (name) {
      case 'tasks':
        return { replies: [await obligationList(contact, caller)] };
      case 'done': {
        const [code] = args;
        if (!code) return { replies: [await obligationList(contact, caller, 'Anh/chị xác nhận nhiệm vụ nào?')] };
        const { matches, words } = await openByWords(contact, args);
        if (!matches.length) {
          const done = await lastConfirmed(contact, code);
          if (done) return { replies: [{ text: done }] };
          return {
            replies: [
              await obligationList(
                contact,
                caller,
                `${contact.unit.name} không có nhiệm vụ «${code.slice(0, 40)}» đang mở.`,
              ),
            ],
          };
        }
        if (matches.length > 1) return { replies: [askWhichPeriod(caller, contact, matches, 'done')] };
        const note = after(rest, words).slice(0, 1_000) || null;
        const done = await confirm(caller, contact, matches[0]!.id, note);
        return { replies: [{ text: done.text }], ...(done.later ? { later: done.later } : {}) };
      }
      case 'extend': {
        const usage =
          'Cách dùng: /giahan <mã> <ngày> <lý do>, ví dụ: /giahan 4.2-2026Q4 30/12/2026 chờ số liệu quý IV. (Usage: /extend <code> <date> <reason>.)';
        const [code] = args;
        if (!code || args.length < 2) return { replies: [{ text: usage }] };
        const { matches: open, words } = await openByWords(contact, args);
        const [dayText, ...reason] = args.slice(words);
        if (!dayText) return { replies: [{ text: usage }] };
        if (!open.length)
          return {
            replies: [
              { text: `${contact.unit.name} không có nhiệm vụ «${code.slice(0, 40)}» đang mở. Gõ /viec để xem.` },
            ],
          };
        // A wrong date or a missing reason is said first: asking the period would only delay it.
        if (open.length > 1)
          return (
            badExtensionInput(contact, dayText, reason.join(' ')) ?? {
              replies: [askWhichPeriod(caller, contact, open, 'extend')],
            }
          );
        return askExtension(contact, open[0]!.id, dayText, reason.join(' '));
      }
      case 'undo': {
        const [code] = args;
        if (!code)
          return {
            replies: [
              { text: 'Cách dùng: /hoantac <mã> — rút lại xác nhận của đơn vị trong 24 giờ. (Usage: /undo <code>.)' },
            ],
          };
        const recent = await recentConfirmations(db, contact.unitId, clock.now());
        const named = pickByWords(args, recent, (c) => ({
          dutyCode: c.obligation.duty.code,
          periodKey: c.obligation.periodKey,
        })).matches;
        if (!named.length) {
          throw new UserError(
            `Không có xác nhận nào của đơn vị cho nhiệm vụ «${code.slice(0, 40)}» trong 24 giờ qua để hoàn tác. / Nothing to undo.`,
          );
        }
        if (named.length > 1)
          return {
            replies: [
              askWhichPeriod(
                caller,
                contact,
                named.map((c) => c.obligation),
                'undo',
              ),
            ],
          };
        const o = await withdrawConfirmation(db, {
          contactId: contact.id,
          unitId: contact.unitId,
          confirmationId: named[0]!.id,
          now: clock.now(),
        });
        return {
          replies: [
            {
              text: `↩️ Đã rút lại xác nhận nhiệm vụ ${codeOf(o)}; nhiệm vụ mở lại và sẽ được nhắc tiếp. (Confirmation withdrawn.)`,
            },
          ],
        };
      }
      case 'status': {
        if (!isAdmin(contact))
          return {
            replies: [
              { text: 'Lệnh này dành cho quản trị viên. Gõ /viec để xem nhiệm vụ của đơn vị. (Administrators only.)' },
            ],
          };
        const late = await lateByUnit(db, contact.orgId, clock.now());
        if (!late.length) return { replies: [{ text: 'Không đơn vị nào trễ hạn. 🎉 (Nobody is late.)' }] };
        const lines = late.slice(0, 60).map((l) => `• ${l.unit}: ${l.codes.join(', ')}`);
        const more = late.length > 60 ? `\n… và ${late.length - 60} đơn vị khác` : '';
        return {
          replies: [{ text: `Đơn vị trễ hạn (${late.length}), nhiệm vụ chưa xác nhận:\n${lines.join('\n')}${more}` }],
        };
      }
      case 'nudge': {
        if (!isAdmin(contact))
          return { replies: [{ text: 'Lệnh này dành cho quản trị viên. (Administrators only.)' }] };
        const unitName = rest.trim();
        if (!unitName)
          return {
            replies: [{ text: 'Cách dùng: /nhac <tên đơn vị>, ví dụ: /nhac Sở Y tế. (Usage: /nudge <unit>.)' }],
          };
        const unit = await findUnit(db, contact.orgId, unitName.slice(0, 200));
        const r = await nudge(db, contact.orgId, { unitId: unit.id, actor: actorOf(caller), now: clock.now() });
        await deps.dispatch?.(contact.orgId);
        const missing = r.withoutChannel.length ? `\nKhông có kênh gửi được: ${r.withoutChannel.join(', ')}` : '';
        return { replies: [{ text: `Đã gửi ${r.reminders} nhắc nhở cho ${unit.name}.${missing}` }] };
      }
      case 'channels':
        return channelsCommand(contact, caller, args);
      case 'indicator':
        return {
          replies: [
            { text: await indicatorCommand({ db, now: clock.now(), actor: actorOf(caller) }, contact, args, rest) },
          ],
        };
      case 'approve':
      case 'refuse':
        return decideByRef(contact, args[0], name === 'approve');
      case 'start':
      case 'help':
      case 'unknown':
        return { replies: [] };
    }
  }

  /**
   * A chat linked to contacts in several organisations (a person who works for two). Nothing acts
   * silently for one of them:
   *
   * 1. /viec lists each organisation's duties under its name.
   * 2. /xong, /giahan, /hoantac with a code act for the one organisation where the code names
   *    something, and the reply names it; a code found in several is asked about (a button each on
   *    Telegram; elsewhere the code to type with `@<organisation code>`), nothing changed.
   * 3. Commands that name no duty (/kenh, /tonghop, /nhac, /duyet, /tuchoi) are refused with the
   *    organisations listed, nothing changed: which one they meant cannot be told.
   */
  async function severalOrganisations(caller: Caller, all: ChatContact[], command: ParsedCommand): Promise<Outcome> {
    const { name, args, rest } = command;
    const orgs = all.map((c) => `${c.org.name} (mã ${c.org.code})`).join('; ');
    const named = (c: ChatContact, outcome: Outcome): Outcome => ({
      ...outcome,
      replies: outcome.replies.map((r) => ({ ...r, text: `[${c.org.name}] ${r.text}` })),
    });
    if (name === 'help')
      return {
        replies: [
          {
            text: `${help(all[0]!, caller)}\n\nChat này liên kết với đầu mối ở ${all.length} tổ chức: ${orgs}. (Linked in several organisations.)`,
          },
        ],
      };
    if (name === 'tasks' || (name === 'done' && !args.length)) {
      const intro = name === 'done' ? 'Anh/chị xác nhận nhiệm vụ nào?' : undefined;
      return {
        replies: await Promise.all(
          all.map(async (c) => named(c, { replies: [await obligationList(c, caller, intro)] }).replies[0]!),
        ),
      };
    }
    if ((name === 'done' || name === 'extend' || name === 'undo') && args.length) {
      // `4.2-2026Q4@hcm`: the code kept to one organisation.
      const at = /^(.+)@([A-Za-z0-9_-]{1,40})$/.exec(args[0]!);
      const pool = at ? all.filter((c) => c.org.code.toLowerCase() === at[2]!.toLowerCase()) : all;
      const typed = at ? [at[1]!, ...args.slice(1)] : args;
      const typedRest = at ? rest.replace(/^\S+/, at[1]!) : rest;
      const found: { contact: ChatContact; ids: string[] }[] = [];
      for (const c of pool) {
        const ids =
          name === 'undo'
            ? pickByWords(typed, await recentConfirmations(db, c.unitId, clock.now()), (x) => ({
                dutyCode: x.obligation.duty.code,
                periodKey: x.obligation.periodKey,
              })).matches.map((x) => x.obligationId)
            : (await openByWords(c, typed)).matches.map((o) => o.id);
        if (ids.length) found.push({ contact: c, ids });
      }
      if (found.length === 1 || (found.length === 0 && pool.length === 1)) {
        const c = found[0]?.contact ?? pool[0]!;
        return named(c, await commandAs(caller, c, { name, args: typed, rest: typedRest }));
      }
      const cmd = { done: '/xong', extend: '/giahan', undo: '/hoantac' }[name];
      if (!found.length) {
        return {
          replies: [
            {
              text: `Không tổ chức nào anh/chị liên kết (${orgs}) có nhiệm vụ «${typed[0]!.slice(0, 40)}» ${name === 'undo' ? 'vừa được xác nhận' : 'đang mở'}. Gõ /viec để xem. Chưa có gì thay đổi.`,
            },
          ],
        };
      }
      const lines = found.map(
        (f) =>
          `• ${f.contact.org.name}: ${cmd} ${typed[0]}@${f.contact.org.code}${name === 'extend' ? ' <ngày> <lý do>' : ''}`,
      );
      const text = `Mã «${typed[0]!.slice(0, 40)}» có ở ${found.length} tổ chức anh/chị liên kết; anh/chị muốn làm cho tổ chức nào? Chưa có gì thay đổi.\n${lines.join('\n')}\n(The code is found in several of your organisations: name one. Nothing was changed.)`;
      const single = found.every((f) => f.ids.length === 1);
      if (!HAS_BUTTONS[caller.channel] || name === 'undo' || !single) return { replies: [{ text }] };
      const action = name === 'done' ? 'done' : 'extend';
      return {
        replies: [
          {
            text,
            buttons: found.map((f) => [
              {
                text: `${action === 'done' ? '✅' : '📅'} ${typed[0]} — ${f.contact.org.name}`,
                data: encodeButton(action, f.ids[0]!),
              },
            ]),
          },
        ],
      };
    }
    return {
      replies: [
        {
          text: `Chat này liên kết với đầu mối ở ${all.length} tổ chức: ${orgs}. Lệnh này không nêu tổ chức nào nên chưa làm gì; hãy dùng trang quản trị của tổ chức, hoặc nhờ quản trị viên gỡ liên kết thừa. (This chat is linked in several organisations and the command names none: nothing was done.)`,
        },
      ],
    };
  }

  /** Of a chat's contacts in several organisations, the one a button is for (else the oldest, who is then refused as any other). */
  async function presserFor(all: ChatContact[], button: { action: string; id: string }): Promise<ChatContact> {
    if (button.action === 'approve' || button.action === 'refuse') {
      const r = await db.extensionRequest.findUnique({ where: { id: button.id }, select: { orgId: true } });
      return all.find((c) => c.orgId === r?.orgId && isAdmin(c)) ?? all[0]!;
    }
    const o = await db.obligation.findUnique({ where: { id: button.id }, select: { unitId: true } });
    return all.find((c) => c.unitId === o?.unitId) ?? all[0]!;
  }

  /** A button press (channels with buttons). The data names what was pressed, never who may press it. */
  async function handleButton(caller: Caller, data: string): Promise<ButtonOutcome> {
    try {
      return await handleButtonInner(caller, data);
    } catch (error) {
      if (error instanceof UserError) return { answer: { text: error.message.slice(0, 190), alert: true } };
      throw error;
    }
  }

  async function handleButtonInner(caller: Caller, data: string): Promise<ButtonOutcome> {
    const button = decodeButton(data);
    if (!button)
      return {
        answer: {
          text: 'Nút này không còn dùng được. Gõ /viec để xem lại. (This button no longer works.)',
          alert: true,
        },
      };
    if (button.action === 'list') return { answer: { text: 'Việc này đã xong. (Already handled.)' } };
    const all = await identifyAll(caller);
    // Linked in several organisations: the button names an obligation or a request, whose
    // organisation says who presses it (someone of its unit; an administrator of its organisation).
    const contact = all.length > 1 ? await presserFor(all, button) : (all[0] ?? null);
    if (!contact) return { answer: { text: NOT_LINKED.slice(0, 190), alert: true } };
    if (button.action === 'approve' || button.action === 'refuse') {
      const approve = button.action === 'approve';
      const d = await decide(contact, button.id, approve);
      if (!d.changed) return { answer: { text: d.verdict } };
      return {
        answer: { text: d.verdict.slice(0, 190) },
        keyboard: [
          [
            {
              text: `${approve ? '✅ Đã duyệt' : '❌ Đã từ chối'} bởi ${contact.name}`,
              data: encodeButton('list', d.request.obligationId),
            },
          ],
        ],
        ...(d.later ? { later: d.later } : {}),
      };
    }
    if (button.action === 'extend') {
      const o = await db.obligation.findUnique({ where: { id: button.id }, include: { duty: true } });
      if (!o || o.unitId !== contact.unitId)
        throw new UserError('Anh/chị chỉ xin gia hạn được nhiệm vụ của đơn vị mình. / Only your own unit’s duties.');
      if (o.status !== 'open') return { answer: { text: 'Nhiệm vụ này không còn mở. (No longer open.)' } };
      return {
        answer: {},
        replies: [
          {
            text: `📅 Gia hạn nhiệm vụ ${codeOf(o)}: trả lời tin này bằng ngày mới và lý do, ví dụ: 30/12/2026 chờ số liệu quý IV.`,
            ask: { placeholder: '30/12/2026 lý do' },
          },
        ],
      };
    }
    const done = await confirm(caller, contact, button.id, null);
    return { answer: { text: done.text.split('\n')[0]!.slice(0, 190) }, ...(done.later ? { later: done.later } : {}) };
  }

  /**
   * What an administrator did for a unit elsewhere (the web page: confirmed or waived on its
   * behalf, decided its extension request) reaches the unit's people on their chat channels, as a
   * decision in chat does; for a confirmed or waived obligation, the messages that carried its
   * reminders are marked with `closed` (Telegram edits them, their buttons go).
   */
  async function announce(input: UnitNotice) {
    if (input.closed) await deps.onConfirmed?.(input.closed.obligationId, input.closed.text);
    await tell({ unitId: input.unitId }, () => ({ text: input.text }));
  }

  /**
   * Who sent a file (a document or photo on Telegram, a photo on Zalo) and which obligation it is
   * evidence of. In a chat linked in one organisation: the reminder it replies to, else the
   * contact's confirmation of the last hour. In a chat linked in several, nothing is taken for the
   * oldest link: a reply to a reminder acts for the organisation of the reminder's obligation;
   * without one, the file is refused with the organisations listed (Telegram: reply to the
   * reminder). Zalo has no replies: there, the latest /xong of the last hour by one of the chat's
   * contacts names the organisation, else the same refusal (send /xong <code>@<organisation> first).
   */
  async function evidenceFor(caller: Caller, input: { replyToMessageId?: number } = {}): Promise<EvidenceFor> {
    const all = await identifyAll(caller);
    if (!all.length) return { refusal: NOT_LINKED };
    const now = clock.now();
    const first = all[0]!;
    const chatId =
      caller.channel === 'telegram' && first.telegramChatId !== null ? { chatId: first.telegramChatId } : {};
    const reply = input.replyToMessageId !== undefined ? { replyToMessageId: input.replyToMessageId } : {};
    if (all.length === 1)
      return {
        contact: first,
        obligation: await evidenceTarget(db, { contactId: first.id, unitId: first.unitId, ...chatId, ...reply, now }),
        label: '',
      };
    const found = await evidenceTargetAmong(db, {
      contacts: all,
      ...chatId,
      ...reply,
      afterConfirmation: !HAS_REPLIES[caller.channel],
      now,
    });
    const contact = found && all.find((c) => c.id === found.contactId);
    if (found && contact) return { contact, obligation: found.obligation, label: `[${contact.org.name}] ` };
    const orgs = all.map((c) => `${c.org.name} (mã ${c.org.code})`).join('; ');
    return {
      refusal: HAS_REPLIES[caller.channel]
        ? `Chat này liên kết với đầu mối ở ${all.length} tổ chức: ${orgs}. Chưa rõ tệp này cho tổ chức nào nên chưa lưu: hãy gửi lại tệp bằng cách trả lời (reply) tin nhắc của nhiệm vụ đó. (This chat is linked in several organisations: reply to the reminder with the file. Nothing was stored.)`
        : `Chat này liên kết với đầu mối ở ${all.length} tổ chức: ${orgs}. Chưa rõ ảnh này cho tổ chức nào nên chưa lưu: gửi /xong <mã>@<mã tổ chức> rồi gửi ảnh ngay sau đó (ví dụ: /xong 4.2-2026Q4@${first.org.code}). (This chat is linked in several organisations: send /done <code>@<organisation> first, then the photo. Nothing was stored.)`,
    };
  }

  return { identify, evidenceFor, handleText, handleButton, announce };
}

/** The first chat channel of a contact's preference that has an address, works, and this process can send on. */
export function chatRoute(
  c: { channels: string[]; disabledChannels: string[]; telegramChatId: bigint | null; zaloUserId: string | null },
  senders: Partial<Record<ChatChannel, ChatSender>>,
): { channel: ChatChannel; address: string } | null {
  const address = (ch: ChatChannel) =>
    ch === 'telegram' ? (c.telegramChatId === null ? null : String(c.telegramChatId)) : c.zaloUserId;
  const candidates: ChatChannel[] = [
    ...c.channels.filter((ch): ch is ChatChannel => ch === 'telegram' || ch === 'zalo'),
    'telegram',
    'zalo',
  ];
  for (const ch of candidates) {
    const a = address(ch);
    if (a !== null && senders[ch] && !c.disabledChannels.includes(ch)) return { channel: ch, address: a };
  }
  return null;
}

/** The short reference of an extension request, to type where there are no buttons: the first 8 hex digits of its id. */
export const shortRef = (id: string) => id.replace(/-/g, '').slice(0, 8);
