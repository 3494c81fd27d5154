import type { FastifyInstance } from 'fastify';
import { adminOf, csrfField, safeNext, sendPage } from '../admin.js';
import { html } from '../html.js';
import { webWords } from '../words.js';
import type { WebDeps } from '../server.js';

/**
 * The actions that ask first: the page's form goes (GET, changing nothing) to /admin/ask, which says
 * what will happen and posts it only on a second press. No script: the pages' policy allows none.
 * Only these actions (by path): a question never comes from the address. Each one's question and
 * button: `<key>.question`, `<key>.button` in locales/<lang>/ask.json.
 */
type AskKey = 'waive' | 'undo' | 'merge' | 'removeMember' | 'clearPolicy' | 'removeHoliday' | 'replaceCalendar';

const ASK: { path: RegExp; key: AskKey }[] = [
  { path: /^\/admin\/obligations\/[0-9a-f-]{36}\/waive$/i, key: 'waive' },
  { path: /^\/admin\/obligations\/[0-9a-f-]{36}\/undo$/i, key: 'undo' },
  { path: /^\/admin\/units\/[0-9a-f-]{36}\/merge$/i, key: 'merge' },
  { path: /^\/admin\/groups\/[0-9a-f-]{36}\/members\/[0-9a-f-]{36}\/remove$/i, key: 'removeMember' },
  { path: /^\/admin\/policies\/clear$/, key: 'clearPolicy' },
  { path: /^\/admin\/policies\/holidays\/remove$/, key: 'removeHoliday' },
  { path: /^\/admin\/units\/[0-9a-f-]{36}\/calendar\/replace$/i, key: 'replaceCalendar' },
];

/** Fields passed on to the action, as typed (the reason, the target…), never the token. */
const PASSED = ['reason', 'back', 'target', 'date', 'into'];

export function registerAskPages(scope: FastifyInstance, _deps: WebDeps): void {
  scope.get<{ Querystring: Record<string, string | undefined> }>('/ask', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('ask', a.lang);
    const action = typeof req.query.do === 'string' ? req.query.do : '';
    const ask = ASK.find((x) => x.path.test(action));
    if (!ask)
      return sendPage(req, reply, {
        status: 404,
        title: t('notFound'),
        body: html`<h1>${t('noSuchAction')}</h1><p><a href="/admin">${t('backStatusPage')}</a></p>`,
      });
    const fields = PASSED.flatMap((name) => {
      const v = req.query[name];
      return typeof v === 'string' ? [[name, v.slice(0, 1000)] as const] : [];
    });
    const reason = fields.find(([n]) => n === 'reason')?.[1];
    const back = safeNext(
      fields.find(([n]) => n === 'back')?.[1] ?? req.headers.referer?.replace(/^https?:\/\/[^/]+/, ''),
    );
    return sendPage(req, reply, {
      title: t('confirmAction'),
      body: html`<h1>${t('youSure')}</h1>
<div class="card"><p><strong>${t(`${ask.key}.question`)}</strong></p>
${reason !== undefined ? html`<p>${t('reason')}: «${reason}»</p>` : ''}
<form method="post" action="${action}" class="row">${csrfField(req)}${fields.map(([n, v]) => html`<input type="hidden" name="${n}" value="${v}">`)}
<button type="submit" class="danger">${t(`${ask.key}.button`)}</button> <a href="${back}">${t('noGoBack')}</a></form></div>`,
    });
  });
}
