/**
 * Splitting long texts into chat messages: Zalo's `sendMessage` takes 1–2,000 characters
 * (docs/channels.md), Telegram's 4,096.
 *
 * Length is counted in UTF-16 code units (JavaScript's `length`): never fewer than the code points
 * or characters a platform might count, so a part that fits here fits there.
 */

/**
 * Whitespace a line may break at: `\s` without the non-breaking spaces (U+00A0, U+2007, U+202F)
 * and U+FEFF, which a writer puts where a break must not be ("15 /11", "Quý II").
 */
const BREAKING_SPACE = /[\t\n\v\f\r \u1680\u2000-\u2006\u2008-\u200a\u2028\u2029\u205f\u3000]/;
/** What may close a sentence before the whitespace after it: the end mark, then closing quotes or brackets. */
const SENTENCE_END = /[.!?…][”’"')\]»]*$/;

const graphemes = new Intl.Segmenter('vi', { granularity: 'grapheme' });

/** A run of breaking whitespace at [start, end), with the kind of boundary it makes. */
interface Gap {
  start: number;
  end: number;
  /** 3 paragraph (a blank line), 2 line, 1 after a sentence, 0 any space. */
  rank: number;
}

function isSpace(text: string, i: number): boolean {
  return BREAKING_SPACE.test(text[i] ?? '');
}

/** The whitespace runs that start inside (from, to], each ranked. */
function gapsIn(text: string, from: number, to: number): Gap[] {
  const gaps: Gap[] = [];
  let i = from + 1;
  while (i <= to && i < text.length) {
    if (!isSpace(text, i)) {
      i++;
      continue;
    }
    const start = i;
    let newlines = 0;
    while (i < text.length && isSpace(text, i)) {
      if (text[i] === '\n' || text[i] === '\u2029') newlines++;
      i++;
    }
    const before = text.slice(Math.max(from, start - 8), start);
    const rank = newlines >= 2 ? 3 : newlines === 1 ? 2 : SENTENCE_END.test(before) ? 1 : 0;
    gaps.push({ start, end: i, rank });
  }
  return gaps;
}

/** The longest prefix of text[from…] of at most `max` units that ends on a grapheme boundary (or a code point one). */
function hardCut(text: string, from: number, max: number): number {
  let end = from;
  for (const { segment } of graphemes.segment(text.slice(from, from + max + 16))) {
    if (end - from + segment.length > max) break;
    end += segment.length;
  }
  if (end > from) return end;
  // One grapheme cluster longer than max (a long emoji ZWJ sequence with a tiny max): cut it
  // between code points, never inside a surrogate pair.
  for (const ch of text.slice(from, from + max + 2)) {
    if (end - from + ch.length > max) break;
    end += ch.length;
  }
  return end;
}

/**
 * Splits `text` into parts of at most `max` UTF-16 units, in order, none empty or blank.
 *
 * A text that fits is returned as is (`[]` when blank). Otherwise, each part is cut at the best
 * boundary in its window, preferring, among the boundaries in the second half of the window: a
 * blank line, then a line break, then the space after a sentence end (`.` `!` `?` `…`), then any
 * space; failing those, the last space anywhere in the window. The whitespace at a cut is dropped
 * (it is the "separator"). Only a word longer than `max` is cut inside, at a grapheme boundary, so
 * an emoji or a letter with its diacritics stays whole — unless that one grapheme is itself longer
 * than `max` (an 11-unit family emoji with a tiny `max`); a surrogate pair is never split.
 * "Blank" and "whitespace" mean breaking whitespace: a part of non-breaking spaces is content.
 *
 * Invariant (the tests check it): `text` equals `s0 + parts[0] + s1 + parts[1] + … + parts[n-1] + sn`
 * where every `si` is breaking whitespace only, possibly empty; an inner `si` is empty only where a
 * word longer than `max` was cut.
 */
export function splitText(text: string, max: number): string[] {
  if (!Number.isInteger(max) || max < 2) throw new RangeError(`splitText: max must be an integer ≥ 2, got ${max}`);
  let start = 0;
  while (start < text.length && isSpace(text, start)) start++;
  if (start === text.length) return [];
  if (text.length <= max) return [text];

  let end = text.length;
  while (end > start && isSpace(text, end - 1)) end--;
  const body = text.slice(0, end);

  const parts: string[] = [];
  while (start < body.length) {
    if (body.length - start <= max) {
      parts.push(body.slice(start));
      break;
    }
    const limit = start + max; // a gap starting here still leaves a part of exactly max
    const gaps = gapsIn(body, start, limit);
    const half = start + Math.floor(max / 2);
    let cut: Gap | undefined;
    for (let rank = 3; rank >= 0 && !cut; rank--) {
      cut = gaps.findLast((g) => g.rank >= rank && g.start >= half);
    }
    cut ??= gaps.at(-1);
    if (cut) {
      parts.push(body.slice(start, cut.start));
      start = cut.end;
    } else {
      const at = hardCut(body, start, max);
      parts.push(body.slice(start, at));
      start = at;
    }
  }
  return parts;
}
