import type { FastifyInstance } from 'fastify';
import { channelLabel } from '#root/channels/registry.js';
import { dateTime } from '#root/lib/format.js';
import { zonedDay } from '#root/domain/zoned-day.js';
import { messageIn, UserError } from '#root/errors/index.js';
import {
  PREVIEW_DEFAULT_DAYS as DEFAULT_DAYS,
  PREVIEW_MAX_DAYS,
  previewReminders,
  type PreviewRow,
} from '#root/services/preview.js';
import { adminOf, sendPage } from '../admin.js';
import { html, translator } from '../html.js';
import type { WebDeps } from '../server.js';

/** Rows shown at most: a quarter of a big organisation's reminders is tens of thousands. */
const SHOWN = 2_000;

const KIND_LABEL: Record<PreviewRow['kind'], [string, string]> = {
  lead: ['Nhắc trước hạn', 'Before the due date'],
  due: ['Đúng hạn', 'Due day'],
  overdue: ['Quá hạn', 'Overdue'],
  escalation: ['Báo cáo lên', 'Escalation'],
  cooperating: ['Phối hợp', 'Cooperating'],
  digest: ['Tổng hợp cho quản trị', 'Administrators’ digest'],
};

/** A query parameter as text ('' when missing or repeated). */
const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

/** `n` days after a YYYY-MM-DD day; null when it is not a date (the service then says what is wrong). */
const addDays = (day: string, n: number) => {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(day) ? Date.parse(`${day}T00:00:00Z`) : Number.NaN;
  return Number.isNaN(ms) ? null : new Date(ms + n * 86_400_000).toISOString().slice(0, 10);
};

/** Administrators' pages: the reminders and digests a date range would bring, sending nothing (as `dondoc preview`). */
export function registerPreviewPages(scope: FastifyInstance, deps: WebDeps): void {
  scope.get<{ Querystring: { from?: string; to?: string } }>('/preview', async (req, reply) => {
    const a = adminOf(req);
    const t = translator(a.lang);
    const zone = (await deps.db.organisation.findUniqueOrThrow({ where: { id: a.orgId }, select: { timeZone: true } }))
      .timeZone;
    const today = zonedDay(deps.clock.now(), zone);
    const from = text(req.query.from) || today;
    const to = text(req.query.to) || (addDays(from, DEFAULT_DAYS - 1) ?? addDays(today, DEFAULT_DAYS - 1)!);
    let result: Awaited<ReturnType<typeof previewReminders>> | null = null;
    let error: string | null = null;
    try {
      result = await previewReminders(deps.db, a.orgId, { from, to });
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      error = messageIn(e, a.lang);
    }
    const rows = result?.rows ?? [];
    const reminders = rows.filter((r) => r.kind !== 'digest').length;
    const noChannel = rows.filter((r) => r.channel === null).length;
    return sendPage(req, reply, {
      status: error ? 400 : 200,
      error: error ? `${error}. ${t('Không có gì thay đổi.', 'Nothing was changed.')}` : null,
      title: t('Xem trước lịch nhắc', 'Reminder preview'),
      body: html`<h1>${t('Xem trước lịch nhắc', 'Reminder preview')}</h1>
<p>${t(
        `Mọi nhắc nhở và thư tổng hợp cấu hình hiện tại sẽ gửi trong khoảng ngày (tối đa ${PREVIEW_MAX_DAYS} ngày); không gửi gì. Thư tổng hợp chỉ đi khi có việc để báo.`,
        `Every reminder and digest the current configuration would send in the range (at most ${PREVIEW_MAX_DAYS} days); nothing is sent. Digests go only when there is news.`,
      )}</p>
<form method="get" action="/admin/preview" class="row">
<label>${t('Từ ngày', 'From')}<br><input type="date" name="from" value="${from}" required></label>
<label>${t('Đến ngày', 'To')}<br><input type="date" name="to" value="${to}" required></label>
<button type="submit">${t('Xem', 'Show')}</button></form>
${
  result
    ? html`<p><strong>${rows.length}</strong> ${t('tin', 'messages')}: ${reminders} ${t('nhắc nhở', 'reminders')}, ${rows.length - reminders} ${t('thư tổng hợp', 'digests')}${
        noChannel
          ? html` · <span class="flag">${noChannel} ${t('không có kênh gửi được', 'without a working channel')}</span>`
          : ''
      }</p>
${rows.length > SHOWN ? html`<p class="flag">${t(`Chỉ hiện ${SHOWN} tin đầu; thu hẹp khoảng ngày, hoặc dùng lệnh dondoc preview --json.`, `Only the first ${SHOWN} are shown; narrow the range, or use dondoc preview --json.`)}</p>` : ''}
${
  rows.length
    ? html`<table><thead><tr><th>${t('Lúc', 'When')}</th><th>${t('Người nhận', 'To')}</th><th>${t('Kênh', 'Channel')}</th><th>${t('Loại', 'Kind')}</th><th>${t('Đơn vị', 'Unit')}</th><th>${t('Nhiệm vụ', 'Duty')}</th></tr></thead><tbody>
${rows
  .slice(0, SHOWN)
  .map(
    (r) =>
      html`<tr><td>${dateTime(r.at, zone)}</td><td>${r.contact}</td><td${r.channel ? '' : html` class="flag"`}>${r.channel ? channelLabel(r.channel, a.lang) : t('không có kênh', 'no channel')}</td><td>${t(...KIND_LABEL[r.kind])}</td><td>${r.unit ?? ''}</td><td>${r.duty ?? ''}</td></tr>`,
  )}</tbody></table>`
    : html`<p class="muted">${t('Không có tin nào trong khoảng này.', 'Nothing in this range.')}</p>`
}`
    : ''
}`,
    });
  });
}
