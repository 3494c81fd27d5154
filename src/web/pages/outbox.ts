import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { stateInWords } from '#root/domain/wording.js';
import { dateTime } from '#root/lib/format.js';
import { NotFoundError, UserError } from '#root/errors/index.js';
import { answerable, answerOutbox, getOutboxMessage, listOutbox, outboxContacts } from '#root/services/outbox.js';
import { adminOf, csrfField, field, redirectWith, sendPage } from '../admin.js';
import { html } from '../html.js';
import { isWebKey, webWords, type WebT } from '../words.js';
import type { WebDeps } from '../server.js';

type T = WebT<'outbox'>;

/** Messages per page of the outbox. */
const PAGE = 50;
/** Messages a phone shows of a page (the stylesheet's .phone-8 hides the rest there). */
const PHONE_ROWS = 8;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MESSAGE_ID = /^\d{1,18}$/;
/** A reminder's kind in words (`kind.<kind>`), or as it is stored when it has none. */
const kindIn = (t: T, kind: string) => {
  const key = `kind.${kind}`;
  return isWebKey('outbox', key) ? t(key) : kind;
};

function notFound(req: FastifyRequest, reply: FastifyReply, t: T) {
  return sendPage(req, reply, {
    status: 404,
    title: t('notFound'),
    body: html`<h1>${t('noSuchMessageSandbox')}</h1><p><a href="/admin/outbox">${t('backOutbox')}</a></p>`,
  });
}

