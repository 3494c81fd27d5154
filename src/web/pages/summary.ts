import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { dispatchDue } from '#jobs/dispatch.js';
import { channelLabel } from '#root/channels/registry.js';
import { shortDate } from '#root/domain/wording.js';
import { zonedDay } from '#root/domain/zoned-day.js';
import { NotFoundError } from '#root/errors/index.js';
import { say } from '#root/messages/chat-words.js';
import { failureInWords } from '#root/messages/refusal-words.js';
import { obligationKey } from '#root/services/matrix.js';
import {
  lateCsv,
  lateFileName,
  lateList,
  lateXlsx,
  nudgeLateUnits,
  orgSummary,
  type LateList,
  type Progress,
} from '#root/services/summary.js';
import { adminOf, csrfField, redirectWith, requiredReason, sendPage } from '../admin.js';
import { html, translator, type Html, type Lang } from '../html.js';
import type { WebDeps } from '../server.js';

type T = ReturnType<typeof translator>;

/** Late units per page of the late list. */
export const LATE_PAGE = 15;
/** Cards per section of the summary (a phone shows fewer: the stylesheet's few-on-phone). */
const CARDS = 6;
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const day = (d: Date, zone: string) => shortDate(zonedDay(d, zone));
/** "1 unit", "3 units": only English words use this (the Vietnamese say "đơn vị" for any count). */
const units = (n: number) => `${n} unit${n === 1 ? '' : 's'}`;
const pct = (done: number, of: number) => (of ? Math.round((100 * done) / of) : 100);

/** "45 % (123/270 việc đến hạn)" with a bar: the share done of what was due so far. */
function share(t: T, p: Progress): Html {
  if (!p.dueSoFar)
    return html`<span class="muted">${t('Chưa có việc nào đến hạn', 'Nothing due yet')} (${t(`${p.yearTotal} việc trong năm`, `${p.yearTotal} this year`)})</span>`;
  return html`<span class="share"><progress value="${p.doneSoFar}" max="${p.dueSoFar}"></progress> <strong>${pct(p.doneSoFar, p.dueSoFar)}%</strong> <span class="muted">(${t(`${p.doneSoFar}/${p.dueSoFar} việc đến hạn đã xong`, `${p.doneSoFar}/${p.dueSoFar} due so far done`)})</span></span>`;
}

