import { timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { sequentialize } from '@grammyjs/runner';
import { webhookCallback, type Bot, type Context } from 'grammy';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { inlineKeyboard, telegramMessages } from './telegram.js';
import type { Caller, CommandService, Reply } from '#root/commands/service.js';
import { fitText, say } from '#root/messages/chat-words.js';
import { createSemaphore } from '#root/lib/semaphore.js';
import type { Db } from '#root/db/client.js';
import type { Clock } from '#root/deps.js';
import type { Logger } from '#root/logger.js';
import { evidenceRefusal, storeEvidence } from '#root/services/chat.js';
import { migrateTelegramChat } from '#root/services/telegram-chats.js';

export interface BotDeps {
  db: Db;
  logger: Logger;
  clock: Clock;
  /** The bot's Telegram client (built by src/composition.ts): the bot answers through its `api`. */
  bot: Bot;
  /** The Bot API server (files sent as evidence are downloaded from it). */
  apiRoot: string;
  /** Where evidence files are copied (STORAGE_DIR). */
  storageDir: string;
  /** True the first time an update id is seen (across processes); replays are ignored. */
  firstSight?: (updateId: number) => Promise<boolean>;
  /** What the commands do (shared with the other chat channels). */
  commands: CommandService;
}

/** The bot, and `drain()`: waits for the follow-ups still running (call it after stopping updates, before closing the database). */
export type DondocBot = Bot & { drain(): Promise<void> };

/** The longest a follow-up waits for the updates being handled (under a steady stream it would never start). */
const FOLLOW_UP_MAX_WAIT_MS = 1_000;

/** Where the web role receives Telegram's updates when PUBLIC_URL is set. */
export const TELEGRAM_WEBHOOK_PATH = '/telegram/webhook';

/**
 * Whether a webhook's body is a Telegram update: an object with an integer `update_id` and one
 * object field more (the message, the callback query…), as Telegram sends them.
 */
export function isTelegramUpdate(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const u = body as Record<string, unknown>;
  if (!Number.isSafeInteger(u.update_id) || (u.update_id as number) < 0) return false;
  return Object.entries(u).some(
    ([k, v]) => k !== 'update_id' && typeof v === 'object' && v !== null && !Array.isArray(v),
  );
}

/**
 * The route of Telegram's webhook (Fastify): the secret token is checked first (401), then a body
 * that is not an update is answered 400, as the Bot API's webhook contract asks (grammY would pass
 * it on and answer 200); an update goes to the bot.
 */
export function telegramWebhookRoute(bot: Bot, secretToken: string) {
  const handle = webhookCallback(bot, 'fastify', { secretToken, onTimeout: 'return' });
  const expected = Buffer.from(secretToken);
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (!isTelegramUpdate(req.body)) {
      const given = Buffer.from(String(req.headers['x-telegram-bot-api-secret-token'] ?? ''));
      if (given.length !== expected.length || !timingSafeEqual(given, expected))
        return reply.code(401).send('secret token is wrong');
      return reply.code(400).send({ ok: false, description: 'Bad Request: not a Telegram update' });
    }
    return handle(req, reply);
  };
}

