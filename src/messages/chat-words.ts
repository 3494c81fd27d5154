import { shorten } from '#root/domain/bundles.js';
import type { Lang } from '#root/domain/wording.js';
import { oneLanguage, UserError, type Words } from '#root/errors/index.js';
import { fillPlaceholders } from '#root/lib/placeholders.js';
import en from './locales/en.json' with { type: 'json' };
import vi from './locales/vi.json' with { type: 'json' };

/**
 * What the chat bots say (replies, notices to colleagues and administrators, button labels, the
 * command menu), in the person's language: `locales/vi.json` and `locales/en.json`, one key each,
 * `{{name}}` for a value. English is complete: test/domain/chat-words.test.ts checks both files
 * have the same keys and placeholders, and that every key the code uses exists.
 */

export type ChatKey = keyof typeof vi;
export type ChatParams = Record<string, string | number>;

const WORDS: Record<Lang, Record<ChatKey, string>> = { vi, en };

/** The locale files, by language (for the tests and the leak check). */
export const CHAT_WORDS: Readonly<Record<Lang, Readonly<Record<ChatKey, string>>>> = WORDS;

export { placeholdersOf } from '#root/lib/placeholders.js';

/**
 * One text in a language, its placeholders filled. A value the caller forgot reads as "…" rather
 * than as "undefined" (the tests make sure none is forgotten).
 */
export function say(lang: Lang, key: ChatKey, params: ChatParams = {}): string {
  return fillPlaceholders(WORDS[lang][key], (name) => {
    const v = params[name];
    return v === undefined ? undefined : String(v);
  });
}

/**
 * The language of a chat not linked to anyone yet: English when the person's app says so (Telegram's
 * `language_code`), else Vietnamese.
 */
export const langOfCode = (code: string | undefined): Lang => (code && /^en\b/i.test(code) ? 'en' : 'vi');

/**
 * A message of a person-facing error written "Vietnamese / English" (the services' older
 * convention) in one language: the part before the last " / " in Vietnamese, the part after in
 * English; a message without one is returned as it is. A " / " inside «…» (a duty's title, a
 * document's words) is part of the quote, not the meeting of the languages: the split is
 * {@link oneLanguage}'s, the one the web pages use.
 */
export const inOneLanguage = (message: string, lang: Lang): string => oneLanguage(message, lang);

/**
 * A person-facing error made from a locale text, in both languages ({@link Words}): the web and the
 * chats show the person's language, the command line "Vietnamese / English".
 */
export function saidError(
  key: ChatKey,
  params: ChatParams = {},
  Kind: new (message: string | Words) => UserError = UserError,
): UserError {
  return new Kind({ vi: say('vi', key, params), en: say('en', key, params) });
}

/**
 * A text cut to `max` characters, for a place that shows no more (the answer to a Telegram button:
 * 200). The first quoted title («…», a duty's) gives way first, shortened with "…", so that what
 * the text says ("… đã được xác nhận trước đó", "Các nhắc nhở còn lại đã được hủy") is still read;
 * a text with no title long enough to give way is cut at its end.
 */
export function fitText(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  const quoted = /«([^»]*)»/u.exec(text);
  if (quoted) {
    const title = [...quoted[1]!];
    const room = title.length - (chars.length - max);
    if (room >= 12) {
      const out = `${text.slice(0, quoted.index)}«${shorten(quoted[1]!, room)}»${text.slice(quoted.index + quoted[0].length)}`;
      if ([...out].length <= max) return out;
    }
  }
  return `${chars.slice(0, max - 1).join('')}…`;
}
