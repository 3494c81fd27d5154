import type { FastifyInstance } from 'fastify';
import { dateTime } from '#root/lib/format.js';
import { UserError } from '#root/errors/index.js';
import { auditActions, listAudit } from '#root/services/audit-log.js';
import { auditNames } from '#root/services/audit-names.js';
import { adminOf, messageIn, sendPage } from '../admin.js';
import { describeAudit } from '../history.js';
import { html } from '../html.js';
import { isWebKey, webWords } from '../words.js';
import type { WebDeps } from '../server.js';

/** Rows a phone shows of a page of the log (the stylesheet's .phone-15 hides the rest there). */
export const PHONE_ROWS = 15;

type Query = { actor?: string; action?: string; from?: string; to?: string; before?: string };
const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

/** Administrators' pages: the organisation's audit log, newest first, filtered and paged. */
export function registerAuditPages(scope: FastifyInstance, deps: WebDeps): void {
  scope.get<{ Querystring: Query }>('/audit', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('audit', a.lang);
    const q = {
      actor: text(req.query.actor).slice(0, 200),
      action: text(req.query.action).slice(0, 100),
      from: text(req.query.from),
      to: text(req.query.to),
      before: text(req.query.before),
    };
    const actions = await auditActions(deps.db, a.orgId);
    let result: Awaited<ReturnType<typeof listAudit>> | null = null;
    let error: string | null = null;
    try {
      result = await listAudit(deps.db, a.orgId, {
        ...(q.actor ? { actor: q.actor } : {}),
        ...(q.action ? { action: q.action } : {}),
        ...(q.from ? { from: q.from } : {}),
        ...(q.to ? { to: q.to } : {}),
        ...(q.before ? { before: q.before } : {}),
      });
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      error = messageIn(e, a.lang);
    }
    // Contacts acting themselves are logged by id; their names read better.
    const contactIds = [
      ...new Set(
        (result?.rows ?? []).flatMap((r) => (/^contact:([0-9a-f-]{36})$/.exec(r.actor)?.[1] ? [r.actor.slice(8)] : [])),
      ),
    ];
    const names = new Map(
      contactIds.length
        ? (
            await deps.db.contact.findMany({
              where: { orgId: a.orgId, id: { in: contactIds } },
              select: { id: true, name: true },
            })
          ).map((c) => [`contact:${c.id}`, c.name])
        : [],
    );
    // Who did what to which thing, in words and with names (the row's codes and data stay below, folded).
    const words = result ? await auditNames(deps.db, a.orgId, result.rows, a.lang) : null;
    const filters = Object.fromEntries(Object.entries(q).filter(([k, v]) => v && k !== 'before'));
    const link = (extra: Record<string, string>) =>
      `/admin/audit?${new URLSearchParams({ ...filters, ...extra }).toString()}`;
    // A phone shows the page's first PHONE_ROWS rows (the stylesheet's .phone-15) and continues from there.
    const rows = result?.rows ?? [];
    const phoneNext =
      rows.length > PHONE_ROWS ? rows[PHONE_ROWS - 1]!.id.toString() : rows.length ? result?.next : null;
    // The actions the program writes have a name (`actionLabel.<action>`); others are shown as they are.
    const label = (action: string) => {
      const key = `actionLabel.${action}`;
      return isWebKey('audit', key) ? t(key) : null;
    };
    return sendPage(req, reply, {
      status: error ? 400 : 200,
      error,
      title: t('auditLog'),
      body: html`<h1>${t('changeLog')}</h1>
<form method="get" action="/admin/audit" class="row">
<label>${t('actor')}<br><input type="text" name="actor" value="${q.actor}" placeholder="web:, cli:, contact:…"></label>
<label>${t('action')}<br><select name="action"><option value="">${t('all')}</option>
${actions.map((x) => html`<option value="${x}"${x === q.action ? html` selected` : ''}>${label(x) ? `${label(x)} (${x})` : x}</option>`)}</select></label>
<label>${t('from')}<br><input type="date" name="from" value="${q.from}"></label>
<label>${t('to')}<br><input type="date" name="to" value="${q.to}"></label>
<button type="submit">${t('filter')}</button> <a href="/admin/audit">${t('clear')}</a></form>
${
  result
    ? result.rows.length
      ? html`<table class="stack log"><thead><tr><th>${t('when')}</th><th>${t('whatDone')}</th><th>${t('technicalDetails')}</th></tr></thead><tbody class="phone-15">
${result.rows.map(
  (
    r,
  ) => html`<tr id="a${r.id.toString()}"><td class="nowrap when" data-label="">${dateTime(r.createdAt, result.timeZone)}</td><td data-label="" class="what">${describeAudit(r, words!, a.lang)}</td>
<td data-label="" class="tech"><details><summary>${t('details')}</summary>${names.get(r.actor) ? html`${names.get(r.actor)}<br><span class="muted">${r.actor}</span>` : r.actor}<br>
${label(r.action) ? html`${label(r.action)}<br><span class="muted">${r.action}</span>` : r.action}<br>${r.entity}${r.entityId ? html`<br><span class="muted">${r.entityId}</span>` : ''}
${r.data === null ? '' : html`<br><code class="code-wrap">${JSON.stringify(r.data)}</code>`}</details></td></tr>`,
)}</tbody></table>`
      : html`<p class="muted">${t('noRows')}</p>`
    : ''
}
<p>${q.before ? html`<a href="${link({})}">${t('newest')}</a> · ` : ''}${result?.next ? html`<span class="wide-only"><a href="${link({ before: result.next })}">${t('older')} →</a></span>` : ''}${phoneNext ? html`<span class="phone-only"><a href="${link({ before: phoneNext })}">${t('moreOlder')} →</a></span>` : ''}</p>`,
    });
  });
}
