import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { inPlanYear, parseTimeframe } from '#root/domain/timeframe.js';
import { oneLanguage } from '#root/errors/index.js';
import type { Schedule } from '#root/domain/types.js';

/** What callers use to pick timeframe flags out of an import's flags. */
const FLAG_FILTER = /thời hạn|ngày không hợp lệ|timeframe/i;

/** The same phrase without diacritics (đ → d), case kept. */
function plain(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D');
}

/** The phrase as PDF extraction breaks it: doubled spaces, a line break, a trailing space. */
function pdfSpacing(text: string): string {
  return `${text.replace(' ', '\n').replace(/ /g, '  ')} `;
}

/** The phrase in every spelling that must mean the same. */
function variants(phrase: string): [string, string][] {
  return [
    ['as written', phrase],
    ['no diacritics', plain(phrase)],
    ['upper case', phrase.toUpperCase()],
    ['upper case, no diacritics', plain(phrase).toUpperCase()],
    ['PDF spacing', pdfSpacing(phrase)],
  ];
}

const understood: [string, Schedule][] = [
  // yearly
  ['Hàng năm', { kind: 'yearly', due: '11-15' }],
  ['Định kỳ hàng năm', { kind: 'yearly', due: '11-15' }],
  ['Hằng năm', { kind: 'yearly', due: '11-15' }],
  ['mỗi năm', { kind: 'yearly', due: '11-15' }],
  ['Hàng năm.', { kind: 'yearly', due: '11-15' }],
  ['Định kỳ hằng năm;', { kind: 'yearly', due: '11-15' }],
  ['hàng năm, trước ngày 30/6', { kind: 'yearly', due: '06-30' }],
  ['Hàng năm, trước ngày 30/6', { kind: 'yearly', due: '06-30' }],
  ['Hàng năm (trước 15/11)', { kind: 'yearly', due: '11-15' }],
  ['Hàng năm, trước ngày 5/1', { kind: 'yearly', due: '01-05' }],
  ['Hằng năm, từ năm 2024', { kind: 'yearly', due: '11-15', from: 2024 }],
  ['Hằng năm đến năm 2025', { kind: 'yearly', due: '11-15', to: 2025 }],
  ['Hằng năm giai đoạn 2023-2025', { kind: 'yearly', due: '11-15', from: 2023, to: 2025 }],
  // yearly, at least once
  ['tối thiểu mỗi năm 1 lần', { kind: 'yearly', due: '11-15', atLeastOnce: true }],
  ['tối thiểu 1 năm/lần', { kind: 'yearly', due: '11-15', atLeastOnce: true }],
  ['01 năm/lần', { kind: 'yearly', due: '11-15', atLeastOnce: true }],
  ['1 lần/năm', { kind: 'yearly', due: '11-15', atLeastOnce: true }],
  ['ít nhất mỗi năm một lần', { kind: 'yearly', due: '11-15', atLeastOnce: true }],
  ['tối thiểu 1 năm / lần', { kind: 'yearly', due: '11-15', atLeastOnce: true }],
  ['Tối thiểu 1 năm/lần, trước ngày 30/6', { kind: 'yearly', due: '06-30', atLeastOnce: true }],
  // every N years
  ['tối thiểu 2 năm/lần', { kind: 'every', months: 24, due: '11-15' }],
  ['02 năm/lần', { kind: 'every', months: 24, due: '11-15' }],
  ['2 năm một lần', { kind: 'every', months: 24, due: '11-15' }],
  ['3 năm/lần', { kind: 'every', months: 36, due: '11-15' }],
  // ongoing
  ['Thường xuyên', { kind: 'ongoing', checkIn: 'quarterly' }],
  ['Thường xuyên.', { kind: 'ongoing', checkIn: 'quarterly' }],
  ['Thường xuyên, liên tục', { kind: 'ongoing', checkIn: 'quarterly' }],
  ['thường xuyên (hằng tháng)', { kind: 'ongoing', checkIn: 'monthly' }],
  ['Thường xuyên, hằng quý', { kind: 'ongoing', checkIn: 'quarterly' }],
  // one year
  ['2023', { kind: 'once', due: '2023-12-31' }],
  ['Năm 2024', { kind: 'once', due: '2024-12-31' }],
  ['Trong năm 2024', { kind: 'once', due: '2024-12-31' }],
  // a range of years
  ['2023-2025', { kind: 'yearly', due: '11-15', from: 2023, to: 2025 }],
  ['2023 - 2025', { kind: 'yearly', due: '11-15', from: 2023, to: 2025 }],
  ['Giai đoạn 2023 - 2025', { kind: 'yearly', due: '11-15', from: 2023, to: 2025 }],
  ['2023–2025', { kind: 'yearly', due: '11-15', from: 2023, to: 2025 }],
  ['Từ năm 2023 đến năm 2025', { kind: 'yearly', due: '11-15', from: 2023, to: 2025 }],
  ['2023-2025, trước ngày 15/11 hằng năm', { kind: 'yearly', due: '11-15', from: 2023, to: 2025 }],
  // one date
  ['Đến 31/03/2024', { kind: 'once', due: '2024-03-31' }],
  ['Trước ngày 31/7/2024', { kind: 'once', due: '2024-07-31' }],
  ['Trước ngày 31/7/2026', { kind: 'once', due: '2026-07-31' }],
  ['trước 31-7-2024', { kind: 'once', due: '2024-07-31' }],
  ['31/12/2024', { kind: 'once', due: '2024-12-31' }],
  ['31 / 12 / 2024', { kind: 'once', due: '2024-12-31' }],
  ['30.6.2024', { kind: 'once', due: '2024-06-30' }],
  ['ngày 15 tháng 11 năm 2024', { kind: 'once', due: '2024-11-15' }],
  ['Chậm nhất ngày 29/2/2024', { kind: 'once', due: '2024-02-29' }],
  ['từ 01/3 đến 30/6/2024', { kind: 'once', due: '2024-06-30' }],
  ['Năm 2024, trước ngày 31/3', { kind: 'once', due: '2024-03-31' }],
  // quarters, months, halves
  ['Hoàn thành trong Quý II/2024', { kind: 'once', due: '2024-06-30' }],
  ['Quý 2/2024', { kind: 'once', due: '2024-06-30' }],
  ['quý IV năm 2024', { kind: 'once', due: '2024-12-31' }],
  ['Quý I/2025', { kind: 'once', due: '2025-03-31' }],
  ['Quý III/2024', { kind: 'once', due: '2024-09-30' }],
  ['Tháng 6/2024', { kind: 'once', due: '2024-06-30' }],
  ['tháng 02 năm 2024', { kind: 'once', due: '2024-02-29' }],
  ['Tháng 2/2024', { kind: 'once', due: '2024-02-29' }],
  ['Tháng 2/2023', { kind: 'once', due: '2023-02-28' }],
  ['Tháng 2/2000', { kind: 'once', due: '2000-02-29' }],
  ['Tháng 2/2100', { kind: 'once', due: '2100-02-28' }],
  ['Tháng 11/2024', { kind: 'once', due: '2024-11-30' }],
  ['6 tháng đầu năm 2024', { kind: 'once', due: '2024-06-30' }],
  ['6 tháng cuối năm 2024', { kind: 'once', due: '2024-12-31' }],
  // a day of every year
  ['trước ngày 15 tháng 11', { kind: 'yearly', due: '11-15' }],
  ['trước ngày 15/11', { kind: 'yearly', due: '11-15' }],
  ['Trước 15/11 hằng năm', { kind: 'yearly', due: '11-15' }],
  ['ngày 15 tháng 11 hằng năm', { kind: 'yearly', due: '11-15' }],
  // every few months
  ['6 tháng/lần', { kind: 'every', months: 6, due: '06-30' }],
  ['06 tháng một lần', { kind: 'every', months: 6, due: '06-30' }],
  ['định kỳ 6 tháng', { kind: 'every', months: 6, due: '06-30' }],
  ['2 lần/năm', { kind: 'every', months: 6, due: '06-30' }],
  ['hằng quý', { kind: 'every', months: 3, due: '03-31' }],
  ['hàng quý', { kind: 'every', months: 3, due: '03-31' }],
  ['mỗi quý', { kind: 'every', months: 3, due: '03-31' }],
  ['3 tháng/lần', { kind: 'every', months: 3, due: '03-31' }],
  ['hằng tháng', { kind: 'every', months: 1, due: '01-31' }],
  ['hàng tháng', { kind: 'every', months: 1, due: '01-31' }],
  ['mỗi tháng', { kind: 'every', months: 1, due: '01-31' }],
  ['1 tháng/lần', { kind: 'every', months: 1, due: '01-31' }],
  ['hằng tháng, trước ngày 25', { kind: 'every', months: 1, due: '01-25' }],
  ['6 tháng/lần, trước ngày 15/6', { kind: 'every', months: 6, due: '06-15' }],
  ['hằng quý, giai đoạn 2024-2025', { kind: 'every', months: 3, due: '03-31', from: 2024, to: 2025 }],
  // other spellings seen in plans
  ['Đến hết năm 2025', { kind: 'once', due: '2025-12-31' }],
  ['Cuối năm 2024', { kind: 'once', due: '2024-12-31' }],
  ['Cuối năm', { kind: 'yearly', due: '12-31' }],
  ['Quý IV hằng năm', { kind: 'yearly', due: '12-31' }],
  ['mỗi năm 2 lần', { kind: 'every', months: 6, due: '06-30' }],
  ['mỗi 2 năm', { kind: 'every', months: 24, due: '11-15' }],
  ['1 lần/quý', { kind: 'every', months: 3, due: '03-31' }],
  ['12 tháng/lần', { kind: 'yearly', due: '11-15', atLeastOnce: true }],
  [
    'tối thiểu 1 năm/lần; giai đoạn 2023–2025',
    { kind: 'yearly', due: '11-15', atLeastOnce: true, from: 2023, to: 2025 },
  ],
  // real plans of other provinces (issue 13)
  ['Năm 2024 và các năm tiếp theo', { kind: 'yearly', due: '11-15', from: 2024 }],
  ['Từ năm 2024', { kind: 'yearly', due: '11-15', from: 2024 }],
  ['Hằng năm, báo cáo trước ngày 15/11', { kind: 'yearly', due: '11-15' }],
  ['Hằng năm, gửi báo cáo trước ngày 10/12', { kind: 'yearly', due: '12-10' }],
  ['Hàng quý (trước ngày 20 của tháng cuối quý)', { kind: 'every', months: 3, due: '03-20' }],
  ['Hàng tuần', { kind: 'ongoing', checkIn: 'monthly' }],
  ['2024, 2025', { kind: 'yearly', due: '12-31', from: 2024, to: 2025 }],
  ['Năm 2024, 2025 và 2026', { kind: 'yearly', due: '12-31', from: 2024, to: 2026 }],
  ['31/12/2024, 31/12/2025', { kind: 'yearly', due: '12-31', from: 2024, to: 2025 }],
  ['Hoàn thành trước tháng 10/2024', { kind: 'once', due: '2024-09-30' }],
  ['Trước tháng 3/2024', { kind: 'once', due: '2024-02-29' }],
  ['trước tháng 01/2025', { kind: 'once', due: '2024-12-31' }],
  ['Hoàn thành trước Quý III/2024', { kind: 'once', due: '2024-06-30' }],
  ['Trước năm 2026', { kind: 'once', due: '2025-12-31' }],
];

