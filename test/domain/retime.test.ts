import { describe, expect, it } from 'vitest';
import { UserError } from '#root/errors/index.js';
import { retime } from '#root/services/plans.js';

/**
 * A duty's timeframe fixed by an administrator (the review page, the duty page, `dondoc duties
 * fix --timeframe`) and still not usable: the refusal says what is wrong once, in each language.
 */
describe('a timeframe fix refused', () => {
  const refusal = (phrase: string) => {
    try {
      retime(phrase, [], '11-15');
    } catch (error) {
      expect(error).toBeInstanceOf(UserError);
      return (error as UserError).words!;
    }
    throw new Error(`«${phrase}» was accepted`);
  };
  /** Each sentence of a text, and each «…» quote in it, at most once. */
  const saidOnce = (text: string) => {
    const quotes = text.match(/«[^»]*»/g) ?? [];
    expect(new Set(quotes).size, text).toBe(quotes.length);
    expect(text, text).not.toMatch(/not understood[\s\S]*not understood|hiểu thời hạn[\s\S]*hiểu thời hạn/i);
  };

  it('a phrase not understood: one sentence and examples', () => {
    const words = refusal('khi nào rảnh');
    expect(words).toEqual({
      vi: 'Vẫn chưa hiểu thời hạn «khi nào rảnh». Hãy viết theo dạng như «trước ngày 15/11/2026», «hằng quý» hoặc «năm 2026».',
      en: 'The timeframe «khi nào rảnh» is still not understood. Write it in a form such as «trước ngày 15/11/2026», «hằng quý» or «năm 2026».',
    });
    saidOnce(words.vi);
    saidOnce(words.en);
  });

  it('a date that does not exist, or a year cut short: what is wrong with it', () => {
    expect(refusal('Trước ngày 31/02/2026')).toEqual({
      vi: 'Ngày không hợp lệ: 31/02/2026.',
      en: 'Not a valid date in the timeframe: 31/02/2026.',
    });
    const year = refusal('Trước ngày 15/11/26');
    expect(year.vi).toMatch(/^Thời hạn «Trước ngày 15\/11\/26»: năm «26» phải viết đủ 4 chữ số\.$/);
    expect(year.en).toMatch(
      /^The timeframe «Trước ngày 15\/11\/26»: the year «26» must be written with all 4 digits\.$/,
    );
    for (const w of [year.vi, year.en]) saidOnce(w);
  });

  it('a phrase understood is taken', () => {
    expect(retime('Trước ngày 30/6 hằng năm', [], '11-15').schedule).toMatchObject({ kind: 'yearly', due: '06-30' });
  });
});
