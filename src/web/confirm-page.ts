/** The small pages of the one-click confirmation link, in the language of the contact it was sent to. */
import type { Lang } from '#root/domain/wording.js';
import { say, type ChatKey, type ChatParams } from '#root/messages/chat-words.js';

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** The confirmation pages' stylesheet, served at CONFIRM_STYLESHEET_PATH (no inline styles: the CSP allows none). */
export const CONFIRM_STYLE = `body{font-family:system-ui,Arial,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#111;line-height:1.5}
button{font-size:1.1rem;padding:.7rem 1.2rem;background:#15803d;color:#fff;border:0;border-radius:.4rem;cursor:pointer}
.en{color:#555;font-size:.9rem}.box{border:1px solid #ddd;border-radius:.5rem;padding:1rem}.lang{margin-top:2rem;font-size:.9rem}`;
export const CONFIRM_STYLESHEET_PATH = '/static/confirm.css';

function page(title: string, body: string, lang: Lang = 'vi'): string {
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${esc(title)}</title>
<link rel="stylesheet" href="${CONFIRM_STYLESHEET_PATH}"></head>
<body>${body}</body></html>`;
}

/** A page of one heading and one sentence, in the link pages' look (a contact's browser). */
export const messagePage = (title: string, text: string, lang: Lang): string =>
  page(title, `<h1>${esc(title)}</h1><p>${esc(text)}</p>`, lang);

export interface ObligationSummary {
  unit: string;
  dutyCode: string;
  dutyTitle: string;
  planCode: string;
  due: string;
  contact: string;
}

/** A text of the link's pages (locales/vi.json, en.json, `confirm.*`), escaped for HTML. */
const w = (lang: Lang, key: ChatKey, params: ChatParams = {}) => esc(say(lang, key, params));

const summary = (o: ObligationSummary, lang: Lang) =>
  `<div class="box"><p><b>${esc(o.unit)}</b> — ${w(lang, 'confirm.duty')} <b>${esc(o.dutyCode)}</b>: ${esc(o.dutyTitle)}</p>
<p>${w(lang, 'confirm.plan')} ${esc(o.planCode)} · ${w(lang, 'confirm.due')} ${esc(o.due)}</p></div>`;

/** GET: shows what would be confirmed; only the POST of this form confirms (link previews do not). */
export function confirmForm(o: ObligationSummary, action: string, lang: Lang = 'vi'): string {
  return page(
    say(lang, 'confirm.title'),
    `<h1>${w(lang, 'confirm.title')}</h1>${summary(o, lang)}
<form method="post" action="${esc(action)}">
<p><label>${w(lang, 'confirm.note')}<br><textarea name="note" rows="3" cols="40" maxlength="1000"></textarea></label></p>
<button type="submit">${w(lang, 'confirm.doneButton')}</button></form>
<p class="en">${w(lang, 'confirm.confirmingAs', { contact: o.contact })}</p>`,
    lang,
  );
}

/** One item of the email that carried the link, as it stands now; `url` the signed link of an open one. */
export interface DayItem {
  code: string;
  title: string;
  due: string;
  open: boolean;
  url?: string;
}

/**
 * The items of the email the link came in, after the confirmation, in the contact's language: each
 * done one marked, each open one with its own link (an email cannot change once sent; this page is
 * its updated list). Nothing for an email of one item.
 */
export function dayListHtml(items: readonly DayItem[], lang: Lang): string {
  if (items.length < 2) return '';
  const rows = items
    .map((i) => {
      const what = esc(say(lang, 'email.item', { code: i.code, title: i.title, due: i.due }));
      return i.open && i.url
        ? `<li>${what} — <a href="${esc(i.url)}">${esc(say(lang, 'email.confirmLink'))}</a></li>`
        : `<li>${what} — ${esc(say(lang, 'email.itemDone'))}</li>`;
    })
    .join('\n');
  const head = say(lang, 'email.listHead', { count: items.filter((i) => i.open).length });
  return `<h2>${esc(head)}</h2>\n<ul>${rows}</ul>`;
}

export function confirmedPage(
  o: ObligationSummary,
  already: boolean,
  items: readonly DayItem[] = [],
  lang: Lang = 'vi',
): string {
  return page(
    say(lang, 'confirm.confirmedTitle'),
    (already
      ? `<h1>${w(lang, 'confirm.alreadyConfirmed')}</h1>${summary(o, lang)}`
      : `<h1>${w(lang, 'confirm.recorded')}</h1><p class="en">${w(lang, 'confirm.recordedMore')}</p>${summary(o, lang)}`) +
      dayListHtml(items, lang),
    lang,
  );
}

/** Why a link's page cannot be shown. */
export type LinkProblem = 'malformed' | 'forged' | 'expired' | 'gone' | 'not-allowed';

/**
 * The words of a link that cannot be used, a heading and a sentence (locales/vi.json, en.json,
 * `link.*`). A malformed link and a forged one read the same to the person: it may have been cut
 * when copied. `withUnit` names the unit responsible for the duty, when it is known.
 */
const LINK_PROBLEM_KEYS: Record<LinkProblem, { title: ChatKey; text: ChatKey; withUnit?: ChatKey }> = {
  malformed: { title: 'link.invalidTitle', text: 'link.invalidText' },
  forged: { title: 'link.invalidTitle', text: 'link.invalidText' },
  expired: { title: 'link.expiredTitle', text: 'link.expiredText' },
  gone: { title: 'link.goneTitle', text: 'link.goneText' },
  'not-allowed': { title: 'link.notAllowedTitle', text: 'link.notAllowedText', withUnit: 'link.notAllowedUnitText' },
};

/** Each language's own name, for the link to the page in it. */
const LANGUAGE_NAME: Record<Lang, string> = { vi: 'Tiếng Việt', en: 'English' };

/**
 * The page of a link that cannot be used, in one language: the contact's when the link names one
 * we know, else the browser's (the caller chooses). `unit` (for `not-allowed`) is the unit
 * responsible for the duty; `otherLanguage` is the address of this page in the other language,
 * offered as a link named in that language ("English", "Tiếng Việt").
 */
export function linkErrorPage(
  reason: LinkProblem,
  options: { lang: Lang; unit?: string; otherLanguage?: string },
): string {
  const { lang, unit, otherLanguage } = options;
  const keys = LINK_PROBLEM_KEYS[reason];
  const title = say(lang, keys.title);
  const text = unit && keys.withUnit ? say(lang, keys.withUnit, { unit }) : say(lang, keys.text);
  const other: Lang = lang === 'en' ? 'vi' : 'en';
  const switchTo = otherLanguage
    ? `<p class="lang"><a href="${esc(otherLanguage)}" hreflang="${other}" lang="${other}">${LANGUAGE_NAME[other]}</a></p>`
    : '';
  return page(title, `<h1>${esc(title)}</h1><p>${esc(text)}</p>${switchTo}`, lang);
}

/** One of the unit's indicators on the link's page: what to type and what it reported already. */
export interface LinkIndicator {
  id: string;
  ref: string;
  title: string;
  rate: boolean;
  target: string | null;
  reported: string | null;
}

/**
 * The unit's indicators of the year, under the confirmation (the yearly report's reminder links
 * here): one field per indicator, a rate as numerator/denominator; empty fields change nothing.
 */
export function indicatorForm(
  year: number,
  items: LinkIndicator[],
  action: string,
  problems: string[] = [],
  lang: Lang = 'vi',
): string {
  if (!items.length) return '';
  const rows = items
    .map(
      (
        i,
      ) => `<p><label><b>${esc(i.ref)}.</b> ${esc(i.title)}${i.target ? ` (${w(lang, 'confirm.target', { target: i.target })})` : ''}${
        i.reported ? `<br><span class="en">${w(lang, 'confirm.reported', { value: i.reported })}</span>` : ''
      }<br><input type="text" name="value_${esc(i.id)}" inputmode="decimal" placeholder="${i.rate ? '45/50' : '12'}" size="10">
<input type="text" name="note_${esc(i.id)}" maxlength="1000" placeholder="${w(lang, 'confirm.valueNote')}" size="24"></label></p>`,
    )
    .join('\n');
  return `<h2>${w(lang, 'confirm.indicatorsOf', { year })}</h2><p class="en">${w(lang, 'confirm.indicatorsHow')}</p>
${problems.length ? `<div class="box">${problems.map((p) => `<p>${esc(p)}</p>`).join('')}<p class="en">${w(lang, 'confirm.nothingRecorded')}</p></div>` : ''}
<form method="post" action="${esc(action)}">${rows}
<button type="submit">${w(lang, 'confirm.sendValues')}</button></form>`;
}

export function indicatorsSavedPage(o: ObligationSummary, lines: string[], lang: Lang = 'vi'): string {
  return page(
    say(lang, 'confirm.savedTitle'),
    `<h1>${w(lang, 'confirm.saved')}</h1>${summary(o, lang)}<ul>${lines.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>`,
    lang,
  );
}

/** The confirmation form, or the page saying it was confirmed, followed by the indicator form. */
export function withIndicators(pageHtml: string, form: string): string {
  return form ? pageHtml.replace('</body></html>', `${form}</body></html>`) : pageHtml;
}
