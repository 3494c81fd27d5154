/**
 * What a contact reads when reporting an indicator by chat (/chitieu, /indicator), in their own
 * language: Vietnamese, or English. Every reply of the indicator commands comes from here.
 */
import type { ValueProblem } from '#root/domain/indicators.js';

export type Lang = 'vi' | 'en';

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

const vi: Words = {
  usage:
    'Cách dùng: /chitieu <số chỉ tiêu> <tử số>/<mẫu số> [ghi chú], ví dụ: /chitieu 1 45/50 hệ thống. Gõ /chitieu để xem các chỉ tiêu của đơn vị; /chitieu <số> huy để rút lại số liệu vừa báo.',
  none: (unit, year) => `${unit} không có chỉ tiêu nào phải báo cáo năm ${year}.`,
  list: (unit, year, lines) =>
    `Chỉ tiêu năm ${year} của ${unit}:\n${lines
      .map(
        (l) =>
          `• ${l.ref}. ${l.title}${l.target ? ` (mục tiêu ${l.target})` : ''}: ${l.value ? `đã báo ${l.value}` : 'chưa báo cáo'}`,
      )
      .join('\n')}\nBáo cáo: /chitieu <số> <tử số>/<mẫu số> [ghi chú].`,
  problem: {
    empty: () => 'Thiếu số liệu. Cách dùng: /chitieu <số chỉ tiêu> <tử số>/<mẫu số> [ghi chú]. Chưa có gì thay đổi.',
    'not-number': (t) => `«${t}» không phải là số. Ghi số, ví dụ 45/50. Chưa có gì thay đổi.`,
    'need-fraction': (t) =>
      `Chỉ tiêu này là tỷ lệ: ghi tử số/mẫu số, ví dụ 45/50 (không ghi «${t}»). Chưa có gì thay đổi.`,
    'zero-denominator': () => 'Mẫu số phải lớn hơn 0. Chưa có gì thay đổi.',
    over: (t) => `Tử số không được lớn hơn mẫu số («${t}» vượt quá 100%). Chưa có gì thay đổi.`,
    negative: () => 'Số liệu không được âm. Chưa có gì thay đổi.',
  },
  notOwn: (code, unit, year) =>
    `${unit} không phải báo cáo chỉ tiêu «${code}» năm ${year}. Gõ /chitieu để xem các chỉ tiêu của đơn vị. Chưa có gì thay đổi.`,
  ambiguous: (code, refs) =>
    `Nhiều kế hoạch có chỉ tiêu «${code}»: ghi rõ ${refs.join(' hoặc ')}. Chưa có gì thay đổi.`,
  saved: (ref, title, value, year, replaced) =>
    `✅ Đã ghi nhận chỉ tiêu ${ref} «${title}» năm ${year}: ${value}.${replaced ? ' Số liệu báo trước đó được thay bằng số này.' : ''} Gõ /chitieu ${ref} huy để rút lại.`,
  undone: (ref, year, back) =>
    `↩️ Đã rút lại số liệu chỉ tiêu ${ref} năm ${year}.${back ? ` Số liệu trước đó (${back}) được dùng lại.` : ' Chỉ tiêu này trở lại «chưa báo cáo».'}`,
  nothingToUndo: (code, year) => `Chỉ tiêu «${code}» năm ${year} chưa có số liệu nào để rút lại.`,
  noteTooLong: 'Ghi chú dài quá 1.000 ký tự. Chưa có gì thay đổi.',
  typed: (ref, rate) => `/chitieu ${ref} ${rate ? '<tử số>/<mẫu số>' : '<số liệu>'}`,
};

const en: Words = {
  usage:
    'Usage: /indicator <indicator number> <numerator>/<denominator> [note], e.g. /indicator 1 45/50 systems. Send /indicator to list your unit’s indicators; /indicator <number> undo to withdraw the value just reported.',
  none: (unit, year) => `${unit} has no indicator to report for ${year}.`,
  list: (unit, year, lines) =>
    `Indicators of ${unit} for ${year}:\n${lines
      .map(
        (l) =>
          `• ${l.ref}. ${l.title}${l.target ? ` (target ${l.target})` : ''}: ${l.value ? `reported ${l.value}` : 'not reported'}`,
      )
      .join('\n')}\nReport: /indicator <number> <numerator>/<denominator> [note].`,
  problem: {
    empty: () => 'No value given. Usage: /indicator <number> <numerator>/<denominator> [note]. Nothing was changed.',
    'not-number': (t) => `«${t}» is not a number. Write numbers, e.g. 45/50. Nothing was changed.`,
    'need-fraction': (t) =>
      `This indicator is a rate: write numerator/denominator, e.g. 45/50 (not «${t}»). Nothing was changed.`,
    'zero-denominator': () => 'The denominator must be above 0. Nothing was changed.',
    over: (t) => `The numerator cannot exceed the denominator («${t}» is over 100%). Nothing was changed.`,
    negative: () => 'Values cannot be negative. Nothing was changed.',
  },
  notOwn: (code, unit, year) =>
    `${unit} does not report indicator «${code}» for ${year}. Send /indicator to list your unit’s indicators. Nothing was changed.`,
  ambiguous: (code, refs) => `Several plans have indicator «${code}»: write ${refs.join(' or ')}. Nothing was changed.`,
  saved: (ref, title, value, year, replaced) =>
    `✅ Recorded indicator ${ref} «${title}» for ${year}: ${value}.${replaced ? ' It replaces the value reported before.' : ''} Send /indicator ${ref} undo to withdraw it.`,
  undone: (ref, year, back) =>
    `↩️ Withdrew the value of indicator ${ref} for ${year}.${back ? ` The value before (${back}) stands again.` : ' The indicator is back to «not reported».'}`,
  nothingToUndo: (code, year) => `Indicator «${code}» has no value for ${year} to withdraw.`,
  noteTooLong: 'The note is longer than 1,000 characters. Nothing was changed.',
  typed: (ref, rate) => `/indicator ${ref} ${rate ? '<numerator>/<denominator>' : '<value>'}`,
};

export const INDICATOR_WORDS: Record<Lang, Words> = { vi, en };

/** The words "undo" in either language, as typed after the indicator's number. */
export const UNDO_WORDS = new Set(['huy', 'hủy', 'hoantac', 'hoàn tác', 'undo']);