/** The landing page: what needs the administrator now. */
export async function summaryPage(req: FastifyRequest, reply: FastifyReply, deps: WebDeps) {
  const a = adminOf(req);
  const t = translator(a.lang);
  const s = await orgSummary(deps.db, a.orgId, deps.clock.now());
  const zone = s.timeZone;
  const today = day(s.now, zone);
  const deadlineLink = (d: (typeof s.deadlines)[number]) =>
    d.late ? `/admin/late/${d.dutyId}` : `/admin/status?duty=${d.dutyId}`;
  const cards = s.deadlines.slice(0, CARDS);
  const deadlines = s.deadlines.length
    ? html`<ul class="cards few-on-phone">${cards.map(
        (d) => html`<li class="card deadline${d.late ? ' is-late' : ''}"><a href="${deadlineLink(d)}" class="block">
<span class="code">${d.code}</span> <span class="muted">· ${t('hạn', 'due')} ${day(d.due, zone)}${d.passed ? '' : html` · ${t('sắp tới', 'coming')}`}</span>
<span class="big">${t(`${d.notDone}/${d.required} đơn vị chưa báo cáo`, `${d.notDone}/${d.required} units have not reported`)}</span>
<progress value="${d.done}" max="${d.required}"></progress>
<span class="title">${d.title}</span>
${d.late ? html`<span class="go"><strong class="late-text">${t(`${d.late} đơn vị quá hạn`, `${d.late} late`)}</strong> · ${t('xem danh sách →', 'see the list →')}</span>` : ''}</a></li>`,
      )}</ul>${
        s.deadlines.length > 3
          ? html`<details class="card"><summary>${t(`Mọi hạn trong kỳ (${s.deadlines.length})`, `Every deadline of the period (${s.deadlines.length})`)}</summary><ul class="plain">${s.deadlines.map(
              (d) =>
                html`<li><a href="${deadlineLink(d)}">${d.code}</a> · ${t('hạn', 'due')} ${day(d.due, zone)} · ${t(`${d.notDone}/${d.required} đơn vị chưa báo cáo`, `${d.notDone}/${d.required} units have not reported`)}${d.late ? html` · <span class="late-text">${t(`${d.late} quá hạn`, `${d.late} late`)}</span>` : ''}</li>`,
            )}</ul></details>`
          : ''
      }`
    : html`<p class="card">${t('Không có hạn nào trong khoảng một tháng quanh hôm nay.', 'No deadline within a month of today.')}</p>`;
  const late = s.duties.filter((d) => d.late).sort((x, y) => y.late - x.late);
  const plans = html`<ul class="cards">${s.plans.map(
    (p) =>
      html`<li class="card"><a href="/admin/status?plan=${p.planId}" class="block"><span class="code">${p.code}</span>${p.late ? html` · <span class="late-text">${t(`${p.late} việc quá hạn`, `${p.late} late`)}</span>` : ''}<span class="title">${p.title}</span></a>${share(t, p)}</li>`,
  )}</ul>`;
  const lateDuties = late.length
    ? html`<ul class="cards fewer-on-phone">${late.slice(0, CARDS).map(
        (d) =>
          html`<li class="card"><a href="/admin/late/${d.dutyId}" class="block"><span class="code">${d.code}</span> · <span class="late-text">${t(`${d.late} việc quá hạn`, `${d.late} late`)} →</span>
<span class="title">${d.title}</span></a>${share(t, d)}</li>`,
      )}</ul>`
    : html`<p class="card">${t('Không có nhiệm vụ nào quá hạn.', 'No duty is late.')}</p>`;
  const allDuties = html`<details class="card"><summary>${t(`Mọi nhiệm vụ (${s.duties.length}), ${late.length} có việc quá hạn`, `Every duty (${s.duties.length}), ${late.length} with late work`)}</summary>
<ul class="plain">${s.duties.map(
    (d) =>
      html`<li><a href="${d.late ? `/admin/late/${d.dutyId}` : `/admin/status?duty=${d.dutyId}`}">${d.plan} · ${d.code}</a> ${d.title.length > 90 ? `${d.title.slice(0, 89)}…` : d.title} — ${share(t, d)}${d.late ? html` · <span class="late-text">${t(`${d.late} quá hạn`, `${d.late} late`)}</span>` : ''}</li>`,
  )}</ul></details>`;
  return sendPage(req, reply, {
    title: t('Tình hình', 'Status'),
    body: html`<h1>${t(`Tình hình ngày ${today}`, `Status on ${today}`)}</h1>
<p class="muted">${t(`${s.units} đơn vị có nghĩa vụ năm ${s.year}`, `${s.units} units with obligations in ${s.year}`)} · <a href="/admin/status?year=${s.year}">${t('Bảng chi tiết đơn vị × nhiệm vụ', 'The units × duties matrix')}</a></p>
<h2>${t('Hạn trong kỳ này', 'Deadlines of this period')}</h2>${deadlines}
<h2>${t('Nhiệm vụ nhiều việc quá hạn nhất', 'Duties with the most late work')}</h2>${lateDuties}${allDuties}
<h2>${t('Theo kế hoạch: phần đã xong của việc đã đến hạn', 'Per plan: the share done of what was due so far')}</h2>${plans}`,
  });
}

/**
 * Why a unit cannot be reached: each contact's failed channels, each with what happened and what to
 * do (failureInWords: "Telegram (lỗi: người nhận đã chặn bot — nhờ họ mở lại bot và gửi /start)").
 */
const failedChannels = (lang: Lang, u: LateList['units'][number]): Html =>
  html`${u.contacts
    .filter((c) => c.failures.length)
    .map(
      (c) =>
        html`<br>${c.name}: ${c.failures.map((f, i) => html`${i ? '; ' : ''}${channelLabel(f.channel, lang)} (${say(lang, 'failure.failed', { reason: failureInWords(f.reason, lang) })})`)}`,
    )}`;

