import type { Lang } from '#root/domain/wording.js';

/**
 * Errors that reach a person. A message is given either in each language ({@link Words}: the web
 * and the chats show the person's only), or as one text "Vietnamese / English" (older messages:
 * split at the last " / "). The command line, which has no language setting, prints both.
 */

/** One message in each language. */
export interface Words {
  vi: string;
  en: string;
}

/** Bad input from a person (CLI argument, form, chat command): shown as is, nothing changed. */
export class UserError extends Error {
  override name = 'UserError';
  /** The message in each language, when it was given so. */
  readonly words: Words | undefined;
  constructor(message: string | Words) {
    super(typeof message === 'string' ? message : `${message.vi} / ${message.en}`);
    this.words = typeof message === 'string' ? undefined : message;
  }
}

/** Something named does not exist (organisation, unit, contact, duty…). */
export class NotFoundError extends UserError {
  override name = 'NotFoundError';
}

/**
 * A note kept as one text for readers of either language — an import's flags, stored as `string[]`
 * in PostgreSQL and in review drafts: "Vietnamese / English", which {@link oneLanguage} splits
 * again for a page in one language (the command line prints it whole).
 */
export const inBothLanguages = (words: Words): string => `${words.vi} / ${words.en}`;

/**
 * A message "… tiếng Việt / english" in one language only: the part before the last " / " in
 * Vietnamese, the part after it in English (first letter raised). Without one, as it is. A " / "
 * inside a quote «…» (a document's own words, "6 tháng / lần") does not split.
 */
export function oneLanguage(message: string, lang: Lang): string {
  const at = lastSplit(message);
  if (at < 0) return message;
  if (lang === 'vi') return message.slice(0, at).trim();
  const en = message.slice(at + 3).trim();
  return en.charAt(0).toUpperCase() + en.slice(1);
}

/** Where the languages of a "vi / en" message meet: the last " / " outside «…» (quotes unpaired: the last one). */
function lastSplit(message: string): number {
  let depth = 0;
  let at = -1;
  for (let i = 0; i < message.length; i++) {
    const c = message[i];
    if (c === '«') depth++;
    else if (c === '»') depth = Math.max(0, depth - 1);
    else if (depth === 0 && message.startsWith(' / ', i)) at = i;
  }
  return depth === 0 ? at : message.lastIndexOf(' / ');
}

/** A person-facing error's message in one language: its own words in that language, else split. */
export function messageIn(error: Error, lang: Lang): string {
  return error instanceof UserError && error.words ? error.words[lang] : oneLanguage(error.message, lang);
}