describe('parseTimeframe: phrases it understands (SPEC §3)', () => {
  for (const [phrase, schedule] of understood) {
    describe(JSON.stringify(phrase), () => {
      it.each(variants(phrase))('%s', (_how, text) => {
        expect(parseTimeframe(text)).toEqual({ schedule, flags: [] });
      });
    });
  }
});

describe('parseTimeframe: phrases from the plan KH 3131/KH-UBND', () => {
  const fixture = fileURLToPath(new URL('../../prisma/sample/kh-3131-hcm.txt', import.meta.url));

  it('parses every timeframe of the appendix table', () => {
    const rows = readFileSync(fixture, 'utf8')
      .split('\n')
      .filter((line) => /^\d+(?:\.\d+)* \|/.test(line))
      .map((line) => line.split('|').map((cell) => cell.trim()))
      .filter((cells) => cells.length >= 6);
    const timeframes = rows.map((cells) => cells[cells.length - 2] ?? '');
    expect(timeframes.length).toBeGreaterThan(20);
    for (const timeframe of timeframes) {
      const parsed = parseTimeframe(timeframe);
      expect(parsed.schedule.kind, timeframe).not.toBe('unparsed');
      expect(parsed.flags, timeframe).toEqual([]);
    }
  });

  it.each([
    ['Thường xuyên', 'ongoing'],
    ['Hàng năm', 'yearly'],
    ['2023-2025', 'yearly'],
    ['2023', 'once'],
    ['Hàng \nnăm ', 'yearly'],
    ['Thường \nxuyên ', 'ongoing'],
  ])('%j → %s', (phrase, kind) => {
    expect(parseTimeframe(phrase).schedule.kind).toBe(kind);
  });
});

