/**
 * The code people type in a chat to name one obligation: the duty's code and its period, so that
 * `/xong 4.2-2026Q4` confirms the fourth quarter of 2026 and nothing else. Short, typed on a phone:
 * case, spaces and separators do not matter (`/xong 4.2 2026-q4`, `/xong 4.2_2026/Q4`, and the
 * way Vietnamese write a quarter, `/xong 4.2 Q4/2026`, name the same period).
 */

/** A period key as the code shows it: "2026-Q4" → "2026Q4", "2026-H1" → "2026H1"; "2026", "2026-05" and "2025-2027" as they are. */
function periodTag(periodKey: string): string {
  return periodKey.replace(/^(\d{4})-([QHP]\d{1,2})$/, '$1$2');
}

/**
 * The code of an obligation: "4.2-2026Q4" (quarterly), "4.2-2026" (yearly), "4.2-2026-05"
 * (monthly), "4.2-2025-2027" (every three years); a one-off duty ("once") is its duty code alone.
 */
export function obligationCode(dutyCode: string, periodKey: string): string {
  return periodKey === 'once' ? dutyCode : `${dutyCode}-${periodTag(periodKey)}`;
}

/** Lower case, without diacritics or separators: what two spellings of one code share. */
const loose = (text: string) =>
  text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/đ/gi, 'd')
    .toLowerCase()
    .replace(/[\s\-_/.:,]+/g, '');

/** Every way a period may be written, loosely: "2026q4" and "q42026"; "202605" and "052026". */
function periodSpellings(periodKey: string): string[] {
  const sub = /^(\d{4})-([A-Za-z]?\d{1,2})$/.exec(periodKey);
  if (sub) return [loose(`${sub[1]}${sub[2]}`), loose(`${sub[2]}${sub[1]}`)];
  return [loose(periodKey)];
}

/**
 * How `typed` names an obligation of duty `dutyCode` and period `periodKey`: `'period'` when it
 * names the duty and this period, `'duty'` when it is the duty's code alone (any of its periods),
 * or null.
 */
export function codeMatch(typed: string, dutyCode: string, periodKey: string): 'period' | 'duty' | null {
  const t = typed.trim();
  if (!t) return null;
  if (t.toLowerCase() === dutyCode.trim().toLowerCase()) return 'duty';
  if (periodKey === 'once') return null;
  const l = loose(t);
  const code = loose(dutyCode);
  return periodSpellings(periodKey).some((p) => l === code + p) ? 'period' : null;
}

/**
 * The items a typed code names: those whose period it names, else those of the duty it names
 * (possibly several periods: the caller asks which, changing nothing), else none.
 */
export function pickByCode<T>(
  typed: string,
  items: readonly T[],
  of: (item: T) => { dutyCode: string; periodKey: string },
): T[] {
  const matches = items.map((item) => ({ item, how: codeMatch(typed, of(item).dutyCode, of(item).periodKey) }));
  const byPeriod = matches.filter((m) => m.how === 'period');
  return (byPeriod.length ? byPeriod : matches.filter((m) => m.how === 'duty')).map((m) => m.item);
}

/**
 * {@link pickByCode} for the words of a command: the code may take two words when the period was
 * typed apart ("4.2 2026Q4", "4.2 Q4/2026"). `words` is how many it took (the note or the date
 * comes after).
 */
export function pickByWords<T>(
  words: readonly string[],
  items: readonly T[],
  of: (item: T) => { dutyCode: string; periodKey: string },
): { matches: T[]; words: number } {
  if (words.length >= 2) {
    const two = `${words[0]} ${words[1]}`;
    const matches = items.filter((item) => codeMatch(two, of(item).dutyCode, of(item).periodKey) === 'period');
    if (matches.length) return { matches, words: 2 };
  }
  return { matches: words.length ? pickByCode(words[0]!, items, of) : [], words: 1 };
}
