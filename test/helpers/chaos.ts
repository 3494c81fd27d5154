import { decodeButton } from '#root/channels/telegram/callback.js';
import type { SeededReminder } from './builders.js';
import type { FakeTelegram } from './telegram-server.js';

/** What reached the Bot API server, reminder by reminder. */
export interface Tally {
  /** Messages in the chats, all told. */
  messages: number;
  /** Reminders of which no message reached their chat. */
  missing: SeededReminder[];
  /** Messages beyond the first, summed over the reminders. */
  duplicates: number;
  /** The reminders that arrived more than once, with how many times. */
  repeated: { reminder: SeededReminder; times: number }[];
}

type Keyboard = { inline_keyboard?: { callback_data?: string }[][] };

/**
 * Counts the messages of each reminder at the fake server. Every seeded reminder has an obligation
 * of its own, which a ✅ button of its message names (a day's message of several items has one per
 * item): a message is matched to its reminders by chat and buttons, whatever its text.
 */
export function tallyMessages(fake: FakeTelegram, reminders: SeededReminder[]): Tally {
  const count = new Map<string, number>();
  const sent = fake.sent();
  for (const m of sent) {
    const data = ((m.reply_markup as Keyboard | undefined)?.inline_keyboard ?? [])
      .flat()
      .map((b) => b.callback_data ?? '');
    for (const done of data.map(decodeButton).filter((b) => b?.action === 'done')) {
      const key = `${m.chat.id}|${done!.id}`;
      count.set(key, (count.get(key) ?? 0) + 1);
    }
  }
  const times = (r: SeededReminder) => count.get(`${r.chatId}|${r.obligationId}`) ?? 0;
  const repeated = reminders.filter((r) => times(r) > 1).map((reminder) => ({ reminder, times: times(reminder) }));
  return {
    messages: sent.length,
    missing: reminders.filter((r) => times(r) === 0),
    duplicates: repeated.reduce((n, r) => n + r.times - 1, 0),
    repeated,
  };
}