describe('parseTimeframe: impossible dates', () => {
  it.each([
    ['31/02/2024', 'Ngày không hợp lệ: 31/02/2024 / Not a valid date in the timeframe: 31/02/2024'],
    ['Trước ngày 31/02/2024', 'Ngày không hợp lệ: 31/02/2024 / Not a valid date in the timeframe: 31/02/2024'],
    ['29/2/2023', 'Ngày không hợp lệ: 29/2/2023 / Not a valid date in the timeframe: 29/2/2023'],
    ['32/1', 'Ngày không hợp lệ: 32/1 / Not a valid date in the timeframe: 32/1'],
    ['trước ngày 30/2', 'Ngày không hợp lệ: 30/2 / Not a valid date in the timeframe: 30/2'],
    ['Hàng năm, trước ngày 31/4', 'Ngày không hợp lệ: 31/4 / Not a valid date in the timeframe: 31/4'],
    ['Tháng 13/2024', 'Ngày không hợp lệ: 13/2024 / Not a valid date in the timeframe: 13/2024'],
    ['hằng tháng, trước ngày 32', 'Ngày không hợp lệ: 32 / Not a valid date in the timeframe: 32'],
    // A date read with its words: the phrase as written (diacritics kept), not "thang 13".
    ['Tháng 13', 'Ngày không hợp lệ: «Tháng 13» / Not a valid date in the timeframe: «Tháng 13»'],
  ])('%j → unparsed, flag %j', (phrase, flag) => {
    expect(parseTimeframe(phrase)).toEqual({
      schedule: { kind: 'unparsed', raw: phrase },
      flags: [flag],
    });
  });

  it('accepts 29/2 without a year (it exists in leap years)', () => {
    expect(parseTimeframe('trước ngày 29/2')).toEqual({
      schedule: { kind: 'yearly', due: '02-29' },
      flags: [],
    });
  });
});

