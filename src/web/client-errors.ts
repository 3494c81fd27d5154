import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Lang } from '#root/domain/wording.js';
import { say, type ChatKey } from '#root/messages/chat-words.js';
import { langOfAcceptLanguage } from './accept-language.js';
import { messagePage } from './confirm-page.js';
import { html, layout } from './html.js';

/**
 * Fastify's own 4xx answers outside the administrators' pages (which have their own handler,
 * src/web/admin.ts), as people see them: an unknown address (404), an address damaged when copied
 * (400 `FST_ERR_BAD_URL`, 414 `FST_ERR_MAX_PARAM_LENGTH`), a form too large (413) or of a kind
 * the server does not read (415, 400). A browser (it asks for `text/html`) gets a page in the
 * person's language; a program keeps Fastify's JSON as it was.
 */

/** The words of a 4xx, by its status and Fastify's code (locales/*.json, `http.*`). */
function wordsOf(status: number, code: string | undefined): { title: ChatKey; text: ChatKey } {
  if (code === 'FST_ERR_BAD_URL' || code === 'FST_ERR_MAX_PARAM_LENGTH' || status === 414)
    return { title: 'http.badUrlTitle', text: 'http.badUrlText' };
  if (status === 404) return { title: 'http.notFoundTitle', text: 'http.notFoundText' };
  if (status === 413) return { title: 'http.tooLargeTitle', text: 'http.tooLargeText' };
  if (status === 400 || status === 415) return { title: 'http.badRequestTitle', text: 'http.badRequestText' };
  return { title: 'http.otherTitle', text: 'http.otherText' };
}

/**
 * The language of a person the server may not know: the one they chose on the pages (the `lang`
 * cookie, an administrator's choice), else what their browser prefers (Vietnamese unless it
 * prefers English). The cookie is read from the header: a request refused before its hooks ran
 * (a damaged address) has no parsed cookies.
 */
export function personLang(req: FastifyRequest): Lang {
  const chosen = req.cookies?.lang ?? /(?:^|;\s*)lang=(vi|en)(?:;|$)/.exec(String(req.headers.cookie ?? ''))?.[1];
  if (chosen === 'en' || chosen === 'vi') return chosen;
  return langOfAcceptLanguage(req.headers['accept-language']);
}

/** Whether the request comes from a browser showing pages to a person (it asks for HTML). */
export const wantsPage = (req: FastifyRequest): boolean => /text\/html/i.test(String(req.headers.accept ?? ''));

/**
 * Answers a 4xx to a person with a page in their language: the link pages' look under `/c/` (a
 * contact following an email's link), the administrators' look elsewhere. Not for programs: the
 * caller keeps Fastify's answer for them ({@link wantsPage}).
 */
export function sendClientErrorPage(
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code?: string,
): FastifyReply {
  const lang = personLang(req);
  const words = wordsOf(status, code);
  const title = say(lang, words.title);
  const text = say(lang, words.text, { status });
  const page = req.url.startsWith('/c/')
    ? messagePage(title, text, lang)
    : layout({ title, lang, body: html`<h1>${title}</h1><p>${text}</p>` });
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('vary', 'Accept, Accept-Language, Cookie')
    .send(page);
}
