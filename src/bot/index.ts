import { formatInTimeZone } from 'date-fns-tz';
import { Bot, GrammyError, type Context } from 'grammy';
import type { InlineKeyboardButton } from 'grammy/types';
import { decodeButton, encodeButton } from '#root/channels/telegram/callback.js';
import { limitTransformer, type TelegramLimiter } from '#root/channels/telegram/limiter.js';
import type { Db } from '#root/db/client.js';
import type { Clock } from '#root/deps.js';
import { UserError } from '#root/errors/index.js';
import type { Logger } from '#root/logger.js';
import { contactByTelegramChat, openObligationsOfUnit, redeemTelegramInvite, telegramMessagesOf } from '#root/services/chat.js';
import { confirmObligation } from '#root/services/confirmations.js';

export interface BotDeps {
  db: Db;
  logger: Logger;
  clock: Clock;
  token: string;
  apiRoot: string;
  /** Shared with the reminders channel by default (one budget per bot and process). */
  limiter?: TelegramLimiter;
}

type Contact = NonNullable<Awaited<ReturnType<typeof contactByTelegramChat>>>;

/** The commands as Telegram shows them, Vietnamese first (SPEC §5), then English. */
export const BOT_COMMANDS = {
  vi: [
    { command: 'viec', description: 'Nhiệm vụ đang mở của đơn vị' },
    { command: 'xong', description: 'Xác nhận đã hoàn thành: /xong <mã> [ghi chú]' },
    { command: 'trogiup', description: 'Hướng dẫn' },
  ],
  en: [
    { command: 'tasks', description: 'Your unit’s open duties' },
    { command: 'done', description: 'Confirm a duty is done: /done <code> [note]' },
    { command: 'help', description: 'Help' },
  ],
};

const NOT_LINKED =
  'Chat này chưa được liên kết với đầu mối nào. Hãy mở liên kết mời quản trị viên gửi cho anh/chị.\n(This chat is not linked yet: open the invite link you received.)';

/**
 * The Telegram bot (SPEC §5): onboarding by invite, the unit's open duties, confirmation by
 * command or button. Every action is checked against the person's own unit: button data names
 * what was pressed, never who may press it.
 */