const channelText = (t: T, lang: Lang, u: LateList['units'][number]): Html =>
  u.channelState === 'no-contact'
    ? html`<span class="late-text">${t('Chưa có đầu mối', 'No contact')}</span>`
    : u.channelState === 'no-channel'
      ? html`<span class="late-text">${t('Không có kênh gửi được', 'No working channel')}</span>${failedChannels(lang, u)}`
      : html`${[...new Set(u.contacts.flatMap((c) => c.working))].map((c) => t(channelLabel(c, 'vi'), channelLabel(c, 'en'))).join(', ')}`;

function latePage(req: FastifyRequest<{ Querystring: { page?: string } }>, reply: FastifyReply, list: LateList) {
  const a = adminOf(req);
  const t = translator(a.lang);
  const zone = list.timeZone;
  const pages = Math.max(1, Math.ceil(list.units.length / LATE_PAGE));
  const n = Math.min(pages, Math.max(1, Number.parseInt(req.query.page ?? '1', 10) || 1));
  const shown = list.units.slice((n - 1) * LATE_PAGE, n * LATE_PAGE);
  const base = `/admin/late/${list.duty.id}`;
  const reachable = list.units.filter((u) => u.channelState === 'ok').length;
  const never = t('chưa có', 'none');
  const rows = shown.map(
    (
      u,
    ) => html`<tr><td data-label=""><a href="/admin/units/${u.unitId}"><strong>${u.unit}</strong></a> <a href="/admin/o/${obligationKey(u.obligationId)}" class="muted">${t('chi tiết', 'details')}</a></td>
<td data-label="${t('Quá hạn', 'Overdue')}"><span class="late-text">${t(`${u.daysOverdue} ngày`, `${u.daysOverdue} day${u.daysOverdue === 1 ? '' : 's'}`)}</span> <span class="muted">(${t('hạn', 'due')} ${day(u.due, zone)}${u.lateCount > 1 ? t(`, ${u.lateCount} kỳ`, `, ${u.lateCount} periods`) : ''})</span></td>
<td data-label="${t('Nhắc', 'Reminded')}" class="half">${u.lastReminder ? day(u.lastReminder, zone) : html`<span class="muted">${never}</span>`}</td>
<td data-label="${t('Trả lời', 'Replied')}" class="half">${u.lastReply ? day(u.lastReply, zone) : html`<span class="muted">${never}</span>`}</td>
<td data-label="${t('Đầu mối', 'Contact')}">${u.contacts.length ? u.contacts.map((c, i) => html`${i ? ', ' : ''}${c.name}`) : html`<span class="muted">—</span>`} · ${channelText(t, a.lang, u)}</td></tr>`,
  );
  const pager =
    pages > 1
      ? html`<nav class="pager" aria-label="${t('Trang', 'Pages')}">${n > 1 ? html`<a href="${base}?page=${n - 1}">← ${t('Trước', 'Previous')}</a>` : ''} <span>${t(`Trang ${n}/${pages}`, `Page ${n}/${pages}`)}</span> ${n < pages ? html`<a href="${base}?page=${n + 1}">${t('Sau', 'Next')} →</a>` : ''}</nav>`
      : '';
  const body = html`<p><a href="/admin">← ${t('Về trang tình hình', 'Back to the status page')}</a></p>
<h1>${t('Đơn vị trễ hạn', 'Late units')}: ${list.duty.code}</h1>
<p class="clamp">${list.duty.title} <span class="muted">· ${list.duty.plan}</span></p>
<p class="big">${t(`${list.units.length}/${list.required} đơn vị quá hạn`, `${list.units.length}/${list.required} units late`)}</p>
${
  list.units.length
    ? html`<form method="post" action="${base}/nudge" class="card row">${csrfField(req)}
<label>${t('Lý do nhắc (bắt buộc, ghi vào nhật ký)', 'Reason for the reminder (required, kept in the audit log)')}<br><input type="text" name="reason" required minlength="3" maxlength="1000" class="w28" value="${t(`Nhắc nộp ${list.duty.code} quá hạn`, `Late ${list.duty.code}`)}"></label>
<button type="submit">${t(`Nhắc tất cả (${reachable} đơn vị)`, `Remind all (${units(reachable)})`)}</button>
<span class="muted">${t('Mỗi đầu mối nhận một tin gộp các việc quá hạn của đơn vị.', 'Each contact gets one message with the unit’s late work.')}${reachable < list.units.length ? t(` ${list.units.length - reachable} đơn vị không liên lạc được.`, ` ${units(list.units.length - reachable)} cannot be reached.`) : ''}</span></form>
<p>${t('Tải danh sách', 'Download the list')}: <a href="${base}/export.xlsx" download>Excel (XLSX)</a> · <a href="${base}/export.csv" download>CSV</a></p>
<table class="stack"><thead><tr><th>${t('Đơn vị', 'Unit')}</th><th>${t('Quá hạn', 'Overdue')}</th><th>${t('Nhắc gần nhất', 'Last reminder')}</th><th>${t('Trả lời gần nhất', 'Last reply')}</th><th>${t('Đầu mối · kênh', 'Contact · channel')}</th></tr></thead><tbody>${rows}</tbody></table>${pager}`
    : html`<p class="card">${t('Không có đơn vị nào quá hạn nhiệm vụ này.', 'No unit is late for this duty.')}</p>`
}`;
  return sendPage(req, reply, { title: `${t('Trễ hạn', 'Late')} · ${list.duty.code}`, body });
}

