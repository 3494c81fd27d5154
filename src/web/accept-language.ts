import type { Lang } from '#root/domain/wording.js';

/**
 * The language of a page shown to someone we do not know (the email link's error pages): what their
 * browser asks for in `Accept-Language` (RFC 9110 §12.5.4). Vietnamese unless the browser prefers
 * English to Vietnamese: English at a higher weight ("en-GB,en;q=0.9"), or at the same weight but
 * listed first ("en, vi"), or English only. A header without either language, or none, is
 * Vietnamese; so is English refused with "q=0".
 */
export function langOfAcceptLanguage(header: string | string[] | undefined): Lang {
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  // The best weight each language is given, and where it was first given that weight.
  const best: Record<Lang, { q: number; at: number }> = { vi: { q: 0, at: Infinity }, en: { q: 0, at: Infinity } };
  text
    .slice(0, 1000)
    .split(',')
    .forEach((entry, at) => {
      const [tag = '', ...params] = entry.trim().split(';');
      const primary = tag.trim().toLowerCase().split('-')[0];
      if (primary !== 'vi' && primary !== 'en') return;
      // A weight that is not one ("q=abc", "q=2") makes the entry malformed: it is passed over.
      const weight = params.find((p) => /^\s*q\s*=/i.test(p));
      const q = weight === undefined ? 1 : Number(/^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/i.exec(weight)?.[1] ?? NaN);
      if (!(q >= 0 && q <= 1)) return;
      if (q > best[primary].q) best[primary] = { q, at };
    });
  const { vi, en } = best;
  return en.q > vi.q || (en.q > 0 && en.q === vi.q && en.at < vi.at) ? 'en' : 'vi';
}

/** A language asked for in a query (`?lang=en`), which overrides the browser's; undefined for none or another. */
export const langOfQuery = (value: unknown): Lang | undefined => (value === 'en' || value === 'vi' ? value : undefined);