/** Administrators' pages: the sandbox outbox, read and answered as the contact (as `dondoc outbox` does). */
export function registerOutboxPages(scope: FastifyInstance, deps: WebDeps): void {
  const zoneOf = async (orgId: string) =>
    (await deps.db.organisation.findUniqueOrThrow({ where: { id: orgId }, select: { timeZone: true } })).timeZone;

  scope.get<{ Querystring: { contact?: string; before?: string } }>('/outbox', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('outbox', a.lang);
    const contact = typeof req.query.contact === 'string' ? req.query.contact : '';
    const before = typeof req.query.before === 'string' ? req.query.before : '';
    if (contact && !UUID.test(contact)) throw new UserError(t('invalidRecipient'));
    if (before && !MESSAGE_ID.test(before)) throw new UserError(t('invalidPageCursor'));
    const [messages, contacts, zone] = await Promise.all([
      listOutbox(deps.db, a.orgId, {
        limit: PAGE + 1,
        ...(contact ? { contactId: contact } : {}),
        ...(before ? { before: BigInt(before) } : {}),
      }),
      outboxContacts(deps.db, a.orgId),
      zoneOf(a.orgId),
    ]);
    const page = messages.slice(0, PAGE);
    const older = messages.length > PAGE ? page[page.length - 1]!.id.toString() : null;
    // A phone shows the first PHONE_ROWS of the page (the stylesheet's .phone-8) and continues from there.
    const phoneOlder = page.length > PHONE_ROWS ? page[PHONE_ROWS - 1]!.id.toString() : older;
    const q = (extra: Record<string, string>) =>
      `/admin/outbox?${new URLSearchParams({ ...(contact ? { contact } : {}), ...extra }).toString()}`;
    return sendPage(req, reply, {
      title: t('sandboxOutbox'),
      body: html`<h1>${t('sandboxOutbox')}</h1>
<p>${t('whatSandboxChannelSent')}</p>
<form method="get" action="/admin/outbox" class="row">
<label>${t('recipient')}<br><select name="contact"><option value="">${t('all')}</option>
${contacts.map((c) => html`<option value="${c.id}"${c.id === contact ? html` selected` : ''}>${c.name} (${c.unit.name})</option>`)}</select></label>
<button type="submit">${t('filter')}</button></form>
${
  page.length
    ? html`<table class="stack"><thead><tr><th>#</th><th>${t('when')}</th><th>${t('recipient')}</th><th>${t('unit')}</th><th>${t('duty')}</th><th>${t('text')}</th><th>${t('answer')}</th></tr></thead><tbody class="phone-8">
${page.map(
  (
    m,
  ) => html`<tr><td data-label="" class="half"><a href="/admin/outbox/${m.id.toString()}">#${m.id.toString()}</a></td><td data-label="" class="half">${dateTime(m.createdAt, zone)}</td><td data-label="${t('recipient')}" class="half">${m.contact.name}</td><td data-label="${t('unit')}" class="half">${m.contact.unit.name}</td>
<td data-label="${t('duty')}" class="duty">${m.reminder ? html`${m.reminder.obligation.duty.code}<br><span class="muted">${kindIn(t, m.reminder.kind)}</span>` : html`<span class="muted">${t('digest')}</span>`}</td>
<td data-label=""><pre class="msg-body">${m.body}</pre></td>
<td data-label="${t('answer')}">${m.answer ? html`${m.answer}` : answerable(m) ? html`<a href="/admin/outbox/${m.id.toString()}">${t('answerEllipsis')}</a>` : ''}</td></tr>`,
)}</tbody></table>`
    : html`<p class="muted">${t('noMessagesYet')}</p>`
}
<p>${before ? html`<a href="${q({})}">${t('newest')}</a> · ` : ''}${older ? html`<span class="wide-only"><a href="${q({ before: older })}">${t('older')} →</a></span>` : ''}${phoneOlder ? html`<span class="phone-only"><a href="${q({ before: phoneOlder })}">${t('moreOlder')} →</a></span>` : ''}</p>`,
    });
  });

  scope.get<{ Params: { id: string } }>('/outbox/:id', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('outbox', a.lang);
    if (!MESSAGE_ID.test(req.params.id)) return notFound(req, reply, t);
    const m = await getOutboxMessage(deps.db, a.orgId, req.params.id).catch((error: unknown) => {
      if (error instanceof NotFoundError) return null;
      throw error;
    });
    if (!m) return notFound(req, reply, t);
    const zone = await zoneOf(a.orgId);
    const o = m.reminder?.obligation;
    return sendPage(req, reply, {
      title: t('messageId', { id: m.id }),
      body: html`<p><a href="/admin/outbox">← ${t('sandboxOutbox')}</a></p>
<h1>${t('message')} #${m.id.toString()}: ${m.subject}</h1>
<table><tbody>
<tr><th>${t('recipient')}</th><td>${m.contact.name} (${m.contact.unit.name})</td></tr>
<tr><th>${t('sent')}</th><td>${dateTime(m.createdAt, zone)}</td></tr>
<tr><th>${t('duty')}</th><td>${o ? html`${o.duty.code}. ${o.duty.title} <span class="muted">(${kindIn(t, m.reminder!.kind)}; ${t('obligation')} ${stateInWords(o.status, a.lang)})</span>` : t('digestMessage')}</td></tr>
${m.answer ? html`<tr><th>${t('answered')}</th><td>${m.answer} <span class="muted">${m.answeredAt ? dateTime(m.answeredAt, zone) : ''}</span></td></tr>` : ''}
</tbody></table>
<div class="card"><pre class="pre-wrap m0">${m.body}</pre></div>
${
  answerable(m)
    ? html`<form method="post" action="/admin/outbox/${m.id.toString()}/answer" class="card">${csrfField(req)}
<h2>${t('answerName', { name: m.contact.name })}</h2>
<p class="muted">${t('confirmationRecordedRecipientIf')}</p>
<p class="row"><label>${t('answer')}<br><select name="answer"><option value="xong">xong — ${t('done')}</option></select></label>
<label>${t('noteOptional')}<br><input type="text" name="note" maxlength="1000" class="w22"></label>
<button type="submit">${t('sendAnswer')}</button></p></form>`
    : html`<p class="muted">${t('messageAsksNoConfirmation')}</p>`
}`,
    });
  });

  scope.post<{ Params: { id: string } }>('/outbox/:id/answer', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('outbox', a.lang);
    if (!MESSAGE_ID.test(req.params.id)) return notFound(req, reply, t);
    const answer = field(req.body, 'answer');
    const note = field(req.body, 'note').slice(0, 1000) || null;
    try {
      const r = await answerOutbox(deps.db, a.orgId, req.params.id, answer, note, deps.clock.now(), a.actor);
      return redirectWith(
        reply,
        `/admin/outbox/${req.params.id}`,
        r.status === 'confirmed'
          ? t('dutyConfirmed', { code: r.duty.code, cancelledReminders: r.cancelledReminders })
          : t('dutyCodeAlreadyConfirmed', { code: r.duty.code }),
      );
    } catch (error) {
      if (error instanceof NotFoundError) return notFound(req, reply, t);
      throw error;
    }
  });
}