const unitsText = (lang: Lang, names: string[]) =>
  names.length > 5
    ? `${names.slice(0, 5).join(', ')} ${lang === 'en' ? 'and' : 'và'} ${names.length - 5} …`
    : names.join(', ');

/** The late list of a duty, its exports and its one action, "Nhắc tất cả". */
export function registerSummaryPages(scope: FastifyInstance, deps: WebDeps): void {
  const load = async (req: FastifyRequest<{ Params: { dutyId: string } }>) =>
    lateList(deps.db, adminOf(req).orgId, req.params.dutyId, deps.clock.now());

  scope.get<{ Params: { dutyId: string }; Querystring: { page?: string } }>('/late/:dutyId', async (req, reply) =>
    latePage(req, reply, await load(req)),
  );

  scope.get<{ Params: { dutyId: string; ext: string } }>('/late/:dutyId/export.:ext', async (req, reply) => {
    const ext = req.params.ext;
    if (ext !== 'csv' && ext !== 'xlsx')
      throw new NotFoundError(translator(adminOf(req).lang)('Không tìm thấy.', 'Not found.'));
    const list = await load(req);
    const body = ext === 'xlsx' ? await lateXlsx(list) : Buffer.from(lateCsv(list), 'utf8');
    return reply
      .type(ext === 'xlsx' ? XLSX_TYPE : 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${lateFileName(list.duty.code, ext)}"`)
      .send(body);
  });

  scope.post<{ Params: { dutyId: string } }>('/late/:dutyId/nudge', async (req, reply) => {
    const a = adminOf(req);
    const t = translator(a.lang);
    const reason = requiredReason(req.body, a.lang);
    const r = await nudgeLateUnits(
      deps.db,
      a.orgId,
      (orgId, now) => dispatchDue(deps.db, deps.sendQueue(), orgId, now, 0),
      { dutyId: req.params.dutyId, actor: a.actor, reason, now: deps.clock.now() },
    );
    const reminders = r.nudged.reduce((n, u) => n + u.reminders, 0);
    const refused = r.refused.map((x) => x.unit);
    const message =
      t(
        `Đã nhắc ${r.nudged.length} đơn vị trễ hạn ${r.duty.code} (${reminders} nhắc nhở), đang gửi.`,
        `Reminded ${units(r.nudged.length)} late for ${r.duty.code} (${reminders} reminder${reminders === 1 ? '' : 's'}), being sent.`,
      ) +
      (refused.length
        ? t(
            ` Không liên lạc được ${refused.length} đơn vị: ${unitsText(a.lang, refused)}.`,
            ` ${units(refused.length)} cannot be reached: ${unitsText(a.lang, refused)}.`,
          )
        : '');
    return redirectWith(reply, `/admin/late/${r.duty.id}`, message);
  });
}
