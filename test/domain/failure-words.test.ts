import { GrammyError } from 'grammy';
import { describe, expect, it } from 'vitest';
import { TELEGRAM_DEAD_CHATS, telegramDeliveryError, type TelegramDeadChat } from '#root/channels/telegram/errors.js';
import { ZaloApiError } from '#root/channels/zalo/client.js';
import { zaloDeliveryError } from '#root/channels/zalo/index.js';
import { emailDeliveryError } from '#root/channels/email/errors.js';
import { CHAT_WORDS } from '#root/messages/chat-words.js';
import { failureForContact, failureInWords } from '#root/messages/refusal-words.js';

/** Telegram's answer for each dead chat, as the Bot API words it. */
const TELEGRAM_ANSWERS: Record<TelegramDeadChat, [code: number, description: string]> = {
  blocked: [403, 'Forbidden: bot was blocked by the user'],
  deactivated: [403, 'Forbidden: user is deactivated'],
  kicked: [403, 'Forbidden: bot was kicked from the group chat'],
  chatNotFound: [400, 'Bad Request: chat not found'],
  noRights: [400, 'Bad Request: have no rights to send a message'],
  notStarted: [403, "Forbidden: bot can't initiate conversation with a user"],
  toBot: [403, "Forbidden: bot can't send messages to bots"],
  notMember: [403, 'Forbidden: bot is not a member of the channel chat'],
  groupDeleted: [403, 'Forbidden: the group chat was deleted'],
};

const telegram = (code: number, description: string) =>
  telegramDeliveryError(
    new GrammyError('Call to sendMessage failed', { ok: false, error_code: code, description }, 'sendMessage', {}),
  );
const zalo = (errorCode: number, description: string) =>
  zaloDeliveryError(new ZaloApiError({ method: 'sendMessage', errorCode, description, httpStatus: 200 }))!;

const VIETNAMESE = /[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]/i;
/** The channels' own words, which people never see. */
const RAW =
  /Forbidden:|Bad Request:|Not found$|blocked by the user|user is deactivated|bot was kicked|can't|Telegram \d|Zalo \d|SMTP/i;

/** What happened, then what to do: "người nhận đã chặn bot — nhờ họ …". */
function expectWordsAndAction(reason: string, what: string) {
  const vi = failureInWords(reason, 'vi');
  const en = failureInWords(reason, 'en');
  expect(vi, what).toMatch(/^.+ — .+$/);
  expect(en, what).toMatch(/^.+ — .+$/);
  expect(vi, what).toMatch(VIETNAMESE);
  expect(en, what).not.toMatch(VIETNAMESE);
  expect(vi, what).not.toMatch(RAW);
  expect(en, what).not.toMatch(RAW);
  return { vi, en };
}

