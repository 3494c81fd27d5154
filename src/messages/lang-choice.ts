import type { Lang } from '#root/domain/wording.js';
import { serviceWords } from './service-words.js';

const langWords = serviceWords('lang');

/**
 * An unknown language asked for (`--lang xx`, `DONDOC_LANG=xx`): the person's language is not
 * known yet, so the message is both languages, one line each. Nothing has run.
 */
export class UnknownLangError extends Error {
  override name = 'UnknownLangError';
  constructor(readonly given: string) {
    const words = langWords('unknown', { given });
    super(`${words.vi}\n${words.en}`);
  }
}

const isLang = (v: string): v is Lang => v === 'vi' || v === 'en';

/**
 * The language of a person at a terminal (the command line, a server's start-up), in this order:
 * `given` (the command line's `--lang`), else DONDOC_LANG, else the locale variables as the C
 * library reads them (the first set of LC_ALL, LC_MESSAGES, LANG): one starting with "en" is
 * English; anything else, or nothing, Vietnamese. An empty value counts as unset, as in the
 * configuration. An unknown `given` or DONDOC_LANG throws {@link UnknownLangError}.
 */
export function chooseLang(env: Readonly<Record<string, string | undefined>>, given?: string): Lang {
  const asked = given ?? (env.DONDOC_LANG || undefined);
  if (asked !== undefined) {
    const lang = asked.trim().toLowerCase();
    if (!isLang(lang)) throw new UnknownLangError(asked);
    return lang;
  }
  const locale = env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return /^en/i.test(locale) ? 'en' : 'vi';
}
