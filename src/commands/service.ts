import { formatInTimeZone } from 'date-fns-tz';
import { channelLabel, reachable } from '#root/channels/registry.js';
import { decodeButton, encodeButton } from '#root/channels/telegram/callback.js';
import type { Db } from '#root/db/client.js';
import type { Clock } from '#root/deps.js';
import { obligationCode, pickByCode, pickByWords } from '#root/domain/obligation-code.js';
import { dueInstant } from '#root/domain/obligation-state.js';
import { endOfDayInZone } from '#root/domain/occurrences.js';
import { dayInWords, periodInWords, type Lang } from '#root/domain/wording.js';
import { zonedDay } from '#root/domain/zoned-day.js';
import { type ChatKey, type ChatParams, fitText, inOneLanguage, langOfCode, say } from '#root/messages/chat-words.js';
import { failureForContact } from '#root/messages/refusal-words.js';
import { NotFoundError, UserError } from '#root/errors/index.js';
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
  reviveChat,
  withdrawConfirmation,
} from '#root/services/chat.js';
import { confirmObligation } from '#root/services/confirmations.js';
import { channelFailureReasons } from '#root/services/channel-failures.js';
import { dayListOf } from '#root/services/day-list.js';
import type { UnitNotice } from '#root/services/on-behalf.js';
import { CONTACT_CHANNELS, setContactChannels } from '#root/services/contacts.js';
import { nudge } from '#root/services/nudge.js';
import { findUnit } from '#root/services/units.js';
import { indicatorCommand } from './indicator.js';
import { parseCommand, type ParsedCommand } from './parse.js';

/** A person-facing error in the person's language: its own words in it, else the part of "vi / en". */
const inLanguage = (error: UserError, lang: Lang) => error.words?.[lang] ?? inOneLanguage(error.message, lang);

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
  /** The language the person's app is set to (Telegram's `language_code`): for a chat not linked yet. */
  languageCode?: string;
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

/** What an unlinked chat is told, in its language. */
export const notLinked = (lang: Lang) => say(lang, 'notLinked');

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/**
 * The prompt of the 📅 dialogue (in either language): a reply to it carries the new date and the
 * reason; the prompt's first line names the code.
 */
export const EXTEND_PROMPT = new RegExp(
  `^(?:${(['vi', 'en'] as const)
    .map((lang) => escapeRegExp(say(lang, 'extend.prompt').split('…')[0]!))
    .join('|')})(\\S+):`,
);

const isAdmin = (c: { role: string }) => c.role === 'admin' || c.role === 'supervisor';
/** The code of an obligation to type in a chat ("4.2-2026Q4"). */
const codeOf = (o: { periodKey: string; duty: { code: string } }) => obligationCode(o.duty.code, o.periodKey);
/** A due instant as its day in words: "thứ Sáu, 13/11/2026". */
const day = (d: Date, zone: string, lang: Lang) => dayInWords(zonedDay(d, zone), lang);
/** "09:30 ngày 13/11/2026" / "09:30 on 13/11/2026". */
const timeOnDay = (d: Date, zone: string, lang: Lang) =>
  say(lang, 'timeOnDay', { time: formatInTimeZone(d, zone, 'HH:mm'), date: formatInTimeZone(d, zone, 'dd/MM/yyyy') });
/** The language of a caller not linked yet (see {@link langOfCode}). */
const callerLang = (caller: Caller): Lang => langOfCode(caller.languageCode);
/** One reply, in a language. */
const reply = (lang: Lang, key: ChatKey, params?: ChatParams): Reply => ({ text: say(lang, key, params) });

/**
 * Who sent a file and which obligation it is evidence of ({@link CommandService.evidenceFor}):
 * a refusal to send as is (not linked; linked in several organisations and nothing names one),
 * or the contact, the obligation (null when nothing names one: the adapter asks for a reply or a
 * /xong first), and `label`, "[Organisation] " to put before the answer when the chat is linked in
 * several organisations.
 */
