import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatInTimeZone } from 'date-fns-tz';
import { sequentialize } from '@grammyjs/runner';
import { Bot, GrammyError, type Context } from 'grammy';
import type { InlineKeyboardButton } from 'grammy/types';
import { decodeButton, encodeButton } from '#root/channels/telegram/callback.js';
import { limitTransformer, type TelegramLimiter } from '#root/channels/telegram/limiter.js';
import { createSemaphore } from '#root/lib/semaphore.js';
import type { Db } from '#root/db/client.js';
import type { Clock } from '#root/deps.js';
import { UserError } from '#root/errors/index.js';
import type { Logger } from '#root/logger.js';
import { endOfDayInZone } from '#root/domain/occurrences.js';
import {
  contactByTelegramChat,
  type ChatContact,
  decideExtension,
  evidenceRefusal,
  evidenceTarget,
  lateByUnit,
  openObligationsOfUnit,
  parseDayMonth,
  redeemTelegramInvite,
  requestExtension,
  telegramMessagesOf,
  withdrawConfirmation,
} from '#root/services/chat.js';
import { confirmObligation } from '#root/services/confirmations.js';
import { nudge } from '#root/services/nudge.js';
import { zonedDay } from '#root/services/planner.js';
import { findUnit } from '#root/services/units.js';

export interface BotDeps {
  db: Db;
  logger: Logger;
  clock: Clock;
  token: string;
  apiRoot: string;
  /** Shared with the reminders channel by default (one budget per bot and process). */
  limiter?: TelegramLimiter;
  /** Where evidence files are copied (STORAGE_DIR). */
  storageDir: string;
  /** True the first time an update id is seen (across processes); replays are ignored. */
  firstSight?: (updateId: number) => Promise<boolean>;
  /** Queues what is pending of an organisation now (an administrator's /nhac); else the planner's next pass does. */
  dispatch?: (orgId: string) => Promise<void>;
}

type Contact = ChatContact;

/** The bot, and `drain()`: waits for the follow-ups still running (call it after stopping updates, before closing the database). */
export type DondocBot = Bot & { drain(): Promise<void> };

/** Where the web role receives Telegram's updates when PUBLIC_URL is set. */
export const TELEGRAM_WEBHOOK_PATH = '/telegram/webhook';

/** The commands as Telegram shows them, Vietnamese first (SPEC §5), then English. */
export const BOT_COMMANDS = {
  vi: [
    { command: 'viec', description: 'Nhiệm vụ đang mở của đơn vị' },
    { command: 'xong', description: 'Xác nhận đã hoàn thành: /xong <mã> [ghi chú]' },
    { command: 'giahan', description: 'Xin gia hạn: /giahan <mã> <ngày> <lý do>' },
    { command: 'hoantac', description: 'Rút lại xác nhận trong 24 giờ: /hoantac <mã>' },
    { command: 'tonghop', description: 'Quản trị viên: đơn vị nào đang trễ hạn' },
    { command: 'nhac', description: 'Quản trị viên: nhắc ngay một đơn vị: /nhac <đơn vị>' },
    { command: 'trogiup', description: 'Hướng dẫn' },
  ],
  en: [
    { command: 'tasks', description: 'Your unit’s open duties' },
    { command: 'done', description: 'Confirm a duty is done: /done <code> [note]' },
    { command: 'extend', description: 'Ask for more time: /extend <code> <date> <reason>' },
    { command: 'undo', description: 'Withdraw a confirmation within 24 h: /undo <code>' },
    { command: 'status', description: 'Administrators: who is late' },
    { command: 'nudge', description: 'Administrators: remind a unit now: /nudge <unit>' },
    { command: 'help', description: 'Help' },
  ],
};

/** Wrong invite codes tolerated per chat before it must wait (guessing 128-bit codes is hopeless anyway). */
const CODE_TRIES = 5;
const CODE_LOCK_MS = 15 * 60_000;

const EXTEND_PROMPT = /^📅 Gia hạn nhiệm vụ (\S+):/;
const isAdmin = (c: { role: string }) => c.role === 'admin' || c.role === 'supervisor';

