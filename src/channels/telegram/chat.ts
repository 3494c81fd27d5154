import type { Api } from 'grammy';
import type { InlineKeyboardButton } from 'grammy/types';
import type { Button, ChatSender, Notice } from '#root/commands/service.js';
import type { Db } from '#root/db/client.js';
import type { Logger } from '#root/logger.js';
import { telegramMessagesOf } from '#root/services/chat.js';
import { splitText } from '#root/lib/split-text.js';
import { encodeButton } from './callback.js';

/** Telegram's limit on a message's text. */
export const TELEGRAM_TEXT_MAX = 4_096;

export const inlineKeyboard = (buttons: Button[][]): InlineKeyboardButton[][] => buttons.map((row) => row.map((b) => ({ text: b.text, callback_data: b.data })));

/** Splits a text into Telegram-sized messages at paragraph, line or word boundaries. */
export const telegramParts = (text: string) => splitText(text, TELEGRAM_TEXT_MAX);

/** Sends a notice to a Telegram chat: long texts in parts, the buttons under the last. */
export function telegramSender(api: Api): ChatSender {
  return async (address: string, notice: Notice) => {
    const parts = telegramParts(notice.text);
    for (const [i, part] of parts.entries()) {
      const last = i === parts.length - 1;
      await api.sendMessage(Number(address), part, last && notice.buttons?.length ? { reply_markup: { inline_keyboard: inlineKeyboard(notice.buttons) } } : {});
    }
  };
}

/** Once an obligation is confirmed, every Telegram message that carried its reminders shows who confirmed it, instead of its buttons. */
export function telegramMarkDone(api: Api, db: Db, logger: Logger) {
  return async (obligationId: string, doneText: string) => {
    for (const m of await telegramMessagesOf(db, obligationId)) {
      await api
        .editMessageReplyMarkup(m.chatId, m.messageId, { reply_markup: { inline_keyboard: [[{ text: doneText, callback_data: encodeButton('list', obligationId) }]] } })
        .catch((error: unknown) => logger.warn({ err: String(error), obligation: obligationId }, 'could not mark a reminder message as done'));
    }
  };
}