describe('parseTimeframe: years must have 4 digits within 1900–2200', () => {
  it.each([
    '31/12/24',
    'Tháng 6/24',
    'Quý II/24',
    'ngày 15 tháng 11 năm 24',
    '2300',
    'Trước ngày 31/7/1800',
    '2023-2500',
  ])('%j → unparsed with a flag', (phrase) => {
    const parsed = parseTimeframe(phrase);
    expect(parsed.schedule).toEqual({ kind: 'unparsed', raw: phrase });
    expect(parsed.flags).toHaveLength(1);
    expect(parsed.flags[0]).toMatch(/thời hạn/i);
  });

  it('says which year, in each language', () => {
    expect(parseTimeframe('31/12/24').flags).toEqual([
      'Thời hạn «31/12/24»: năm «24» phải viết đủ 4 chữ số / The timeframe «31/12/24»: the year «24» must be written with all 4 digits',
    ]);
    expect(parseTimeframe('2300').flags).toEqual([
      'Thời hạn «2300»: năm 2300 nằm ngoài khoảng 1900–2200 / The timeframe «2300»: the year 2300 is outside 1900–2200',
    ]);
  });
});

describe('parseTimeframe: phrases it does not understand', () => {
  it.each([
    'khi nào rảnh',
    '5 tháng/lần',
    '7 lần/năm',
    '0 năm/lần',
    'Đầu năm 2024',
    'sau 3 tháng',
    // Two deadlines two years apart: no schedule says so (periods of 2 years count from the plan's start).
    '2024, 2026',
    '2024, 2025, 2027',
    'Hàng tuần, trước thứ Sáu',
    '6 tháng',
    'trước ngày 25',
    'Hàng năm (tối thiểu 10% kinh phí chi cho khoa học công nghệ)',
    'Hằng năm, trước ngày 20',
    'tối thiểu',
    '2025-2023',
    'Theo chỉ đạo của UBND Thành phố',
  ])('%j → unparsed with a flag', (phrase) => {
    expect(parseTimeframe(phrase)).toEqual({
      schedule: { kind: 'unparsed', raw: phrase },
      flags: [`Không hiểu thời hạn: «${phrase}» / The timeframe is not understood: «${phrase}»`],
    });
  });

  it('keeps the phrase tidied (NFC, single spaces)', () => {
    expect(parseTimeframe('  khi  nào\nrảnh ')).toEqual({
      schedule: { kind: 'unparsed', raw: 'khi nào rảnh' },
      flags: ['Không hiểu thời hạn: «khi nào rảnh» / The timeframe is not understood: «khi nào rảnh»'],
    });
    const decomposed = 'khi nào rảnh'.normalize('NFD');
    expect(parseTimeframe(decomposed).schedule).toEqual({
      kind: 'unparsed',
      raw: 'khi nào rảnh',
    });
  });

  it.each(['', '   ', '\n', '.', '-'])('%j (nothing) → unparsed with a flag', (phrase) => {
    expect(parseTimeframe(phrase)).toEqual({
      schedule: { kind: 'unparsed', raw: phrase.trim() },
      flags: [`Không hiểu thời hạn: «${phrase.trim()}» / The timeframe is not understood: «${phrase.trim()}»`],
    });
  });
});

