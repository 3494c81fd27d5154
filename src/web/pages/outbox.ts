import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { stateInWords } from '#root/domain/wording.js';
import { dateTime } from '#root/lib/format.js';
import { NotFoundError, UserError } from '#root/errors/index.js';
import { answerable, answerOutbox, getOutboxMessage, listOutbox, outboxContacts } from '#root/services/outbox.js';
import { adminOf, csrfField, field, redirectWith, sendPage } from '../admin.js';
import { html, translator } from '../html.js';
import type { WebDeps } from '../server.js';

type T = ReturnType<typeof translator>;

/** Messages per page of the outbox. */
const PAGE = 50;
/** Messages a phone shows of a page (the stylesheet's .phone-8 hides the rest there). */
const PHONE_ROWS = 8;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MESSAGE_ID = /^\d{1,18}$/;

const KIND_LABEL: Record<string, [string, string]> = {
  lead: ['Nhắc trước hạn', 'Before the due date'],
  due: ['Đúng hạn', 'Due day'],
  overdue: ['Quá hạn', 'Overdue'],
  escalation: ['Báo cáo lên', 'Escalation'],
  cooperating: ['Phối hợp', 'Cooperating'],
};

function notFound(req: FastifyRequest, reply: FastifyReply, t: T) {
  return sendPage(req, reply, {
    status: 404,
    title: t('Không tìm thấy', 'Not found'),
    body: html`<h1>${t('Không có thư này trong hộp thư thử', 'No such message in the sandbox outbox')}</h1><p><a href="/admin/outbox">${t('Về hộp thư thử', 'Back to the outbox')}</a></p>`,
  });
}