export function createDondocBot(deps: BotDeps): Bot {
  const { db, logger, clock } = deps;
  const bot = new Bot(deps.token, { client: { apiRoot: deps.apiRoot } });
  // Replies and edits keep Telegram's limits too, and wait out a 429 instead of failing.
  bot.api.config.use(limitTransformer(deps.limiter));
  const chatIdOf = (ctx: Context) => (ctx.from ? BigInt(ctx.from.id) : null);
  const whenText = (d: Date, zone: string) => formatInTimeZone(d, zone, "HH:mm 'ngày' dd/MM/yyyy");

  async function me(ctx: Context): Promise<Contact | null> {
    const id = chatIdOf(ctx);
    return id === null ? null : contactByTelegramChat(db, id);
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

  /** Confirms for the unit, then marks every reminder message of it and tells the unit's other people. */
  async function confirm(contact: Contact, obligationId: string, note: string | null): Promise<string> {
    const now = clock.now();
    const outcome = await confirmObligation(db, { obligationId, contactId: contact.id, actor: `telegram:${contact.telegramChatId}`, via: 'chat', note, now });
    const o = await db.obligation.findUniqueOrThrow({ where: { id: obligationId }, include: { duty: true } });
    const label = `${o.duty.code} «${o.duty.title}»`;
    if (outcome.status === 'already-done') return `Nhiệm vụ ${label} đã được xác nhận trước đó. (Already confirmed.)`;
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
    return `✅ Đã ghi nhận: ${contact.unit.name} hoàn thành nhiệm vụ ${label}. Các nhắc nhở còn lại đã được hủy.\n(Confirmed; remaining reminders cancelled.)`;
  }

  bot.command('start', async (ctx) => {
    const code = ctx.match.trim();
    const chatId = chatIdOf(ctx);
    if (ctx.chat.type !== 'private' || chatId === null) return ctx.reply('Hãy mở liên kết mời trong cuộc trò chuyện riêng với bot. (Open the invite in a private chat.)');
    if (!code) {
      const contact = await me(ctx);
      return ctx.reply(contact ? `Chào ${contact.name} (${contact.unit.name}). Gõ /viec để xem nhiệm vụ đang mở, /trogiup để xem hướng dẫn.` : NOT_LINKED);
    }
    try {
      const contact = await redeemTelegramInvite(db, { code, chatId, now: clock.now() });
      logger.info({ contact: contact.id }, 'telegram chat linked');
      return ctx.reply(
        `Xin chào ${contact.name} (${contact.unit.name})! Từ nay anh/chị sẽ nhận nhắc hạn nhiệm vụ tại đây và xác nhận bằng nút ✅ Đã hoàn thành hoặc lệnh /xong.\nGõ /viec để xem nhiệm vụ đang mở.\n(Linked: reminders will arrive here.)`,
      );
    } catch (error) {
      if (error instanceof UserError) return ctx.reply(error.message);
      throw error;
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
    const open = await openObligationsOfUnit(db, contact.unitId, 200);
    const match = open.find((o) => o.duty.code.toLowerCase() === code.toLowerCase());
    if (!match) {
      const { text, keyboard } = await obligationButtons(contact);
      return ctx.reply(`${contact.unit.name} không có nhiệm vụ «${code.slice(0, 40)}» đang mở.\n\n${text}`, keyboard.length ? { reply_markup: { inline_keyboard: keyboard } } : {});
    }
    try {
      return ctx.reply(await confirm(contact, match.id, rest.join(' ').slice(0, 1_000) || null));
    } catch (error) {
      if (error instanceof UserError) return ctx.reply(error.message);
      throw error;
    }
  });

  bot.command(['trogiup', 'help'], async (ctx) => {
    const contact = await me(ctx);
    const lines = [
      'dondoc nhắc hạn nhiệm vụ của kế hoạch. Các lệnh:',
      '/viec — nhiệm vụ đang mở của đơn vị, kèm nút xác nhận',
      '/xong <mã> [ghi chú] — xác nhận đơn vị đã hoàn thành (ví dụ: /xong 4.2 đã gửi báo cáo)',
      '/trogiup — hướng dẫn này',
      '',
      'English: /tasks, /done <code> [note], /help.',
    ];
    if (!contact) lines.unshift(NOT_LINKED, '');
    else lines.unshift(`${contact.name} — ${contact.unit.name}`, '');
    return ctx.reply(lines.join('\n'));
  });

  bot.on('callback_query:data', async (ctx) => {
    const button = decodeButton(ctx.callbackQuery.data);
    if (!button) return ctx.answerCallbackQuery({ text: 'Nút này không còn dùng được. Gõ /viec để xem lại. (This button no longer works.)', show_alert: true });
    if (button.action === 'list') return ctx.answerCallbackQuery({ text: 'Nhiệm vụ này đã được xác nhận hoàn thành. (Already done.)' });
    const contact = await me(ctx);
    if (!contact) return ctx.answerCallbackQuery({ text: NOT_LINKED, show_alert: true });
    try {
      const text = await confirm(contact, button.obligationId, null);
      await ctx.answerCallbackQuery({ text: text.split('\n')[0]!.slice(0, 190) });
      return;
    } catch (error) {
      if (error instanceof UserError) return ctx.answerCallbackQuery({ text: error.message.slice(0, 190), show_alert: true });
      throw error;
    }
  });

  bot.on('message:text', async (ctx) => {
    if (ctx.chat.type !== 'private') return;
    const unknown = ctx.message.text.startsWith('/');
    return ctx.reply(unknown ? 'Lệnh không rõ. Gõ /trogiup để xem các lệnh. (Unknown command: see /help.)' : 'Gõ /viec để xem nhiệm vụ, /xong <mã> để xác nhận, /trogiup để xem hướng dẫn.');
  });

  bot.catch((err) => {
    const e = err.error;
    logger.error({ err: e instanceof GrammyError ? `${e.error_code} ${e.description}` : String(e), update: err.ctx.update.update_id }, 'bot handler failed');
  });
  return bot;
}

/** Registers the commands in Vietnamese (default) and English. */
export async function registerCommands(bot: Bot): Promise<void> {
  await bot.api.setMyCommands(BOT_COMMANDS.vi);
  await bot.api.setMyCommands(BOT_COMMANDS.en, { language_code: 'en' });
}