describe('parseTimeframe: understood with a note', () => {
  it('takes the first of several dates, and says so', () => {
    const parsed = parseTimeframe('Hàng năm, trước 30/6 và 31/12');
    expect(parsed.schedule).toEqual({ kind: 'yearly', due: '06-30' });
    expect(parsed.flags).toEqual([
      'Thời hạn «Hàng năm, trước 30/6 và 31/12» có nhiều ngày, dùng ngày đầu / The timeframe «Hàng năm, trước 30/6 và 31/12» names several dates; the first one is used',
    ]);
  });

  it('reads a day with a quarterly cadence as a day of the last month of the quarter', () => {
    const parsed = parseTimeframe('hằng quý, trước ngày 20');
    expect(parsed.schedule).toEqual({ kind: 'every', months: 3, due: '03-20' });
    expect(parsed.flags).toEqual([
      'Thời hạn «hằng quý, trước ngày 20»: hiểu «ngày 20» là ngày của tháng cuối kỳ / The timeframe «hằng quý, trước ngày 20»: day 20 is taken as day 20 of the last month of each period',
    ]);
  });

  it('ignores dates next to "thường xuyên", and says so', () => {
    const parsed = parseTimeframe('Thường xuyên, 2023-2025');
    expect(parsed.schedule).toEqual({ kind: 'ongoing', checkIn: 'quarterly' });
    expect(parsed.flags).toEqual([
      'Thời hạn «Thường xuyên, 2023-2025» là thường xuyên, bỏ qua mốc thời gian đi kèm / The timeframe «Thường xuyên, 2023-2025» is ongoing work; the dates and periods given with it are ignored',
    ]);
  });

  it('gives only flags that callers can filter as timeframe flags', () => {
    const phrases = [
      'Hàng năm, trước 30/6 và 31/12',
      'hằng quý, trước ngày 20',
      'Thường xuyên, 2023-2025',
      '31/12/24',
      '2300',
      '31/02/2024',
      'khi nào rảnh',
      '',
    ];
    for (const phrase of phrases) {
      const { flags } = parseTimeframe(phrase);
      expect(flags.length, phrase).toBeGreaterThan(0);
      for (const flag of flags) {
        expect(oneLanguage(flag, 'vi')).toMatch(FLAG_FILTER);
        expect(oneLanguage(flag, 'en')).toMatch(FLAG_FILTER);
      }
    }
  });

  it('gives every flag in both languages: the English part has no Vietnamese, the Vietnamese no English', () => {
    const phrases = [
      'Hàng năm, trước 30/6 và 31/12',
      'hằng quý, trước ngày 20',
      'Thường xuyên, 2023-2025',
      'Thường xuyên, 6 tháng / lần, năm 2025',
      '31/12/24',
      'Quý II/24',
      '2300',
      '2023-2500',
      '31/02/2024',
      'Tháng 13',
      'hằng tháng, trước ngày 32',
      'khi nào rảnh',
      '5 tháng / lần',
      '',
    ];
    /** The document's own words, quoted «…», are left as written in both languages. */
    const unquoted = (text: string): string => text.replace(/«[^»]*»/g, '«»');
    const VIETNAMESE_WORD =
      /[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]|\b(?:thang|nam|ngay|quy)\b/i;
    const ENGLISH_WORD =
      /\b(?:the|timeframe|date|year|is|not|of|with|and|valid|day|month|period|first|used|ongoing)\b/i;
    for (const phrase of phrases) {
      const { flags } = parseTimeframe(phrase);
      expect(flags.length, phrase).toBeGreaterThan(0);
      for (const flag of flags) {
        const vi = oneLanguage(flag, 'vi');
        const en = oneLanguage(flag, 'en');
        expect(vi, flag).not.toBe(en);
        expect(flag, flag).toBe(`${vi} / ${en}`);
        expect(unquoted(en), flag).not.toMatch(VIETNAMESE_WORD);
        expect(unquoted(vi), flag).not.toMatch(ENGLISH_WORD);
        expect(unquoted(vi), flag).toMatch(VIETNAMESE_WORD);
        expect(unquoted(en), flag).toMatch(ENGLISH_WORD);
        // The phrase is quoted as the document wrote it (tidied) in both.
        if (flag.includes('«')) expect(en, flag).toContain(`«${phrase.trim()}»`);
      }
    }
  });
});

