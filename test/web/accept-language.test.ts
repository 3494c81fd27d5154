import { describe, expect, it } from 'vitest';
import { langOfAcceptLanguage, langOfQuery } from '#root/web/accept-language.js';

/** The email link's error pages speak the browser's language when no contact is known. */
describe('the language a browser prefers', () => {
  it('is English when the browser puts English before Vietnamese, or asks for English only', () => {
    for (const header of [
      'en-US,en;q=0.9',
      'en',
      'EN-gb',
      'en-GB,en;q=0.9,vi;q=0.8',
      'fr-FR,fr;q=0.9,en;q=0.8',
      'vi;q=0.5,en;q=0.8',
      'en, vi',
      ['en-US', 'vi;q=0.3'],
    ])
      expect(langOfAcceptLanguage(header), String(header)).toBe('en');
  });

  it('is Vietnamese when the browser prefers it, names neither, refuses English, or says nothing', () => {
    for (const header of [
      'vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7',
      'vi',
      'vi, en',
      'en;q=0.5,vi;q=0.9',
      'fr-FR,fr;q=0.9',
      '*',
      'en;q=0',
      'en;q=abc',
      '',
      undefined,
      'x'.repeat(5000),
    ])
      expect(langOfAcceptLanguage(header), String(header).slice(0, 60)).toBe('vi');
  });

  it('reads ?lang= as vi or en only', () => {
    expect(langOfQuery('en')).toBe('en');
    expect(langOfQuery('vi')).toBe('vi');
    for (const other of ['EN', 'fr', '', undefined, ['en']]) expect(langOfQuery(other)).toBeUndefined();
  });
});