const NOT_LINKED =
  'Chat này chưa được liên kết với đầu mối nào. Hãy mở liên kết mời quản trị viên gửi cho anh/chị.\n(This chat is not linked yet: open the invite link you received.)';

/**
 * The Telegram bot (SPEC §5): onboarding by invite, the unit's open duties, confirmation by
 * command or button. Every action is checked against the person's own unit: button data names
 * what was pressed, never who may press it.
 */
export function createDondocBot(deps: BotDeps): DondocBot {
  const { db, logger, clock } = deps;
  const bot = new Bot(deps.token, { client: { apiRoot: deps.apiRoot } });
  // Replies and edits keep Telegram's limits too, and wait out a 429 instead of failing.
  bot.api.config.use(limitTransformer(deps.limiter));
  if (deps.firstSight) {
    const firstSight = deps.firstSight;
    bot.use(async (ctx, next) => {
      if (await firstSight(ctx.update.update_id)) await next();
      else logger.info({ update: ctx.update.update_id }, 'update seen before: ignored');
    });
  }
  // Bad input from a person (a UserError): a clear answer to them, nothing changed.
  bot.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text: error.message.slice(0, 190), show_alert: true });
      else await ctx.reply(error.message);
    }
  });
  // The runner handles updates concurrently: one chat's updates in order, other chats in parallel.
  bot.use(sequentialize((ctx) => (ctx.chat?.id ?? ctx.from?.id)?.toString()));
  const chatIdOf = (ctx: Context) => (ctx.from ? BigInt(ctx.from.id) : null);
  const badCodes = new Map<string, { count: number; since: number }>();
  // Follow-ups (marking messages done, telling colleagues) wait for Telegram's limits anyway: run a
  // few at a time in the background, so that a burst of presses gets its answers first.
  const followUpSlots = createSemaphore(2);
  const pendingFollowUps = new Set<Promise<void>>();
  const later = (work: () => Promise<void>) => {
    const p = followUpSlots.run(work).catch((error: unknown) => logger.warn({ err: String(error) }, 'follow-up failed'));
    pendingFollowUps.add(p);
    void p.finally(() => pendingFollowUps.delete(p));
  };
  const whenText = (d: Date, zone: string) => formatInTimeZone(d, zone, "HH:mm 'ngày' dd/MM/yyyy");

  /**
   * Who is acting: the person's own linked chat first; in a group linked to a unit, anyone in the
   * group acts for that unit (the group is the unit's).
   */
  async function me(ctx: Context): Promise<Contact | null> {
    const id = chatIdOf(ctx);
    const own = id === null ? null : await contactByTelegramChat(db, id);
    if (own || !ctx.chat || ctx.chat.type === 'private') return own;
    return contactByTelegramChat(db, BigInt(ctx.chat.id));
  }

  async function obligationButtons(contact: Contact): Promise<{ text: string; keyboard: InlineKeyboardButton[][] }> {
    const open = await openObligationsOfUnit(db, contact.unitId);
    if (!open.length) return { text: `${contact.unit.name} không còn nhiệm vụ nào đang mở. 🎉`, keyboard: [] };
    const zone = contact.org.timeZone;
    const lines = open.map((o) => `• ${o.duty.code} «${o.duty.title}» — hạn ${formatInTimeZone(o.extendedTo ?? o.dueAt, zone, 'dd/MM/yyyy')}`);
    return {
      text: `Nhiệm vụ đang mở của ${contact.unit.name}:\n${lines.join('\n')}\n\nBấm để xác nhận đã hoàn thành:`,
      keyboard: open.map((o) => [{ text: `✅ ${o.duty.code} — hạn ${formatInTimeZone(o.extendedTo ?? o.dueAt, zone, 'dd/MM/yyyy')}`, callback_data: encodeButton('done', o.id) }]),
    };
  }

  /**
   * Confirms for the unit. The answer is ready as soon as the confirmation is committed; marking
   * every reminder message of it and telling the unit's other people (which wait for Telegram's
   * limits) are follow-ups, done after the person has their answer.
   */
  async function confirm(contact: Contact, obligationId: string, note: string | null): Promise<{ text: string; followUps: () => Promise<void> }> {
    const now = clock.now();
    const outcome = await confirmObligation(db, { obligationId, contactId: contact.id, actor: `telegram:${contact.telegramChatId}`, via: 'chat', note, now });
    const label = `${outcome.duty.code} «${outcome.duty.title}»`;
    if (outcome.status === 'already-done') return { text: `Nhiệm vụ ${label} đã được xác nhận trước đó. (Already confirmed.)`, followUps: async () => undefined };
    const followUps = async () => {
      const doneText = `✅ Đã hoàn thành bởi ${contact.name} lúc ${whenText(now, contact.org.timeZone)}`;
      for (const m of await telegramMessagesOf(db, obligationId)) {
        await bot.api
          .editMessageReplyMarkup(m.chatId, m.messageId, { reply_markup: { inline_keyboard: [[{ text: doneText, callback_data: encodeButton('list', obligationId) }]] } })
          .catch((error: unknown) => logger.warn({ err: String(error), obligation: obligationId }, 'could not mark a reminder message as done'));
      }
      const others = await db.contact.findMany({ where: { unitId: contact.unitId, active: true, telegramChatId: { not: null }, id: { not: contact.id } } });
      for (const c of others) {
        await bot.api
          .sendMessage(Number(c.telegramChatId), `✅ ${contact.name} đã xác nhận ${contact.unit.name} hoàn thành nhiệm vụ ${label}.`)
          .catch((error: unknown) => logger.warn({ err: String(error), contact: c.id }, 'could not tell a colleague'));
      }
    };
    return {
      text: `✅ Đã ghi nhận: ${contact.unit.name} hoàn thành nhiệm vụ ${label}. Các nhắc nhở còn lại đã được hủy.\n(Confirmed; remaining reminders cancelled.)`,
      followUps,
    };
  }

  /** The unit's nearest open obligation of a duty code. */
  async function openByCode(contact: Contact, code: string) {
    const open = await openObligationsOfUnit(db, contact.unitId, 200);
    return open.find((o) => o.duty.code.toLowerCase() === code.toLowerCase()) ?? null;
  }

  /** Stores a request and asks every administrator on Telegram to decide it, with buttons. */
  async function askExtension(contact: Contact, obligationId: string, dayText: string, reason: string): Promise<string> {
    const zone = contact.org.timeZone;
    const today = zonedDay(clock.now(), zone);
    const day = parseDayMonth(dayText, today);
    if (!day) return `Ngày «${dayText.slice(0, 20)}» không hợp lệ; dùng dạng 30/12/2026. (Invalid date: use dd/mm/yyyy.)`;
    if (!reason.trim()) return 'Cần ghi lý do xin gia hạn. (A reason is required.)';
    const { request, obligation } = await requestExtension(db, { contactId: contact.id, unitId: contact.unitId, obligationId, toDay: day, dueAt: endOfDayInZone(day, zone), reason });
    const old = formatInTimeZone(obligation.extendedTo ?? obligation.dueAt, zone, 'dd/MM/yyyy');
    const wanted = formatInTimeZone(request.requestedDue, zone, 'dd/MM/yyyy');
    const admins = await db.contact.findMany({ where: { orgId: contact.orgId, active: true, role: { in: ['admin', 'supervisor'] }, telegramChatId: { not: null } } });
    for (const a of admins) {
      await bot.api
        .sendMessage(Number(a.telegramChatId), `📅 ${contact.unit.name} (${contact.name}) xin gia hạn nhiệm vụ ${obligation.duty.code} «${obligation.duty.title}» từ ${old} đến ${wanted}.\nLý do: ${reason.slice(0, 500)}`, {
          reply_markup: { inline_keyboard: [[{ text: '✅ Duyệt', callback_data: encodeButton('approve', request.id) }, { text: '❌ Từ chối', callback_data: encodeButton('refuse', request.id) }]] },
        })
        .catch((error: unknown) => logger.warn({ err: String(error), admin: a.id }, 'could not ask an administrator'));
    }
    return `Đã gửi đề nghị gia hạn nhiệm vụ ${obligation.duty.code} đến ${wanted}; quản trị viên sẽ trả lời. (Extension requested.)`;
  }

  /** An administrator's decision: the request changes once; the unit is told. */
  async function decide(ctx: Context, admin: Contact, requestId: string, approve: boolean) {
    const { request, changed } = await decideExtension(db, { requestId, approve, admin, now: clock.now() });
    const zone = admin.org.timeZone;
    const label = `${request.obligation.duty.code} «${request.obligation.duty.title}»`;
    if (!changed) return ctx.answerCallbackQuery({ text: 'Đề nghị này đã được quyết định trước đó. (Already decided.)' });
    const verdict = approve
      ? `✅ Đã duyệt gia hạn ${label} đến ${formatInTimeZone(request.requestedDue, zone, 'dd/MM/yyyy')}`
      : `❌ Không duyệt gia hạn ${label}`;
    await ctx.answerCallbackQuery({ text: verdict.slice(0, 190) });
    await ctx.editMessageReplyMarkup({ reply_markup: { inline_keyboard: [[{ text: `${approve ? '✅ Đã duyệt' : '❌ Đã từ chối'} bởi ${admin.name}`, callback_data: encodeButton('list', request.obligationId) }]] } }).catch(() => undefined);
    const unitPeople = await db.contact.findMany({ where: { unitId: request.obligation.unitId, active: true, telegramChatId: { not: null } } });
    for (const c of unitPeople) {
      await bot.api.sendMessage(Number(c.telegramChatId), `${verdict} (${admin.name}).`).catch((error: unknown) => logger.warn({ err: String(error) }, 'could not tell the unit'));
    }
    return undefined;
  }

  bot.command(['giahan', 'extend'], async (ctx) => {
    const contact = await me(ctx);
    if (!contact) return ctx.reply(NOT_LINKED);
    const [code, day, ...reason] = ctx.match.trim().split(/\s+/).filter(Boolean);
    if (!code || !day) return ctx.reply('Cách dùng: /giahan <mã> <ngày> <lý do>, ví dụ: /giahan 4.2 30/12/2026 chờ số liệu quý IV. (Usage: /extend <code> <date> <reason>.)');
    const o = await openByCode(contact, code);
    if (!o) return ctx.reply(`${contact.unit.name} không có nhiệm vụ «${code.slice(0, 40)}» đang mở. Gõ /viec để xem.`);
    return ctx.reply(await askExtension(contact, o.id, day, reason.join(' ')));
  });

  bot.command(['hoantac', 'undo'], async (ctx) => {
    const contact = await me(ctx);
    if (!contact) return ctx.reply(NOT_LINKED);
    const code = ctx.match.trim().split(/\s+/)[0];
    if (!code) return ctx.reply('Cách dùng: /hoantac <mã> — rút lại xác nhận của đơn vị trong 24 giờ. (Usage: /undo <code>.)');
    const o = await withdrawConfirmation(db, { contactId: contact.id, unitId: contact.unitId, dutyCode: code, now: clock.now() });
    return ctx.reply(`↩️ Đã rút lại xác nhận nhiệm vụ ${o.duty.code}; nhiệm vụ mở lại và sẽ được nhắc tiếp. (Confirmation withdrawn.)`);
  });

  bot.command(['tonghop', 'status'], async (ctx) => {
    const contact = await me(ctx);
    if (!contact) return ctx.reply(NOT_LINKED);
    if (!isAdmin(contact)) return ctx.reply('Lệnh này dành cho quản trị viên. Gõ /viec để xem nhiệm vụ của đơn vị. (Administrators only.)');
    const late = await lateByUnit(db, contact.orgId, clock.now());
    if (!late.length) return ctx.reply('Không đơn vị nào trễ hạn. 🎉 (Nobody is late.)');
    const lines = late.slice(0, 60).map((l) => `• ${l.unit}: ${l.codes.join(', ')}`);
    const more = late.length > 60 ? `\n… và ${late.length - 60} đơn vị khác` : '';
    return ctx.reply(`Đơn vị trễ hạn (${late.length}), nhiệm vụ chưa xác nhận:\n${lines.join('\n')}${more}`.slice(0, 4_000));
  });

  bot.command(['nhac', 'nudge'], async (ctx) => {
    const contact = await me(ctx);
    if (!contact) return ctx.reply(NOT_LINKED);
    if (!isAdmin(contact)) return ctx.reply('Lệnh này dành cho quản trị viên. (Administrators only.)');
    const name = ctx.match.trim();
    if (!name) return ctx.reply('Cách dùng: /nhac <tên đơn vị>, ví dụ: /nhac Sở Y tế. (Usage: /nudge <unit>.)');
    const unit = await findUnit(db, contact.orgId, name.slice(0, 200));
    const r = await nudge(db, contact.orgId, { unitId: unit.id, actor: `telegram:${contact.telegramChatId}`, now: clock.now() });
    await deps.dispatch?.(contact.orgId);
    const missing = r.withoutChannel.length ? `\nKhông có kênh gửi được: ${r.withoutChannel.join(', ')}` : '';
    return ctx.reply(`Đã gửi ${r.reminders} nhắc nhở cho ${unit.name}.${missing}`);
  });

  bot.command('start', async (ctx) => {
    const code = ctx.match.trim();
    // A private chat links a person; a group (opened with t.me/<bot>?startgroup=<code>) links the unit's group.
    const chatId = BigInt(ctx.chat.id);
    if (ctx.chat.type === 'channel') return undefined;
    if (!code) {
      const contact = await me(ctx);
      return ctx.reply(contact ? `Chào ${contact.name} (${contact.unit.name}). Gõ /viec để xem nhiệm vụ đang mở, /trogiup để xem hướng dẫn.` : NOT_LINKED);
    }
    const tries = badCodes.get(String(chatId));
    const nowMs = clock.now().getTime();
    if (tries && nowMs - tries.since < CODE_LOCK_MS && tries.count >= CODE_TRIES) {
      const minutes = Math.ceil((tries.since + CODE_LOCK_MS - nowMs) / 60_000);
      return ctx.reply(`Đã nhập sai mã quá nhiều lần. Thử lại sau ${minutes} phút. (Too many wrong codes: try again in ${minutes} min.)`);
    }
    try {
      const contact = await redeemTelegramInvite(db, { code, chatId, now: clock.now() });
      badCodes.delete(String(chatId));
      logger.info({ contact: contact.id }, 'telegram chat linked');
      return ctx.reply(
        `Xin chào ${contact.name} (${contact.unit.name})! Từ nay anh/chị sẽ nhận nhắc hạn nhiệm vụ tại đây và xác nhận bằng nút ✅ Đã hoàn thành hoặc lệnh /xong.\nGõ /viec để xem nhiệm vụ đang mở.\n(Linked: reminders will arrive here.)`,
      );
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      const t = tries && nowMs - tries.since < CODE_LOCK_MS ? tries : { count: 0, since: nowMs };
      badCodes.set(String(chatId), { count: t.count + 1, since: t.since });
      return ctx.reply(error.message);
    }
  });

  bot.command(['viec', 'tasks'], async (ctx) => {
    const contact = await me(ctx);
    if (!contact) return ctx.reply(NOT_LINKED);
    const { text, keyboard } = await obligationButtons(contact);
    return ctx.reply(text, keyboard.length ? { reply_markup: { inline_keyboard: keyboard } } : {});
  });

  bot.command(['xong', 'done'], async (ctx) => {
    const contact = await me(ctx);
    if (!contact) return ctx.reply(NOT_LINKED);
    const [code, ...rest] = ctx.match.trim().split(/\s+/).filter(Boolean);
    if (!code) {
      const { text, keyboard } = await obligationButtons(contact);
      return ctx.reply(keyboard.length ? `Anh/chị xác nhận nhiệm vụ nào?\n\n${text}` : text, keyboard.length ? { reply_markup: { inline_keyboard: keyboard } } : {});
    }
    const match = await openByCode(contact, code);
    if (!match) {
      const { text, keyboard } = await obligationButtons(contact);
      return ctx.reply(`${contact.unit.name} không có nhiệm vụ «${code.slice(0, 40)}» đang mở.\n\n${text}`, keyboard.length ? { reply_markup: { inline_keyboard: keyboard } } : {});
    }
    const done = await confirm(contact, match.id, rest.join(' ').slice(0, 1_000) || null);
    await ctx.reply(done.text);
    return later(done.followUps);
  });

  bot.command(['trogiup', 'help'], async (ctx) => {
    const contact = await me(ctx);
    const lines = [
      'dondoc nhắc hạn nhiệm vụ của kế hoạch. Các lệnh:',
      '/viec — nhiệm vụ đang mở của đơn vị, kèm nút xác nhận',
      '/xong <mã> [ghi chú] — xác nhận đơn vị đã hoàn thành (ví dụ: /xong 4.2 đã gửi báo cáo)',
      '/giahan <mã> <ngày> <lý do> — xin gia hạn (ví dụ: /giahan 4.2 30/12/2026 chờ số liệu)',
      '/hoantac <mã> — rút lại xác nhận của đơn vị trong 24 giờ',
      ...(contact && isAdmin(contact) ? ['/tonghop — đơn vị nào đang trễ hạn', '/nhac <đơn vị> — nhắc ngay một đơn vị'] : []),
      '/trogiup — hướng dẫn này',
      '',
      `English: /tasks, /done <code> [note], /extend <code> <date> <reason>, /undo <code>${contact && isAdmin(contact) ? ', /status, /nudge <unit>' : ''}, /help.`,
    ];
    if (!contact) lines.unshift(NOT_LINKED, '');
    else lines.unshift(`${contact.name} — ${contact.unit.name}`, '');
    return ctx.reply(lines.join('\n'));
  });

  bot.on('callback_query:data', async (ctx) => {
    const button = decodeButton(ctx.callbackQuery.data);
    if (!button) return ctx.answerCallbackQuery({ text: 'Nút này không còn dùng được. Gõ /viec để xem lại. (This button no longer works.)', show_alert: true });
    if (button.action === 'list') return ctx.answerCallbackQuery({ text: 'Việc này đã xong. (Already handled.)' });
    const contact = await me(ctx);
    if (!contact) return ctx.answerCallbackQuery({ text: NOT_LINKED, show_alert: true });
    if (button.action === 'approve' || button.action === 'refuse') return await decide(ctx, contact, button.id, button.action === 'approve');
    if (button.action === 'extend') {
      const o = await db.obligation.findUnique({ where: { id: button.id }, include: { duty: true } });
      if (!o || o.unitId !== contact.unitId) throw new UserError('Anh/chị chỉ xin gia hạn được nhiệm vụ của đơn vị mình. / Only your own unit’s duties.');
      if (o.status !== 'open') return ctx.answerCallbackQuery({ text: 'Nhiệm vụ này không còn mở. (No longer open.)' });
      await ctx.answerCallbackQuery();
      await ctx.reply(`📅 Gia hạn nhiệm vụ ${o.duty.code}: trả lời tin này bằng ngày mới và lý do, ví dụ: 30/12/2026 chờ số liệu quý IV.`, {
        reply_markup: { force_reply: true, input_field_placeholder: '30/12/2026 lý do' },
      });
      return;
    }
    const done = await confirm(contact, button.id, null);
    await ctx.answerCallbackQuery({ text: done.text.split('\n')[0]!.slice(0, 190) });
    return later(done.followUps);
  });

  // A report sent as a file: kept as evidence of the reminder it answers (or of the duty just confirmed).
  bot.on(['message:document', 'message:photo'], async (ctx) => {
    if (ctx.chat.type !== 'private') return;
    const contact = await me(ctx);
    if (!contact) return ctx.reply(NOT_LINKED);
    const doc = ctx.message.document;
    const photo = ctx.message.photo?.at(-1);
    const file = doc
      ? { fileId: doc.file_id, uniqueId: doc.file_unique_id, name: doc.file_name ?? `tep-${doc.file_unique_id}`, size: doc.file_size, mime: doc.mime_type ?? null }
      : { fileId: photo!.file_id, uniqueId: photo!.file_unique_id, name: `anh-${photo!.file_unique_id}.jpg`, size: photo!.file_size, mime: 'image/jpeg' };
    const refusal = evidenceRefusal(file.name, file.size);
    if (refusal) return ctx.reply(refusal);
    const obligation = await evidenceTarget(db, {
      contactId: contact.id,
      unitId: contact.unitId,
      chatId: contact.telegramChatId!,
      ...(ctx.message.reply_to_message ? { replyToMessageId: ctx.message.reply_to_message.message_id } : {}),
      now: clock.now(),
    });
    if (!obligation) return ctx.reply('Chưa rõ tệp này cho nhiệm vụ nào: hãy gửi tệp bằng cách trả lời (reply) tin nhắc của nhiệm vụ đó, hoặc ngay sau khi /xong. (Reply to the reminder with the file.)');
    const info = await ctx.api.getFile(file.fileId);
    if (!info.file_path) return ctx.reply('Không tải được tệp từ Telegram; hãy gửi lại. (Could not fetch the file.)');
    const res = await fetch(`${deps.apiRoot}/file/bot${deps.token}/${info.file_path}`);
    if (!res.ok) return ctx.reply('Không tải được tệp từ Telegram; hãy gửi lại. (Could not fetch the file.)');
    const bytes = Buffer.from(await res.arrayBuffer());
    const row = await db.evidence.create({
      data: { orgId: contact.orgId, obligationId: obligation.id, contactId: contact.id, via: 'telegram', fileId: file.fileId, fileUniqueId: file.uniqueId, fileName: file.name.slice(0, 200), mimeType: file.mime, size: bytes.length },
    });
    const relative = path.join(contact.orgId, obligation.id, `${row.id}-${file.name.replace(/[^\p{L}\p{N}._-]+/gu, '_').slice(0, 120)}`);
    const target = path.join(deps.storageDir, relative);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, bytes);
    await db.evidence.update({ where: { id: row.id }, data: { storagePath: relative } });
    logger.info({ evidence: row.id, obligation: obligation.id, size: bytes.length }, 'evidence stored');
    return ctx.reply(`📎 Đã lưu minh chứng «${file.name.slice(0, 80)}» cho nhiệm vụ ${obligation.duty.code}. (Evidence saved.)`);
  });

  bot.on('message:text', async (ctx) => {
    if (ctx.chat.type !== 'private') return;
    const prompt = EXTEND_PROMPT.exec(ctx.message.reply_to_message?.text ?? '');
    if (prompt && ctx.message.reply_to_message?.from?.id === ctx.me.id) {
      const contact = await me(ctx);
      if (!contact) return ctx.reply(NOT_LINKED);
      const o = await openByCode(contact, prompt[1]!);
      if (!o) return ctx.reply('Nhiệm vụ này không còn mở. (No longer open.)');
      const [day, ...reason] = ctx.message.text.trim().split(/\s+/);
      return await ctx.reply(await askExtension(contact, o.id, day ?? '', reason.join(' ')));
    }
    const unknown = ctx.message.text.startsWith('/');
    return ctx.reply(unknown ? 'Lệnh không rõ. Gõ /trogiup để xem các lệnh. (Unknown command: see /help.)' : 'Gõ /viec để xem nhiệm vụ, /xong <mã> để xác nhận, /trogiup để xem hướng dẫn.');
  });

  const drain = async () => {
    while (pendingFollowUps.size) await Promise.allSettled([...pendingFollowUps]);
  };
  bot.catch((err) => {
    const e = err.error;
    logger.error({ err: e instanceof GrammyError ? `${e.error_code} ${e.description}` : String(e), update: err.ctx.update.update_id }, 'bot handler failed');
  });
  return Object.assign(bot, { drain });
}

/** Registers the commands in Vietnamese (default) and English. */
export async function registerCommands(bot: Bot): Promise<void> {
  await bot.api.setMyCommands(BOT_COMMANDS.vi);
  await bot.api.setMyCommands(BOT_COMMANDS.en, { language_code: 'en' });
}