describe('a channel that failed for good, told to people', () => {
  describe('for each permanent Telegram answer', () => {
    it('says what happened and what to do, in each language, each in its own words', () => {
      expect(Object.keys(TELEGRAM_ANSWERS).sort()).toEqual(Object.keys(TELEGRAM_DEAD_CHATS).sort());
      const seen = new Set<string>();
      for (const [name, [code, description]] of Object.entries(TELEGRAM_ANSWERS)) {
        const error = telegram(code, description);
        expect(error.permanent && error.scope, name).toBe('address');
        const { vi } = expectWordsAndAction(error.message, name);
        seen.add(vi);
      }
      expect(seen.size).toBe(Object.keys(TELEGRAM_ANSWERS).length);
    });

    it('tells the blocked bot as the person who blocked it must fix it', () => {
      const reason = telegram(403, 'Forbidden: bot was blocked by the user').message;
      expect(failureInWords(reason, 'vi')).toBe('người nhận đã chặn bot — nhờ họ mở lại bot và gửi /start');
      expect(failureInWords(reason, 'en')).toBe(
        'the recipient blocked the bot — ask them to reopen it and send /start',
      );
    });

    it('does not tell an unknown 403 as a dead chat', () => {
      const reason = telegram(403, 'Forbidden: something we have never seen').message;
      expect(failureInWords(reason, 'en')).toBe('Telegram refused this message without giving a reason');
    });
  });

  describe('for each permanent Zalo answer', () => {
    it('says what happened and what to do, in each language', () => {
      const cases = {
        blocked: zalo(403, 'User has blocked the OA'),
        notFound: zalo(404, 'Not found'),
        noUser: zalo(400, 'The user does not exist'),
      };
      const words = Object.entries(cases).map(([name, error]) => {
        expect(error.permanent && error.scope, name).toBe('address');
        return expectWordsAndAction(error.message, name).en;
      });
      expect(words[0]).toBe('the recipient blocked the Zalo bot — ask them to unblock it, then send /start to it');
      expect(new Set(words).size).toBe(3);
      // A 400 about the message is not a dead chat: the message's refusal.
      expect(failureInWords(zalo(400, 'Bad Request').message, 'en')).toBe(
        'Zalo refused this message as an invalid request',
      );
    });
  });

  it('tells a refused email address, a missing one, and a failure nothing knows, with what to do', () => {
    expectWordsAndAction(emailDeliveryError({ responseCode: 550, message: 'mailbox unavailable' }).message, '550');
    expectWordsAndAction('address rejected', 'rejected');
    expectWordsAndAction('contact has no email address', 'no address');
    expectWordsAndAction('channel telegram not configured', 'not configured');
    expectWordsAndAction('Telegram 500: something odd', 'unknown');
    expectWordsAndAction('', 'none recorded');
  });

  describe('told to the contact whose channel it is', () => {
    const REASONS = [
      ...Object.values(TELEGRAM_ANSWERS).map(([code, description]) => telegram(code, description).message),
      zalo(403, 'User has blocked the OA').message,
      zalo(404, 'Not found').message,
      zalo(400, 'The user does not exist').message,
      'address rejected',
      'contact has no email address',
      'channel zalo not configured',
    ];

    it('has contact words for every failure the administrators have words for, and the other way round', () => {
      for (const lang of ['vi', 'en'] as const) {
        const keys = Object.keys(CHAT_WORDS[lang]);
        const admin = keys.filter((k) => k.startsWith('failure.') && k !== 'failure.failed').map((k) => k.slice(8));
        const contact = keys.filter((k) => k.startsWith('contactFailure.')).map((k) => k.slice(15));
        expect(contact.sort()).toEqual(admin.sort());
      }
    });

    it('says what happened and what they can do, each failure in its own words, never the channel’s answer', () => {
      const seen = new Set<string>();
      for (const reason of REASONS) {
        const vi = failureForContact(reason, 'vi');
        const en = failureForContact(reason, 'en');
        for (const text of [vi, en]) {
          expect(text, reason).toMatch(/^.+ — .+$/);
          expect(text, reason).not.toMatch(RAW);
        }
        expect(vi, reason).toMatch(VIETNAMESE);
        expect(en, reason).not.toMatch(VIETNAMESE);
        // Not the administrators' words: those speak of "the recipient" and "them".
        expect(vi, reason).not.toBe(failureInWords(reason, 'vi'));
        expect(en, reason).not.toMatch(/recipient|ask them/);
        seen.add(vi);
      }
      expect(seen.size).toBe(REASONS.length);
      expect(failureForContact(telegram(403, 'Forbidden: bot was blocked by the user').message, 'vi')).toBe(
        'anh/chị đã chặn bot trên Telegram — mở lại bot, bỏ chặn rồi gửi /start',
      );
    });

    it('tells a message’s refusal, an unknown answer or none as something to ask the administrator about', () => {
      const other = failureForContact('', 'en');
      expect(other).toBe(
        'reminders could not be delivered there — ask the administrator to check the address; choose this channel again with /channels to retry',
      );
      for (const reason of ["Telegram 400: Bad Request: can't parse entities", 'Webhook 404', 'Telegram 500: odd'])
        expect(failureForContact(reason, 'en'), reason).toBe(other);
      expect(failureForContact('', 'vi')).toContain('/kenh');
    });
  });
});
