/**
 * The `{{name}}` placeholders of the locale files' texts (chat words, the web's and the services'):
 * how they are listed and filled, in one place.
 */

const PLACEHOLDER = /\{\{(\w+)\}\}/g;

/** The placeholders a text uses, in order of first use. */
export const placeholdersOf = (text: string): string[] => [
  ...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1]!)),
];

/**
 * A text with each placeholder replaced by `valueOf(name)`, in one pass: a value's own braces (a
 * template's `{{tên}}`) are not filled again. A value the caller forgot (`undefined`) reads "…",
 * never "undefined". Most texts have none: they are returned without a replace.
 */
export function fillPlaceholders(text: string, valueOf: (name: string) => string | undefined): string {
  if (!text.includes('{{')) return text;
  return text.replace(PLACEHOLDER, (_, name: string) => valueOf(name) ?? '…');
}
