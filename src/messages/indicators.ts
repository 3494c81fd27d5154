/**
 * What a contact reads when reporting an indicator by chat (/chitieu, /indicator), in their own
 * language. Every reply of the indicator commands comes from here; the texts themselves are in the
 * locale files (`locales/{vi,en}.json`, keys `indicator.*`), read through {@link say}.
 */
import type { ValueProblem } from '#root/domain/indicators.js';
import type { Lang } from '#root/domain/wording.js';
import { say, type ChatKey } from './chat-words.js';

export type { Lang };

export interface IndicatorLine {
  ref: string;
  title: string;
  target: string | null;
  value: string | null;
}

interface Words {
  usage: string;
  none: (unit: string, year: number) => string;
  list: (unit: string, year: number, lines: IndicatorLine[]) => string;
  problem: Record<ValueProblem, (typed: string) => string>;
  notOwn: (code: string, unit: string, year: number) => string;
  ambiguous: (code: string, refs: string[]) => string;
  saved: (ref: string, title: string, value: string, year: number, replaced: boolean) => string;
  undone: (ref: string, year: number, back: string | null) => string;
  nothingToUndo: (code: string, year: number) => string;
  noteTooLong: string;
  /** The command a reminder shows for reporting one indicator: a rate as a fraction, else a value. */
  typed: (ref: string, rate: boolean) => string;
}

/** The locale key of each problem with a typed value. */
const PROBLEM_KEYS: Record<ValueProblem, ChatKey> = {
  empty: 'indicator.empty',
  'not-number': 'indicator.notNumber',
  'need-fraction': 'indicator.needFraction',
  'zero-denominator': 'indicator.zeroDenominator',
  over: 'indicator.over',
  negative: 'indicator.negative',
};

function wordsFor(lang: Lang): Words {
  return {
    usage: say(lang, 'indicator.usage'),
    none: (unit, year) => say(lang, 'indicator.none', { unit, year }),
    list: (unit, year, lines) =>
      [
        say(lang, 'indicator.listHead', { unit, year }),
        ...lines.map((l) =>
          say(lang, 'indicator.listLine', {
            ref: l.ref,
            title: l.title,
            target: l.target ? say(lang, 'indicator.listTarget', { target: l.target }) : '',
            state: l.value ? say(lang, 'indicator.reported', { value: l.value }) : say(lang, 'indicator.notReported'),
          }),
        ),
        say(lang, 'indicator.listFoot'),
      ].join('\n'),
    problem: Object.fromEntries(
      Object.entries(PROBLEM_KEYS).map(([problem, key]) => [problem, (text: string) => say(lang, key, { text })]),
    ) as Record<ValueProblem, (typed: string) => string>,
    notOwn: (code, unit, year) => say(lang, 'indicator.notOwn', { code, unit, year }),
    ambiguous: (code, refs) => say(lang, 'indicator.ambiguous', { code, refs: refs.join(say(lang, 'indicator.or')) }),
    saved: (ref, title, value, year, replaced) =>
      say(lang, 'indicator.saved', {
        ref,
        title,
        value,
        year,
        replaced: replaced ? say(lang, 'indicator.replaced') : '',
      }),
    undone: (ref, year, back) =>
      say(lang, 'indicator.undone', {
        ref,
        year,
        after: back ? say(lang, 'indicator.undoneBack', { back }) : say(lang, 'indicator.undoneNone'),
      }),
    nothingToUndo: (code, year) => say(lang, 'indicator.nothingToUndo', { code, year }),
    noteTooLong: say(lang, 'indicator.noteTooLong'),
    typed: (ref, rate) => say(lang, rate ? 'indicator.typedRate' : 'indicator.typedValue', { ref }),
  };
}

export const INDICATOR_WORDS: Record<Lang, Words> = { vi: wordsFor('vi'), en: wordsFor('en') };

/** The words "undo" in either language, as typed after the indicator's number (input, not a reply). */
export const UNDO_WORDS = new Set(['huy', 'hủy', 'hoantac', 'hoàn tác', 'undo']);
