import type { Api } from 'grammy';
import type { ForceReply, InlineKeyboardButton, InlineKeyboardMarkup } from 'grammy/types';
import type { Button, ChatSender, Notice, Reply } from '#root/commands/service.js';
import type { Db } from '#root/db/client.js';
import type { Logger } from '#root/logger.js';
import { telegramMessagesOf } from '#root/services/chat.js';
import { splitText } from '#root/lib/split-text.js';
import { encodeButton } from '#root/channels/telegram/callback.js';
import { itemsKeyboard } from '#root/channels/telegram/index.js';
import { telegramBundlesOf } from '#root/services/bundles.js';

/** Telegram's limit on a message's text. */
export const TELEGRAM_TEXT_MAX = 4_096;

export const inlineKeyboard = (buttons: Button[][]): InlineKeyboardButton[][] =>
  buttons.map((row) => row.map((b) => ({ text: b.text, callback_data: b.data })));

/**
 * A reply or notice as Telegram messages: the text split at paragraph, line or word boundaries
 * into parts of at most 4,096 characters, the buttons (or the invitation to reply) under the last.
 */
export function telegramMessages(
  m: Reply,
): { text: string; other: { reply_markup?: InlineKeyboardMarkup | ForceReply } }[] {
  const parts = splitText(m.text, TELEGRAM_TEXT_MAX);
  const markup = m.buttons?.length
    ? { reply_markup: { inline_keyboard: inlineKeyboard(m.buttons) } }
    : m.ask
      ? { reply_markup: { force_reply: true as const, input_field_placeholder: m.ask.placeholder } }
      : {};
  return parts.map((text, i) => ({ text, other: i === parts.length - 1 ? markup : {} }));
}

/** Sends a notice to a Telegram chat (see {@link telegramMessages}). */
export function telegramSender(api: Api): ChatSender {
  return async (address: string, notice: Notice) => {
    for (const m of telegramMessages(notice)) await api.sendMessage(Number(address), m.text, m.other);
  };
}

/**
 * Once an obligation is confirmed, every Telegram message that carried its reminders shows who
 * confirmed it, in place of its buttons. A day's message of several items is edited in place: that
 * item's row says it is done, the other items keep their ✅ / 📅 (those closed meanwhile say so too).
 */
export function telegramMarkDone(api: Api, db: Db, logger: Logger) {
  return async (obligationId: string, doneText: string) => {
    const edits = new Map<string, { chatId: number; messageId: number; markup: InlineKeyboardMarkup }>();
    const single: InlineKeyboardMarkup = {
      inline_keyboard: [[{ text: doneText, callback_data: encodeButton('list', obligationId) }]],
    };
    for (const m of await telegramMessagesOf(db, obligationId))
      edits.set(`${m.chatId}:${m.messageId}`, { ...m, markup: single });
    for (const m of await telegramBundlesOf(db, obligationId)) {
      const shown = m.layout.filter((e) => e.b);
      // A message of one item kept the single reminder's buttons: replaced as before.
      if (shown.length <= 1 && m.layout.length <= 1) continue;
      const done = new Map([...m.closed].map((id) => [id, id === obligationId ? doneText : '✅']));
      const markup = itemsKeyboard(
        m.layout.map((e) => ({ obligationId: e.o, code: e.c, actions: e.b })),
        done,
      );
      if (markup) edits.set(`${m.chatId}:${m.messageId}`, { chatId: m.chatId, messageId: m.messageId, markup });
    }
    for (const m of edits.values()) {
      await api
        .editMessageReplyMarkup(m.chatId, m.messageId, { reply_markup: m.markup })
        .catch((error: unknown) =>
          logger.warn({ err: error, obligation: obligationId }, 'could not mark a reminder message as done'),
        );
    }
  };
}
