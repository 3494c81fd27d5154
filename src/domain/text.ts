/**
 * Text helpers for matching Vietnamese names and phrases: case, diacritics and spacing do not matter.
 */

/** Lower case, no diacritics (đ → d), punctuation folded to spaces, single spaces. */
export function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}/.-]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Unicode NFC and single spaces, for text shown to people. */
export function tidy(text: string): string {
  return text.normalize('NFC').replace(/\s+/g, ' ').trim();
}