/** Administrators' pages: the sandbox outbox, read and answered as the contact (as `dondoc outbox` does). */
export function registerOutboxPages(scope: FastifyInstance, deps: WebDeps): void {
  const zoneOf = async (orgId: string) =>
    (await deps.db.organisation.findUniqueOrThrow({ where: { id: orgId }, select: { timeZone: true } })).timeZone;

  scope.get<{ Querystring: { contact?: string; before?: string } }>('/outbox', async (req, reply) => {
    const a = adminOf(req);
    const t = translator(a.lang);
    const contact = typeof req.query.contact === 'string' ? req.query.contact : '';
    const before = typeof req.query.before === 'string' ? req.query.before : '';
    if (contact && !UUID.test(contact)) throw new UserError(t('Người nhận không hợp lệ.', 'Invalid recipient.'));
    if (before && !MESSAGE_ID.test(before))
      throw new UserError(t('Con trỏ trang không hợp lệ.', 'Invalid page cursor.'));
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
      title: t('Hộp thư thử', 'Sandbox outbox'),
      body: html`<h1>${t('Hộp thư thử (kênh sandbox)', 'Sandbox outbox')}</h1>
<p>${t(
        'Những tin kênh sandbox “đã gửi”, mới nhất trước. Mở một tin để trả lời thay người nhận (như họ trả lời trong chat).',
        'What the sandbox channel “sent”, newest first. Open a message to answer as its recipient (as they would in chat).',
      )}</p>
<form method="get" action="/admin/outbox" class="row">
<label>${t('Người nhận', 'Recipient')}<br><select name="contact"><option value="">${t('— tất cả —', '— all —')}</option>
${contacts.map((c) => html`<option value="${c.id}"${c.id === contact ? html` selected` : ''}>${c.name} (${c.unit.name})</option>`)}</select></label>
<button type="submit">${t('Lọc', 'Filter')}</button></form>
${
  page.length
    ? html`<table class="stack"><thead><tr><th>#</th><th>${t('Lúc', 'When')}</th><th>${t('Người nhận', 'Recipient')}</th><th>${t('Đơn vị', 'Unit')}</th><th>${t('Nhiệm vụ', 'Duty')}</th><th>${t('Nội dung', 'Text')}</th><th>${t('Trả lời', 'Answer')}</th></tr></thead><tbody class="phone-8">
${page.map(
  (
    m,
  ) => html`<tr><td data-label="" class="half"><a href="/admin/outbox/${m.id.toString()}">#${m.id.toString()}</a></td><td data-label="" class="half">${dateTime(m.createdAt, zone)}</td><td data-label="${t('Người nhận', 'Recipient')}" class="half">${m.contact.name}</td><td data-label="${t('Đơn vị', 'Unit')}" class="half">${m.contact.unit.name}</td>
<td data-label="${t('Nhiệm vụ', 'Duty')}" class="duty">${m.reminder ? html`${m.reminder.obligation.duty.code}<br><span class="muted">${t(...(KIND_LABEL[m.reminder.kind] ?? [m.reminder.kind, m.reminder.kind]))}</span>` : html`<span class="muted">${t('tổng hợp', 'digest')}</span>`}</td>
<td data-label=""><pre class="msg-body">${m.body}</pre></td>
<td data-label="${t('Trả lời', 'Answer')}">${m.answer ? html`${m.answer}` : answerable(m) ? html`<a href="/admin/outbox/${m.id.toString()}">${t('Trả lời…', 'Answer…')}</a>` : ''}</td></tr>`,
)}</tbody></table>`
    : html`<p class="muted">${t('Chưa có tin nào.', 'No messages yet.')}</p>`
}
<p>${before ? html`<a href="${q({})}">${t('Mới nhất', 'Newest')}</a> · ` : ''}${older ? html`<span class="wide-only"><a href="${q({ before: older })}">${t('Cũ hơn', 'Older')} →</a></span>` : ''}${phoneOlder ? html`<span class="phone-only"><a href="${q({ before: phoneOlder })}">${t('Xem tiếp (cũ hơn)', 'More (older)')} →</a></span>` : ''}</p>`,
    });
  });

  scope.get<{ Params: { id: string } }>('/outbox/:id', async (req, reply) => {
    const a = adminOf(req);
    const t = translator(a.lang);
    if (!MESSAGE_ID.test(req.params.id)) return notFound(req, reply, t);
    const m = await getOutboxMessage(deps.db, a.orgId, req.params.id).catch((error: unknown) => {
      if (error instanceof NotFoundError) return null;
      throw error;
    });
    if (!m) return notFound(req, reply, t);
    const zone = await zoneOf(a.orgId);
    const o = m.reminder?.obligation;
    return sendPage(req, reply, {
      title: t(`Thư #${m.id}`, `Message #${m.id}`),
      body: html`<p><a href="/admin/outbox">← ${t('Hộp thư thử', 'Sandbox outbox')}</a></p>
<h1>${t('Thư', 'Message')} #${m.id.toString()}: ${m.subject}</h1>
<table><tbody>
<tr><th>${t('Người nhận', 'Recipient')}</th><td>${m.contact.name} (${m.contact.unit.name})</td></tr>
<tr><th>${t('Lúc gửi', 'Sent')}</th><td>${dateTime(m.createdAt, zone)}</td></tr>
<tr><th>${t('Nhiệm vụ', 'Duty')}</th><td>${o ? html`${o.duty.code}. ${o.duty.title} <span class="muted">(${t(...(KIND_LABEL[m.reminder!.kind] ?? [m.reminder!.kind, m.reminder!.kind]))}; ${t('nghĩa vụ', 'obligation')} ${t(stateInWords(o.status, 'vi'), stateInWords(o.status, 'en'))})</span>` : t('thư tổng hợp', 'digest')}</td></tr>
${m.answer ? html`<tr><th>${t('Đã trả lời', 'Answered')}</th><td>${m.answer} <span class="muted">${m.answeredAt ? dateTime(m.answeredAt, zone) : ''}</span></td></tr>` : ''}
</tbody></table>
<div class="card"><pre class="pre-wrap m0">${m.body}</pre></div>
${
  answerable(m)
    ? html`<form method="post" action="/admin/outbox/${m.id.toString()}/answer" class="card">${csrfField(req)}
<h2>${t(`Trả lời như ${m.contact.name}`, `Answer as ${m.contact.name}`)}</h2>
<p class="muted">${t('Xác nhận sẽ được ghi là của người nhận (như khi họ trả lời “xong”), và nhật ký ghi anh/chị đã trả lời thay.', 'The confirmation is recorded as the recipient’s (as if they answered “xong”); the audit log records that you answered for them.')}</p>
<p class="row"><label>${t('Trả lời', 'Answer')}<br><select name="answer"><option value="xong">xong — ${t('đã hoàn thành', 'done')}</option></select></label>
<label>${t('Ghi chú (không bắt buộc)', 'Note (optional)')}<br><input type="text" name="note" maxlength="1000" class="w22"></label>
<button type="submit">${t('Gửi trả lời', 'Send the answer')}</button></p></form>`
    : html`<p class="muted">${t('Thư này không hỏi xác nhận.', 'This message asks for no confirmation.')}</p>`
}`,
    });
  });

  scope.post<{ Params: { id: string } }>('/outbox/:id/answer', async (req, reply) => {
    const a = adminOf(req);
    const t = translator(a.lang);
    if (!MESSAGE_ID.test(req.params.id)) return notFound(req, reply, t);
    const answer = field(req.body, 'answer');
    const note = field(req.body, 'note').slice(0, 1000) || null;
    try {
      const r = await answerOutbox(deps.db, a.orgId, req.params.id, answer, note, deps.clock.now(), a.actor);
      return redirectWith(
        reply,
        `/admin/outbox/${req.params.id}`,
        r.status === 'confirmed'
          ? t(
              `Đã xác nhận hoàn thành nhiệm vụ ${r.duty.code}; hủy ${r.cancelledReminders} nhắc nhở đang chờ.`,
              `Duty ${r.duty.code} confirmed; ${r.cancelledReminders} pending reminders cancelled.`,
            )
          : t(`Nhiệm vụ ${r.duty.code} đã được xác nhận trước đó.`, `Duty ${r.duty.code} was already confirmed.`),
      );
    } catch (error) {
      if (error instanceof NotFoundError) return notFound(req, reply, t);
      throw error;
    }
  });
}