export type EvidenceFor =
  | { refusal: string }
  | {
      contact: ChatContact;
      obligation: Extract<Awaited<ReturnType<typeof evidenceTarget>>, { obligation: unknown }>['obligation'] | null;
      /** A reply to a message of several obligations, its caption naming none: their codes, to name one. */
      among?: string[];
      label: string;
    };

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

  /** The language to answer a caller in: their contact's, else as their app says ({@link langOfCode}). */
  async function langOf(caller: Caller): Promise<Lang> {
    return (await identify(caller))?.locale ?? callerLang(caller);
  }

  /** Contacts reached by chat, each on the first chat channel of their preference that this process can use. */
  async function tell(
    where: { unitId?: string; orgId?: string; admins?: boolean; except?: string },
    notice: (c: { id: string; locale: Lang }) => Notice | null,
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
    const lang = contact.locale;
    const open = await openObligationsOfUnit(db, contact.unitId);
    const before = intro ? `${intro}\n\n` : '';
    if (!open.length) return { text: `${before}${say(lang, 'tasks.none', { unit: contact.unit.name })}` };
    const zone = contact.org.timeZone;
    const lines = open.map((o) =>
      say(lang, 'tasks.line', { code: codeOf(o), title: o.duty.title, due: day(dueInstant(o), zone, lang) }),
    );
    const head = `${before}${say(lang, 'tasks.head', { unit: contact.unit.name })}\n${lines.join('\n')}`;
    if (!HAS_BUTTONS[caller.channel])
      return { text: `${head}\n\n${say(lang, 'tasks.typeToConfirm', { code: codeOf(open[0]!) })}` };
    return {
      text: `${head}\n\n${say(lang, 'tasks.pressToConfirm')}`,
      buttons: open.map((o) => [
        {
          text: say(lang, 'button.done', { code: codeOf(o), due: day(dueInstant(o), zone, lang) }),
          data: encodeButton('done', o.id),
        },
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
    const lang = contact.locale;
    const zone = contact.org.timeZone;
    const first = items[0]!;
    const typed = say(lang, `cmd.${what}`);
    const tail = what === 'undo' ? '' : say(lang, `tail.${what}`);
    const lines = items.map((o) =>
      say(lang, 'which.line', {
        period: periodInWords(o.periodKey, lang),
        due: day(dueInstant(o), zone, lang),
        command: `${typed} ${codeOf(o)}${tail}`,
      }),
    );
    const question = say(lang, `which.${what}`, {
      code: first.duty.code,
      title: first.duty.title,
      count: items.length,
    });
    const text = `${question}\n${lines.join('\n')}`;
    if (!HAS_BUTTONS[caller.channel] || what === 'undo') return { text };
    return {
      text,
      buttons: items.map((o) => [
        {
          text: say(lang, what === 'done' ? 'button.done' : 'button.extend', {
            code: codeOf(o),
            due: day(dueInstant(o), zone, lang),
          }),
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
    const lang = contact.locale;
    const zone = contact.org.timeZone;
    return say(lang, 'done.earlier', {
      code: codeOf(c.obligation),
      title: c.obligation.duty.title,
      due: day(dueInstant(c.obligation), zone, lang),
      who: c.contact?.name ?? c.actor ?? '',
      when: timeOnDay(c.createdAt, zone, lang),
    });
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
    options: { listRest?: boolean } = {},
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
    const lang = contact.locale;
    // The code with its period ("4.2-2026Q4"), as /viec and the reminders show it: "4.2" alone
    // does not say which quarter was recorded.
    const duty = { code: codeOf({ periodKey: outcome.periodKey, duty: outcome.duty }), title: outcome.duty.title };
    if (outcome.status === 'already-done') return { text: say(lang, 'done.already', duty) };
    const later = async () => {
      // The reminder messages are marked in the words of the person who confirmed.
      const when = timeOnDay(now, contact.org.timeZone, lang);
      await deps.onConfirmed?.(obligationId, say(lang, 'button.doneBy', { name: contact.name, when }));
      await tell({ unitId: contact.unitId, except: contact.id }, (p) => ({
        text: say(p.locale, 'done.told', { ...duty, name: contact.name, unit: contact.unit.name }),
      }));
    };
    const ok = say(lang, 'done.ok', { ...duty, unit: contact.unit.name });
    return { text: options.listRest ? `${ok}${await restOfDay(caller, contact, obligationId, now)}` : ok, later };
  }

  /** How many of the day's open items a reply lists; the rest are counted, with /viec. */
  const REST_SHOWN = 10;

  /**
   * A typed confirmation's reply names what is left of the day's message that carried the item
   * (Zalo cannot edit a message in place, as Telegram's buttons do): each open item with the
   * command to confirm it, or that nothing is left. Empty when no message of today carried it.
   */
  async function restOfDay(caller: Caller, contact: ChatContact, obligationId: string, now: Date): Promise<string> {
    const lang = contact.locale;
    const list = await dayListOf(db, {
      contactId: contact.id,
      obligationId,
      channel: caller.channel,
      day: zonedDay(now, contact.org.timeZone),
    });
    if (!list) return '';
    const open = list.filter((i) => i.open && i.obligationId !== obligationId);
    if (!open.length) return `\n\n${say(lang, 'done.restNone')}`;
    const lines = open
      .slice(0, REST_SHOWN)
      .map((i) => say(lang, 'done.restLine', { code: i.code, title: i.title, due: dayInWords(i.dueDate, lang) }));
    if (open.length > REST_SHOWN) lines.push(say(lang, 'done.restMore', { count: open.length - REST_SHOWN }));
    return `\n\n${say(lang, 'done.rest', { count: open.length })}\n${lines.join('\n')}`;
  }

  /** Stores a request and asks every administrator to decide it: buttons where the channel has them, a command to type elsewhere. */
  /** What is wrong with the date and reason of an extension request, before anything is looked up; null when nothing. */
  function badExtensionInput(contact: ChatContact, dayText: string, reason: string): Outcome | null {
    const lang = contact.locale;
    if (!parseDayMonth(dayText, zonedDay(clock.now(), contact.org.timeZone)))
      return { replies: [reply(lang, 'extend.badDate', { text: dayText.slice(0, 20) })] };
    if (!reason.trim()) return { replies: [reply(lang, 'extend.noReason')] };
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
    const lang = contact.locale;
    const ref = shortRef(request.id);
    return {
      replies: [
        reply(lang, 'extend.requested', { code: codeOf(obligation), to: day(request.requestedDue, zone, lang) }),
      ],
      later: () =>
        tell({ orgId: contact.orgId, admins: true }, (p) => ({
          text: say(p.locale, 'extend.request', {
            unit: contact.unit.name,
            name: contact.name,
            code: codeOf(obligation),
            title: obligation.duty.title,
            from: day(dueInstant(obligation), zone, p.locale),
            to: day(request.requestedDue, zone, p.locale),
            reason: reason.slice(0, 500),
            ref,
          }),
          buttons: [
            [
              { text: say(p.locale, 'button.approve'), data: encodeButton('approve', request.id) },
              { text: say(p.locale, 'button.refuse'), data: encodeButton('refuse', request.id) },
            ],
          ],
        })),
    };
  }

  /** An administrator's decision: the request changes once; the unit is told. */
  async function decide(admin: ChatContact, requestId: string, approve: boolean) {
    const { request, changed } = await decideExtension(db, { requestId, approve, admin, now: clock.now() });
    if (!changed) return { changed, verdict: say(admin.locale, 'decide.already'), request };
    const verdictIn = (lang: Lang) =>
      say(lang, approve ? 'decide.approved' : 'decide.refused', {
        code: codeOf(request.obligation),
        title: request.obligation.duty.title,
        to: day(request.requestedDue, admin.org.timeZone, lang),
      });
    const later = () =>
      tell({ unitId: request.obligation.unitId }, (p) => ({
        text: say(p.locale, 'decide.told', { verdict: verdictIn(p.locale), admin: admin.name }),
      }));
    return { changed, verdict: verdictIn(admin.locale), request, later };
  }

  async function start(caller: Caller, code: string): Promise<Outcome> {
    if (!code) {
      // A /start in a linked chat shows that it takes messages again (the bot unblocked, added back
      // to the group): a channel disabled after such a failure is used again for its contacts.
      const revived = await reviveChat(db, { channel: caller.channel, address: caller.chatId, actor: actorOf(caller) });
      if (revived.length)
        logger.info(
          { contacts: String(revived.length), channel: caller.channel },
          'chat answers again; channel re-enabled',
        );
      const back = (lang: Lang) =>
        revived.length ? `\n${say(lang, 'start.channelBack', { channel: channelLabel(caller.channel, lang) })}` : '';
      const all = await identifyAll(caller);
      if (all.length > 1) {
        const lang = all[0]!.locale;
        const lines = all.map((c) =>
          say(lang, 'start.severalLine', { org: c.org.name, orgCode: c.org.code, name: c.name, unit: c.unit.name }),
        );
        const head = say(lang, 'start.several', { count: all.length });
        const tail = say(lang, 'start.severalTail', { orgCode: all[0]!.org.code });
        return { replies: [{ text: `${head}\n${lines.join('\n')}\n${tail}${back(lang)}` }] };
      }
      const contact = all[0] ?? null;
      const lang = contact?.locale ?? callerLang(caller);
      return {
        replies: [
          contact
            ? { text: say(lang, 'start.hello', { name: contact.name, unit: contact.unit.name }) + back(lang) }
            : { text: say(lang, 'notLinked') + back(lang) },
        ],
      };
    }
    const key = `${caller.channel}:${caller.chatId}`;
    const nowMs = clock.now().getTime();
    const tries = await badCodes.get(key, nowMs);
    if (tries && tries.lockedUntil > nowMs) {
      const minutes = Math.ceil((tries.lockedUntil - nowMs) / 60_000);
      return { replies: [reply(callerLang(caller), 'start.locked', { minutes })] };
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
      const linked = HAS_BUTTONS[caller.channel] ? 'start.linkedButtons' : 'start.linkedTyped';
      return { replies: [reply(contact.locale, linked, { name: contact.name, unit: contact.unit.name })] };
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
      return { replies: [{ text: inLanguage(error, await langOf(caller)) }] };
    }
  }

  function help(contact: ChatContact | null, caller: Caller): string {
    const lang = contact?.locale ?? callerLang(caller);
    const admin = contact !== null && isAdmin(contact);
    const keys: ChatKey[] = [
      'help.intro',
      HAS_BUTTONS[caller.channel] ? 'help.tasksButtons' : 'help.tasks',
      'help.done',
      'help.extend',
      'help.undo',
      'help.code',
      'help.channels',
      'help.indicator',
      ...(admin ? (['help.status', 'help.nudge', 'help.decide'] as const) : []),
      'help.help',
    ];
    const lines = keys.map((k) => say(lang, k));
    if (!contact) lines.unshift(say(lang, 'notLinked'), '');
    else lines.unshift(say(lang, 'help.who', { name: contact.name, unit: contact.unit.name }), '');
    return lines.join('\n');
  }

  async function channelsCommand(contact: ChatContact, caller: Caller, args: string[]): Promise<Outcome> {
    const c = await db.contact.findUniqueOrThrow({ where: { id: contact.id } });
    const lang = contact.locale;
    if (!args.length) {
      // A failing channel with why, for the contact: what happened and what they can do.
      const failures = (await channelFailureReasons(db, c.orgId, [c])).get(c.id);
      const order = c.channels
        .map((ch) =>
          c.disabledChannels.includes(ch)
            ? say(lang, 'channels.failing', {
                channel: channelLabel(ch, lang),
                reason: failureForContact(failures?.get(ch) ?? '', lang),
              })
            : channelLabel(ch, lang),
        )
        .join(' → ');
      const usable = CONTACT_CHANNELS.map((ch) =>
        say(lang, reachable(ch, c) ? 'channels.linked' : 'channels.notLinked', { channel: channelLabel(ch, lang) }),
      ).join(', ');
      return { replies: [reply(lang, 'channels.show', { order, usable, channel: caller.channel })] };
    }
    const updated = await setContactChannels(db, contact.orgId, contact.id, args, actorOf(caller), { byContact: true });
    return {
      replies: [
        reply(lang, 'channels.saved', { order: updated.channels.map((ch) => channelLabel(ch, lang)).join(' → ') }),
      ],
    };
  }

  async function decideByRef(contact: ChatContact, ref: string | undefined, approve: boolean): Promise<Outcome> {
    const lang = contact.locale;
    if (!isAdmin(contact)) return { replies: [reply(lang, 'adminsOnly')] };
    if (!ref)
      return { replies: [reply(lang, 'decide.usage', { command: say(lang, approve ? 'cmd.approve' : 'cmd.refuse') })] };
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
      if (error instanceof UserError) return { replies: [{ text: inLanguage(error, await langOf(caller)) }] };
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
        if (!contact) return { replies: [reply(callerLang(caller), 'notLinked')] };
        const open = await openByCode(contact, prompt[1]!);
        if (!open.length) return { replies: [reply(contact.locale, 'notOpen')] };
        // A prompt of an older version named the duty alone: with several periods open, ask which.
        if (open.length > 1) return { replies: [askWhichPeriod(caller, contact, open, 'extend')] };
        const [dayText, ...reason] = text.trim().split(/\s+/);
        return askExtension(contact, open[0]!.id, dayText ?? '', reason.join(' '));
      }
      return { replies: [reply(await langOf(caller), 'hint')] };
    }
    const { name, args } = command;
    if (name === 'start') return start(caller, args[0] ?? '');
    if (name === 'unknown')
      return caller.group ? { replies: [] } : { replies: [reply(await langOf(caller), 'unknownCommand')] };
    const all = await identifyAll(caller);
    if (all.length > 1) return severalOrganisations(caller, all, command);
    const contact = all[0] ?? null;
    if (name === 'help') return { replies: [{ text: help(contact, caller) }] };
    if (!contact) return { replies: [reply(callerLang(caller), 'notLinked')] };
    return commandAs(caller, contact, command);
  }

  /** A command (not /start, /trogiup or an unknown one) of a linked contact. */
  async function commandAs(caller: Caller, contact: ChatContact, command: ParsedCommand): Promise<Outcome> {
    const { name, args, rest } = command;
    const lang = contact.locale;
    switch (name) {
      case 'tasks':
        return { replies: [await obligationList(contact, caller)] };
      case 'done': {
        const [code] = args;
        if (!code) return { replies: [await obligationList(contact, caller, say(lang, 'done.which'))] };
        const { matches, words } = await openByWords(contact, args);
        if (!matches.length) {
          const done = await lastConfirmed(contact, code);
          if (done) return { replies: [{ text: done }] };
          return {
            replies: [
              await obligationList(
                contact,
                caller,
                say(lang, 'done.notOpen', { unit: contact.unit.name, code: code.slice(0, 40) }),
              ),
            ],
          };
        }
        if (matches.length > 1) return { replies: [askWhichPeriod(caller, contact, matches, 'done')] };
        const note = after(rest, words).slice(0, 1_000) || null;
        const done = await confirm(caller, contact, matches[0]!.id, note, { listRest: true });
        return { replies: [{ text: done.text }], ...(done.later ? { later: done.later } : {}) };
      }
      case 'extend': {
        const usage = say(lang, 'extend.usage');
        const [code] = args;
        if (!code || args.length < 2) return { replies: [{ text: usage }] };
        const { matches: open, words } = await openByWords(contact, args);
        const [dayText, ...reason] = args.slice(words);
        if (!dayText) return { replies: [{ text: usage }] };
        if (!open.length)
          return { replies: [reply(lang, 'extend.notOpen', { unit: contact.unit.name, code: code.slice(0, 40) })] };
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
        if (!code) return { replies: [reply(lang, 'undo.usage')] };
        const recent = await recentConfirmations(db, contact.unitId, clock.now());
        const named = pickByWords(args, recent, (c) => ({
          dutyCode: c.obligation.duty.code,
          periodKey: c.obligation.periodKey,
        })).matches;
        if (!named.length) return { replies: [reply(lang, 'undo.nothing', { code: code.slice(0, 40) })] };
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
        return { replies: [reply(lang, 'undo.done', { code: codeOf(o) })] };
      }
      case 'status': {
        if (!isAdmin(contact)) return { replies: [reply(lang, 'adminsOnly.tasks')] };
        const late = await lateByUnit(db, contact.orgId, clock.now());
        if (!late.length) return { replies: [reply(lang, 'status.none')] };
        const lines = late.slice(0, 60).map((l) => `• ${l.unit}: ${l.codes.join(', ')}`);
        const more = late.length > 60 ? `\n${say(lang, 'status.more', { count: late.length - 60 })}` : '';
        const head = say(lang, 'status.head', { count: late.length });
        return { replies: [{ text: `${head}\n${lines.join('\n')}${more}` }] };
      }
      case 'nudge': {
        if (!isAdmin(contact)) return { replies: [reply(lang, 'adminsOnly')] };
        const unitName = rest.trim();
        if (!unitName) return { replies: [reply(lang, 'nudge.usage')] };
        const unit = await findUnit(db, contact.orgId, unitName.slice(0, 200));
        const r = await nudge(db, contact.orgId, { unitId: unit.id, actor: actorOf(caller), now: clock.now() });
        await deps.dispatch?.(contact.orgId);
        const missing = r.withoutChannel.length
          ? `\n${say(lang, 'nudge.noChannel', { names: r.withoutChannel.join(', ') })}`
          : '';
        const already = r.alreadyReminded ? `\n${say(lang, 'nudge.alreadyToday', { count: r.alreadyReminded })}` : '';
        return {
          replies: [
            { text: `${say(lang, 'nudge.sent', { count: r.reminders, unit: unit.name })}${already}${missing}` },
          ],
        };
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
    const lang = all[0]!.locale;
    const orgs = all.map((c) => say(lang, 'orgs.item', { org: c.org.name, orgCode: c.org.code })).join('; ');
    const named = (c: ChatContact, outcome: Outcome): Outcome => ({
      ...outcome,
      replies: outcome.replies.map((r) => ({ ...r, text: `[${c.org.name}] ${r.text}` })),
    });
    if (name === 'help')
      return {
        replies: [{ text: `${help(all[0]!, caller)}\n\n${say(lang, 'orgs.linked', { count: all.length, orgs })}` }],
      };
    if (name === 'tasks' || (name === 'done' && !args.length)) {
      const intro = name === 'done' ? say(lang, 'done.which') : undefined;
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
      const cmd = say(lang, `cmd.${name}`);
      if (!found.length)
        return {
          replies: [
            reply(lang, name === 'undo' ? 'orgs.notFoundRecent' : 'orgs.notFoundOpen', {
              orgs,
              code: typed[0]!.slice(0, 40),
            }),
          ],
        };
      const lines = found.map((f) =>
        say(lang, 'orgs.line', {
          org: f.contact.org.name,
          command: `${cmd} ${typed[0]}@${f.contact.org.code}${name === 'extend' ? say(lang, 'tail.extend') : ''}`,
        }),
      );
      const text = `${say(lang, 'orgs.which', { code: typed[0]!.slice(0, 40), count: found.length })}\n${lines.join('\n')}`;
      const single = found.every((f) => f.ids.length === 1);
      if (!HAS_BUTTONS[caller.channel] || name === 'undo' || !single) return { replies: [{ text }] };
      const action = name === 'done' ? 'done' : 'extend';
      return {
        replies: [
          {
            text,
            buttons: found.map((f) => [
              {
                text: say(lang, action === 'done' ? 'button.doneAt' : 'button.extendAt', {
                  code: typed[0]!,
                  org: f.contact.org.name,
                }),
                data: encodeButton(action, f.ids[0]!),
              },
            ]),
          },
        ],
      };
    }
    return { replies: [reply(lang, 'orgs.noneNamed', { count: all.length, orgs })] };
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
      // The ✅ of an obligation no longer there (a duty removed, units merged): "Không tìm thấy
      // nghĩa vụ này" is the administrators' word; the person is told the button no longer works.
      if (error instanceof NotFoundError && decodeButton(data)?.action === 'done')
        return { answer: { text: say(await langOf(caller), 'button.stale'), alert: true } };
      if (error instanceof UserError)
        return { answer: { text: fitText(inLanguage(error, await langOf(caller)), 190), alert: true } };
      throw error;
    }
  }

  async function handleButtonInner(caller: Caller, data: string): Promise<ButtonOutcome> {
    const button = decodeButton(data);
    if (!button) return { answer: { text: say(await langOf(caller), 'button.stale'), alert: true } };
    if (button.action === 'list') return { answer: { text: say(await langOf(caller), 'button.handled') } };
    const all = await identifyAll(caller);
    // Linked in several organisations: the button names an obligation or a request, whose
    // organisation says who presses it (someone of its unit; an administrator of its organisation).
    const contact = all.length > 1 ? await presserFor(all, button) : (all[0] ?? null);
    if (!contact) return { answer: { text: fitText(say(callerLang(caller), 'notLinked'), 190), alert: true } };
    const lang = contact.locale;
    if (button.action === 'approve' || button.action === 'refuse') {
      const approve = button.action === 'approve';
      const d = await decide(contact, button.id, approve);
      if (!d.changed) return { answer: { text: d.verdict } };
      return {
        answer: { text: fitText(d.verdict, 190) },
        keyboard: [
          [
            {
              text: say(lang, approve ? 'button.approvedBy' : 'button.refusedBy', { name: contact.name }),
              data: encodeButton('list', d.request.obligationId),
            },
          ],
        ],
        ...(d.later ? { later: d.later } : {}),
      };
    }
    if (button.action === 'extend') {
      const o = await db.obligation.findUnique({ where: { id: button.id }, include: { duty: true } });
      if (!o || o.unitId !== contact.unitId) return { answer: { text: say(lang, 'extend.ownUnit'), alert: true } };
      if (o.status !== 'open') return { answer: { text: say(lang, 'notOpen') } };
      return {
        answer: {},
        replies: [
          {
            text: say(lang, 'extend.prompt', { code: codeOf(o) }),
            ask: { placeholder: say(lang, 'extend.placeholder') },
          },
        ],
      };
    }
    const done = await confirm(caller, contact, button.id, null);
    return { answer: { text: fitText(done.text.split('\n')[0]!, 190) }, ...(done.later ? { later: done.later } : {}) };
  }

  /**
   * What an administrator did for a unit elsewhere (the web page: confirmed or waived on its
   * behalf, decided its extension request) reaches the unit's people on their chat channels, as a
   * decision in chat does; for a confirmed or waived obligation, the messages that carried its
   * reminders are marked with `closed` (Telegram edits them, their buttons go).
   */
  async function announce(input: UnitNotice) {
    if (input.closed) await deps.onConfirmed?.(input.closed.obligationId, input.closed.text);
    await tell({ unitId: input.unitId }, (p) => ({ text: input.text(p.locale) }));
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
  async function evidenceFor(
    caller: Caller,
    input: { replyToMessageId?: number; caption?: string } = {},
  ): Promise<EvidenceFor> {
    const all = await identifyAll(caller);
    if (!all.length) return { refusal: say(callerLang(caller), 'notLinked') };
    const now = clock.now();
    const first = all[0]!;
    const chatId =
      caller.channel === 'telegram' && first.telegramChatId !== null ? { chatId: first.telegramChatId } : {};
    const reply = input.replyToMessageId !== undefined ? { replyToMessageId: input.replyToMessageId } : {};
    const caption = input.caption !== undefined ? { caption: input.caption } : {};
    if (all.length === 1) {
      const found = await evidenceTarget(db, {
        contactId: first.id,
        unitId: first.unitId,
        ...chatId,
        ...reply,
        ...caption,
        now,
      });
      if (found && 'among' in found) return { contact: first, obligation: null, among: found.among, label: '' };
      return { contact: first, obligation: found?.obligation ?? null, label: '' };
    }
    const found = await evidenceTargetAmong(db, {
      contacts: all,
      ...chatId,
      ...reply,
      ...caption,
      afterConfirmation: !HAS_REPLIES[caller.channel],
      now,
    });
    const contact = found && all.find((c) => c.id === found.contactId);
    if (found && contact)
      return 'among' in found
        ? { contact, obligation: null, among: found.among, label: `[${contact.org.name}] ` }
        : { contact, obligation: found.obligation, label: `[${contact.org.name}] ` };
    const lang = first.locale;
    const orgs = all.map((c) => say(lang, 'orgs.item', { org: c.org.name, orgCode: c.org.code })).join('; ');
    return {
      refusal: say(lang, HAS_REPLIES[caller.channel] ? 'orgs.fileWhich' : 'orgs.photoWhich', {
        count: all.length,
        orgs,
        orgCode: first.org.code,
      }),
    };
  }

  return { identify, langOf, evidenceFor, handleText, handleButton, announce };
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