/** The commands of Telegram's menu, in this order. */
const MENU = ['tasks', 'done', 'extend', 'undo', 'channels', 'status', 'nudge', 'help'] as const;
const menuIn = (lang: 'vi' | 'en') =>
  MENU.map((c) => ({
    command: say(lang, `cmd.${c}`).replace(/^\//, ''),
    description: say(lang, `menu.${c}`),
  }));
/** The commands as Telegram shows them, Vietnamese first (SPEC §5), then English (from the locale files). */
export const BOT_COMMANDS = { vi: menuIn('vi'), en: menuIn('en') };

/**
 * The Telegram bot (SPEC §5): an adapter between Telegram's updates and the channel-neutral
 * command service (src/commands), which decides everything — who the person is, what they may do,
 * what they are told. The adapter turns updates into callers and texts or presses, and answers
 * into messages, buttons and edits. Files sent as evidence are Telegram's own and handled here.
 */
export function createDondocBot(deps: BotDeps): DondocBot {
  const { db, logger, commands, bot } = deps;
  if (deps.firstSight) {
    const firstSight = deps.firstSight;
    bot.use(async (ctx, next) => {
      if (await firstSight(ctx.update.update_id)) await next();
      else logger.info({ update: ctx.update.update_id }, 'update seen before: ignored');
    });
  }
  // Updates being handled. A follow-up starts only once none is (or after FOLLOW_UP_MAX_WAIT_MS),
  // so that a burst of a hundred presses gets every answer before follow-ups take the CPU.
  let handling = 0;
  let idle: { promise: Promise<void>; resolve: () => void } | null = null;
  const whenIdle = () => {
    if (handling === 0) return Promise.resolve();
    if (!idle) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      idle = { promise, resolve };
    }
    return idle.promise;
  };
  bot.use(async (_ctx, next) => {
    handling++;
    try {
      await next();
    } finally {
      if (--handling === 0 && idle) {
        idle.resolve();
        idle = null;
      }
    }
  });
  // The runner handles updates concurrently: one chat's updates in order, other chats in parallel.
  bot.use(sequentialize((ctx) => (ctx.chat?.id ?? ctx.from?.id)?.toString()));
  // Follow-ups (marking messages done, telling colleagues) wait for Telegram's limits anyway: run a
  // few at a time in the background, after the answers.
  const followUpSlots = createSemaphore(2);
  const pendingFollowUps = new Set<Promise<void>>();
  const later = (work: (() => Promise<void>) | undefined) => {
    if (!work) return;
    const p = followUpSlots
      .run(async () => {
        await Promise.race([whenIdle(), sleep(FOLLOW_UP_MAX_WAIT_MS)]);
        await work();
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'follow-up failed'));
    pendingFollowUps.add(p);
    void p.finally(() => pendingFollowUps.delete(p));
  };

  const callerOf = (ctx: Context): Caller | null =>
    ctx.from && ctx.chat && ctx.chat.type !== 'channel'
      ? {
          channel: 'telegram',
          userId: String(ctx.from.id),
          chatId: String(ctx.chat.id),
          group: ctx.chat.type !== 'private',
          ...(ctx.from.language_code ? { languageCode: ctx.from.language_code } : {}),
        }
      : null;

  async function send(ctx: Context, replies: Reply[]) {
    for (const r of replies) for (const m of telegramMessages(r)) await ctx.reply(m.text, m.other);
  }

  // A group upgraded to a supergroup: Telegram posts the new chat id in the old group. Contacts
  // linked to the group follow it (audited); the old id would answer 400 from now on.
  bot.on('message:migrate_to_chat_id', async (ctx) => {
    const moved = await migrateTelegramChat(db, BigInt(ctx.chat.id), BigInt(ctx.message.migrate_to_chat_id), 'system');
    logger.info(
      { update: ctx.update.update_id, moved },
      'Telegram group upgraded to a supergroup: contacts moved to the new chat',
    );
  });

  bot.on('message:text', async (ctx) => {
    const caller = callerOf(ctx);
    if (!caller) return;
    // In a group, a command addressed to another bot is not ours.
    const addressed = /^\s*\/[^\s@]+@(\S+)/.exec(ctx.message.text);
    if (addressed && addressed[1]!.toLowerCase() !== ctx.me.username.toLowerCase()) return;
    const reply = ctx.message.reply_to_message;
    const outcome = await commands.handleText(
      caller,
      ctx.message.text,
      reply?.from?.id === ctx.me.id && reply.text ? { replyToBotText: reply.text } : {},
    );
    await send(ctx, outcome.replies);
    later(outcome.later);
  });

  bot.on('callback_query:data', async (ctx) => {
    const caller = callerOf(ctx);
    if (!caller) return ctx.answerCallbackQuery();
    const outcome = await commands.handleButton(caller, ctx.callbackQuery.data);
    // The toast is only the answer's display: a press answered too late (Telegram allows ~15 s) or
    // twice gets a 400, and the work already done must still be told and followed up.
    const answered = await ctx
      .answerCallbackQuery({
        ...(outcome.answer.text ? { text: fitText(outcome.answer.text, 190) } : {}),
        ...(outcome.answer.alert ? { show_alert: true } : {}),
      })
      .then(
        () => true,
        (error: unknown) => {
          logger.info(
            { err: error, update: ctx.update.update_id },
            'callback query could not be answered; answering in the chat',
          );
          return false;
        },
      );
    if (!answered && outcome.answer.text) await ctx.reply(outcome.answer.text).catch(() => undefined);
    if (outcome.keyboard)
      await ctx
        .editMessageReplyMarkup({ reply_markup: { inline_keyboard: inlineKeyboard(outcome.keyboard) } })
        .catch(() => undefined);
    if (outcome.replies) await send(ctx, outcome.replies);
    later(outcome.later);
    return undefined;
  });

  // A report sent as a file: kept as evidence of the reminder it answers (or of the duty just confirmed).
  bot.on(['message:document', 'message:photo'], async (ctx) => {
    if (ctx.chat.type !== 'private') return;
    const caller = callerOf(ctx);
    if (!caller) return ctx.reply(say('vi', 'notLinked'));
    // Who sends it, and for which obligation: in a chat linked in several organisations, the
    // reminder it replies to says which (the command service decides, and refuses otherwise).
    const target = await commands.evidenceFor(caller, {
      ...(ctx.message.reply_to_message ? { replyToMessageId: ctx.message.reply_to_message.message_id } : {}),
      ...(ctx.message.caption ? { caption: ctx.message.caption } : {}),
    });
    if ('refusal' in target) return ctx.reply(target.refusal);
    const { contact, obligation, among, label } = target;
    const lang = contact.locale;
    const doc = ctx.message.document;
    const photo = ctx.message.photo?.at(-1);
    const file = doc
      ? {
          fileId: doc.file_id,
          uniqueId: doc.file_unique_id,
          name: doc.file_name ?? `tep-${doc.file_unique_id}`,
          size: doc.file_size,
          mime: doc.mime_type ?? null,
        }
      : {
          fileId: photo!.file_id,
          uniqueId: photo!.file_unique_id,
          name: `anh-${photo!.file_unique_id}.jpg`,
          size: photo!.file_size,
          mime: 'image/jpeg',
        };
    const refusal = evidenceRefusal(file.name, file.size);
    if (refusal) return ctx.reply(say(lang, refusal, { file: file.name.slice(0, 80) }));
    if (!obligation)
      return ctx.reply(
        among
          ? `${label}${say(lang, 'file.whichOfMessage', { count: among.length, codes: among.join(', '), example: among[0]! })}`
          : say(lang, 'file.which'),
      );
    const info = await ctx.api.getFile(file.fileId);
    if (!info.file_path) return ctx.reply(say(lang, 'file.fetchFailed'));
    const res = await fetch(`${deps.apiRoot}/file/bot${bot.token}/${info.file_path}`);
    if (!res.ok) return ctx.reply(say(lang, 'file.fetchFailed'));
    const bytes = Buffer.from(await res.arrayBuffer());
    const row = await storeEvidence(db, deps.storageDir, {
      orgId: contact.orgId,
      obligationId: obligation.id,
      contactId: contact.id,
      via: 'telegram',
      fileId: file.fileId,
      fileUniqueId: file.uniqueId,
      fileName: file.name,
      mimeType: file.mime,
      bytes,
    });
    logger.info({ evidence: row.id, obligation: obligation.id, size: bytes.length }, 'evidence stored');
    return ctx.reply(
      `${label}${say(lang, 'file.saved', { file: file.name.slice(0, 80), code: obligation.duty.code })}`,
    );
  });

  const drain = async () => {
    while (pendingFollowUps.size) await Promise.allSettled([...pendingFollowUps]);
  };
  bot.catch((err) => {
    const e = err.error;
    logger.error({ err: e, update: err.ctx.update.update_id }, 'bot handler failed');
  });
  return Object.assign(bot, { drain });
}

/** Registers the commands in Vietnamese (default) and English. */
export async function registerCommands(bot: Bot): Promise<void> {
  await bot.api.setMyCommands(BOT_COMMANDS.vi);
  await bot.api.setMyCommands(BOT_COMMANDS.en, { language_code: 'en' });
}