describe('parseTimeframe: the default due day', () => {
  const options = { defaultDue: '12-31' };

  it.each<[string, Schedule]>([
    ['Hàng năm', { kind: 'yearly', due: '12-31' }],
    ['tối thiểu mỗi năm 1 lần', { kind: 'yearly', due: '12-31', atLeastOnce: true }],
    ['02 năm/lần', { kind: 'every', months: 24, due: '12-31' }],
    ['2023-2025', { kind: 'yearly', due: '12-31', from: 2023, to: 2025 }],
    ['Hàng năm, trước ngày 30/6', { kind: 'yearly', due: '06-30' }],
    ['hằng quý', { kind: 'every', months: 3, due: '03-31' }],
  ])('%j with defaultDue 12-31', (phrase, schedule) => {
    expect(parseTimeframe(phrase, options)).toEqual({ schedule, flags: [] });
  });

  it('is 11-15 when not given', () => {
    expect(parseTimeframe('Hàng năm', {}).schedule).toEqual({
      kind: 'yearly',
      due: '11-15',
    });
  });
});

describe('parseTimeframe: never throws', () => {
  it.each(['////', '----', '2023-', '-2023', 'quý', 'tháng', 'ngày', '99999999', '31/12/2024/2025', '((( )))'])(
    '%j',
    (phrase) => {
      const parsed = parseTimeframe(phrase);
      if (parsed.schedule.kind === 'unparsed') expect(parsed.flags.length).toBeGreaterThan(0);
    },
  );
});

describe('inPlanYear: a one-year plan’s undated periods', () => {
  const inYear = (raw: string) => inPlanYear(raw, parseTimeframe(raw).schedule, 2025);
  it('reads a day or period without a year or cadence as that year’s, once', () => {
    expect(inYear('6 tháng đầu năm')).toEqual({ kind: 'once', due: '2025-06-30' });
    expect(inYear('Tháng 6')).toEqual({ kind: 'once', due: '2025-06-30' });
    expect(inYear('Cuối năm')).toEqual({ kind: 'once', due: '2025-12-31' });
    expect(inYear('Quý III')).toEqual({ kind: 'once', due: '2025-09-30' });
  });
  it('leaves what repeats, or names its years, as read', () => {
    expect(inYear('Trước 30/6 hằng năm')).toEqual({ kind: 'yearly', due: '06-30' });
    expect(inYear('Hằng năm (trước 15/12)')).toEqual({ kind: 'yearly', due: '12-15' });
    expect(inYear('Định kỳ 6 tháng')).toMatchObject({ kind: 'every', months: 6 });
    expect(inYear('2025 - 2030')).toMatchObject({ kind: 'yearly', from: 2025, to: 2030 });
    expect(inYear('Thường xuyên').kind).toBe('ongoing');
    expect(inYear('Tháng 6/2026')).toEqual({ kind: 'once', due: '2026-06-30' });
  });
});
