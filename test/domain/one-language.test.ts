import { describe, expect, it } from 'vitest';
import { inBothLanguages, oneLanguage } from '#root/errors/index.js';

/** "vi / en" texts (import flags, older errors) split for a page in one language. */
describe('oneLanguage', () => {
  it('splits at the last " / " between the languages', () => {
    const both = inBothLanguages({ vi: 'Thiếu tên nhiệm vụ', en: 'the duty has no title' });
    expect(oneLanguage(both, 'vi')).toBe('Thiếu tên nhiệm vụ');
    expect(oneLanguage(both, 'en')).toBe('The duty has no title');
  });

  it('does not split at a " / " quoted «…» from a document', () => {
    const both = inBothLanguages({
      vi: 'Không hiểu thời hạn: «6 tháng / lần / quý»',
      en: 'The timeframe is not understood: «6 tháng / lần / quý»',
    });
    expect(oneLanguage(both, 'vi')).toBe('Không hiểu thời hạn: «6 tháng / lần / quý»');
    expect(oneLanguage(both, 'en')).toBe('The timeframe is not understood: «6 tháng / lần / quý»');
    // One language only, its " / " quoted: shown as it is.
    expect(oneLanguage('Không hiểu thời hạn «a / b»', 'en')).toBe('Không hiểu thời hạn «a / b»');
  });

  it('falls back to the last " / " when the quotes are not paired', () => {
    expect(oneLanguage('Hàng «a / b / Row «a', 'vi')).toBe('Hàng «a / b');
    expect(oneLanguage('Hàng «a / b / row «a', 'en')).toBe('Row «a');
  });

  it('leaves a text without " / " as it is', () => {
    expect(oneLanguage('Không hiểu thời hạn', 'en')).toBe('Không hiểu thời hạn');
  });
});
