import type { Words } from '#root/errors/index.js';
import { splitText } from '#root/lib/split-text.js';
import { serviceWords } from '#root/messages/service-words.js';

/**
 * Telegram's HTML parse mode (core.telegram.org/bots/api#html-style): what it accepts, how long a
 * text is as Telegram counts it, and how a text too long for one message is split.
 */

const templateWords = serviceWords('templates');

/** Telegram's limit on a message's text, counted after entities are parsed (tags do not count). */
export const TELEGRAM_TEXT_MAX = 4_096;

/** The tags Telegram's HTML parse mode accepts; any other is refused with 400 "can't parse entities". */
export const TELEGRAM_TAGS: ReadonlySet<string> = new Set([
  'b',
  'strong',
  'i',
  'em',
  'u',
  'ins',
  's',
  'strike',
  'del',
  'span',
  'tg-spoiler',
  'a',
  'code',
  'pre',
  'blockquote',
  'tg-emoji',
]);

const TAG = /^<(\/?)([a-zA-Z][a-zA-Z0-9-]*)(\s[^<>]*)?>/;
const ENTITY = /^&(?:lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});/;

/** One thing wrong with a text for Telegram: what, and where (a character offset into the text). */
export interface TelegramHtmlProblem {
  at: number;
  problem: Words;
}

/**
 * What Telegram would refuse in `text` sent with `parse_mode: 'HTML'`, or null when it parses: a
 * `<` that opens no tag, a tag outside {@link TELEGRAM_TAGS} (a `span` without `class="tg-spoiler"`
 * too), an end tag that closes nothing or the wrong tag, a tag never closed. What is wrong is said
 * in each language.
 */
export function telegramHtmlProblem(text: string): TelegramHtmlProblem | null {
  const open: { name: string; at: number }[] = [];
  for (let i = text.indexOf('<'); i !== -1; i = text.indexOf('<', i + 1)) {
    const m = TAG.exec(text.slice(i, i + 2_000));
    if (!m)
      return {
        at: i,
        problem: templateWords('strayLessThan'),
      };
    const name = m[2]!.toLowerCase();
    const closing = m[1] === '/';
    if (
      !TELEGRAM_TAGS.has(name) ||
      (!closing && name === 'span' && !/\bclass\s*=\s*["']?tg-spoiler\b/.test(m[3] ?? ''))
    ) {
      return {
        at: i,
        problem: templateWords('unsupportedTag', { slash: closing ? '/' : '', name }),
      };
    }
    if (closing) {
      const top = open.pop();
      if (top?.name !== name) {
        return {
          at: i,
          problem: top
            ? templateWords('endTagMismatch', { name, topName: top.name })
            : templateWords('endTagUnopened', { name }),
        };
      }
    } else {
      open.push({ name, at: i });
    }
    i += m[0].length - 1;
  }
  const unclosed = open.at(-1);
  return unclosed
    ? {
        at: unclosed.at,
        problem: templateWords('tagUnclosed', { name: unclosed.name }),
      }
    : null;
}

/** The length Telegram counts: tags removed, each entity one character. */
export function telegramVisibleLength(text: string): number {
  return text.replace(/<[^<>]*>/g, '').replace(/&(?:lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});/g, '&').length;
}

// Whitespace inside a tag (`<a href="…">`) must not be a place to cut: it is swapped for
// private-use characters while splitting, and swapped back after.
const PROTECT: Record<string, string> = { ' ': '\uE000', '\n': '\uE001', '\t': '\uE002', '\r': '\uE003' };
const UNPROTECT: Record<string, string> = Object.fromEntries(Object.entries(PROTECT).map(([k, v]) => [v, k]));
const protect = (text: string) => text.replace(/<[^<>]*>/g, (tag) => tag.replace(/[ \n\t\r]/g, (c) => PROTECT[c]!));
const unprotect = (text: string) => text.replace(/[\uE000-\uE003]/g, (c) => UNPROTECT[c]!);

/**
 * Splits a Telegram HTML text into messages that each fit {@link TELEGRAM_TEXT_MAX}, every one
 * parsing on its own. Steps:
 * 1. A text whose visible length fits is returned as it is.
 * 2. Otherwise it is cut with {@link splitText} on its raw length (never shorter than the visible
 *    one, so a part that fits raw fits visibly), at paragraph, line, sentence or word boundaries;
 *    never inside a tag (whitespace in tags is protected) nor inside an entity or a tag where a
 *    word longer than a message has to be cut (the cut moves before it).
 * 3. Tags open at a cut are closed at the end of their part and opened again, with their
 *    attributes, at the start of the next (tags do not count towards the limit).
 */
export function splitTelegramHtml(text: string, max: number = TELEGRAM_TEXT_MAX): string[] {
  // The visible length is never more than the raw one: a text that fits raw needs no count.
  if (text.length <= max || telegramVisibleLength(text) <= max) return [text];
  const raw = protect(text);
  const pieces: string[] = [];
  let rest = raw;
  while (rest.length) {
    // The first part depends only on the text within reach of one message: split a window, not
    // the whole rest (which would make a long text quadratic).
    const first = splitText(rest.slice(0, 3 * max), max)[0];
    if (first === undefined) break;
    const start = rest.indexOf(first);
    let end = start + first.length;
    if (end < rest.length && !/\s/.test(rest[end]!)) {
      // A hard cut inside a word: not inside a tag or an entity.
      const lt = rest.lastIndexOf('<', end - 1);
      if (lt >= start && rest.indexOf('>', lt) >= end) end = lt > start ? lt : rest.indexOf('>', lt) + 1;
      const amp = rest.lastIndexOf('&', end - 1);
      if (
        amp > start &&
        end - amp < 12 &&
        ENTITY.test(rest.slice(amp, amp + 12)) &&
        amp + ENTITY.exec(rest.slice(amp, amp + 12))![0].length > end
      )
        end = amp;
    }
    pieces.push(rest.slice(start, end));
    rest = rest.slice(end);
  }
  // Step 3: carry the open tags across the cuts.
  const parts: string[] = [];
  let carried: { name: string; tag: string }[] = [];
  for (const piece of pieces) {
    const prefix = carried.map((t) => t.tag).join('');
    const open = [...carried];
    for (const m of piece.matchAll(/<(\/?)([a-zA-Z][a-zA-Z0-9-]*)[^<>]*>/g)) {
      const name = m[2]!.toLowerCase();
      if (m[1] === '/') {
        if (open.at(-1)?.name === name) open.pop();
      } else {
        open.push({ name, tag: m[0] });
      }
    }
    const suffix = [...open]
      .reverse()
      .map((t) => `</${t.name}>`)
      .join('');
    parts.push(unprotect(prefix + piece + suffix));
    carried = open;
  }
  return parts;
}
