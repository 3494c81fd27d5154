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
import { html, type Html, type Lang } from '../html.js';
import { webWords, type WebT } from '../words.js';
import type { WebDeps } from '../server.js';

type T = WebT<'summary'>;

/** Late units per page of the late list. */
export const LATE_PAGE = 15;
/** Cards per section of the summary (a phone shows fewer: the stylesheet's few-on-phone). */
const CARDS = 6;
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const day = (d: Date, zone: string) => shortDate(zonedDay(d, zone));
/** "1 unit", "3 units": only English words use this (the Vietnamese say "đơn vị" for any count). */
const pct = (done: number, of: number) => (of ? Math.round((100 * done) / of) : 100);

/** "45 % (123/270 việc đến hạn)" with a bar: the share done of what was due so far. */
function share(t: T, p: Progress): Html {
  if (!p.dueSoFar)
    return html`<span class="muted">${t('nothingDueYet')} (${t('yearTotalYear', { yearTotal: p.yearTotal })})</span>`;
  return html`<span class="share"><progress value="${p.doneSoFar}" max="${p.dueSoFar}"></progress> <strong>${pct(p.doneSoFar, p.dueSoFar)}%</strong> <span class="muted">(${t('doneOfDue', { doneSoFar: p.doneSoFar, dueSoFar: p.dueSoFar })})</span></span>`;
}

/** The landing page: what needs the administrator now. */
export async function summaryPage(req: FastifyRequest, reply: FastifyReply, deps: WebDeps) {
  const a = adminOf(req);
  const t = webWords('summary', a.lang);
  const s = await orgSummary(deps.db, a.orgId, deps.clock.now());
  const zone = s.timeZone;
  const today = day(s.now, zone);
  const deadlineLink = (d: (typeof s.deadlines)[number]) =>
    d.late ? `/admin/late/${d.dutyId}` : `/admin/status?duty=${d.dutyId}`;
  const cards = s.deadlines.slice(0, CARDS);
  const deadlines = s.deadlines.length
    ? html`<ul class="cards few-on-phone">${cards.map(
        (d) => html`<li class="card deadline${d.late ? ' is-late' : ''}"><a href="${deadlineLink(d)}" class="block">
<span class="code">${d.code}</span> <span class="muted">· ${t('due')} ${day(d.due, zone)}${d.passed ? '' : html` · ${t('coming')}`}</span>
<span class="big">${t('notDoneRequiredUnitsNot', { notDone: d.notDone, required: d.required })}</span>
<progress value="${d.done}" max="${d.required}"></progress>
<span class="title">${d.title}</span>
${d.late ? html`<span class="go"><strong class="late-text">${t('lateUnitCount', { late: d.late })}</strong> · ${t('seeList')}</span>` : ''}</a></li>`,
      )}</ul>${
        s.deadlines.length > 3
          ? html`<details class="card"><summary>${t('everyDeadlinePeriodDeadlinesCount', { deadlinesCount: s.deadlines.length })}</summary><ul class="plain">${s.deadlines.map(
              (d) =>
                html`<li><a href="${deadlineLink(d)}">${d.code}</a> · ${t('due')} ${day(d.due, zone)} · ${t('notDoneRequiredUnitsNot', { notDone: d.notDone, required: d.required })}${d.late ? html` · <span class="late-text">${t('lateCount', { late: d.late })}</span>` : ''}</li>`,
            )}</ul></details>`
          : ''
      }`
    : html`<p class="card">${t('noDeadlineWithinMonth')}</p>`;
  const late = s.duties.filter((d) => d.late).sort((x, y) => y.late - x.late);
  const plans = html`<ul class="cards">${s.plans.map(
    (p) =>
      html`<li class="card"><a href="/admin/status?plan=${p.planId}" class="block"><span class="code">${p.code}</span>${p.late ? html` · <span class="late-text">${t('lateItems', { late: p.late })}</span>` : ''}<span class="title">${p.title}</span></a>${share(t, p)}</li>`,
  )}</ul>`;
  const lateDuties = late.length
    ? html`<ul class="cards fewer-on-phone">${late.slice(0, CARDS).map(
        (d) =>
          html`<li class="card"><a href="/admin/late/${d.dutyId}" class="block"><span class="code">${d.code}</span> · <span class="late-text">${t('lateItems', { late: d.late })} →</span>
<span class="title">${d.title}</span></a>${share(t, d)}</li>`,
      )}</ul>`
    : html`<p class="card">${t('noDutyLate')}</p>`;
  const allDuties = html`<details class="card"><summary>${t('everyDutyDutiesCountLateCount', { dutiesCount: s.duties.length, lateCount: late.length })}</summary>
<ul class="plain">${s.duties.map(
    (d) =>
      html`<li><a href="${d.late ? `/admin/late/${d.dutyId}` : `/admin/status?duty=${d.dutyId}`}">${d.plan} · ${d.code}</a> ${d.title.length > 90 ? `${d.title.slice(0, 89)}…` : d.title} — ${share(t, d)}${d.late ? html` · <span class="late-text">${t('lateCount', { late: d.late })}</span>` : ''}</li>`,
  )}</ul></details>`;
  return sendPage(req, reply, {
    title: t('status'),
    body: html`<h1>${t('statusToday', { today })}</h1>
<p class="muted">${t('unitsObligationsYear', { units: s.units, year: s.year })} · <a href="/admin/status?year=${s.year}">${t('unitsDutiesMatrix')}</a></p>
<h2>${t('deadlinesPeriod')}</h2>${deadlines}
<h2>${t('dutiesMostLateWork')}</h2>${lateDuties}${allDuties}
<h2>${t('perPlanShareDone')}</h2>${plans}`,
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
    ? html`<span class="late-text">${t('noContact')}</span>`
    : u.channelState === 'no-channel'
      ? html`<span class="late-text">${t('noWorkingChannel')}</span>${failedChannels(lang, u)}`
      : html`${[...new Set(u.contacts.flatMap((c) => c.working))].map((c) => channelLabel(c, t.lang)).join(', ')}`;

function latePage(req: FastifyRequest<{ Querystring: { page?: string } }>, reply: FastifyReply, list: LateList) {
  const a = adminOf(req);
  const t = webWords('summary', a.lang);
  const zone = list.timeZone;
  const pages = Math.max(1, Math.ceil(list.units.length / LATE_PAGE));
  const n = Math.min(pages, Math.max(1, Number.parseInt(req.query.page ?? '1', 10) || 1));
  const shown = list.units.slice((n - 1) * LATE_PAGE, n * LATE_PAGE);
  const base = `/admin/late/${list.duty.id}`;
  const reachable = list.units.filter((u) => u.channelState === 'ok').length;
  const never = t('none');
  // One due date for every late unit (the usual case: one period of one duty) is said once, above
  // the list, not on each unit's line (on a phone, the line then fits on one row).
  const dues = new Set(list.units.map((u) => day(u.due, zone)));
  const oneDue = dues.size === 1 ? [...dues][0] : undefined;
  const dueOf = (u: LateList['units'][number]) =>
    oneDue === undefined
      ? html` <span class="muted">(${t('due')} ${day(u.due, zone)}${u.lateCount > 1 ? t('lateCountPeriods', { lateCount: u.lateCount }) : ''})</span>`
      : u.lateCount > 1
        ? html` <span class="muted">(${t('periodsLate', { lateCount: u.lateCount })})</span>`
        : '';
  const rows = shown.map(
    (
      u,
    ) => html`<tr><td data-label=""><a href="/admin/units/${u.unitId}"><strong>${u.unit}</strong></a> <a href="/admin/o/${obligationKey(u.obligationId)}" class="muted">${t('details')}</a></td>
<td data-label="${t('overdue')}"><span class="late-text">${u.workingDaysLate ? t.count('workingDaysLate', u.workingDaysLate) : t('underOneWorkingDay')}</span>${dueOf(u)}</td>
<td data-label="${t('reminded')}" class="half">${u.lastReminder ? day(u.lastReminder, zone) : html`<span class="muted">${never}</span>`}</td>
<td data-label="${t('replied')}" class="half">${u.lastReply ? day(u.lastReply, zone) : html`<span class="muted">${never}</span>`}</td>
<td data-label="${t('contact')}">${u.contacts.length ? u.contacts.map((c, i) => html`${i ? ', ' : ''}${c.name}`) : html`<span class="muted">—</span>`} · ${channelText(t, a.lang, u)}</td></tr>`,
  );
  const pager =
    pages > 1
      ? html`<nav class="pager" aria-label="${t('pages')}">${n > 1 ? html`<a href="${base}?page=${n - 1}">← ${t('previous')}</a>` : ''} <span>${t('pageNPages', { n, pages })}</span> ${n < pages ? html`<a href="${base}?page=${n + 1}">${t('next')} →</a>` : ''}</nav>`
      : '';
  const body = html`<p><a href="/admin">← ${t('backStatusPage')}</a></p>
<h1>${t('lateUnits')}: ${list.duty.code}</h1>
<p class="clamp">${list.duty.title} <span class="muted">· ${list.duty.plan}</span></p>
<p class="big">${t('unitsCountRequiredUnitsLate', { unitsCount: list.units.length, required: list.required })}${oneDue === undefined ? '' : html` <span class="muted aside">(${t('due')} ${oneDue})</span>`}</p>
${
  list.units.length
    ? html`<form method="post" action="${base}/nudge" class="card row">${csrfField(req)}
<label>${t('reasonReminderRequiredKept')}<br><input type="text" name="reason" required minlength="3" maxlength="1000" class="w28" value="${t('lateCode', { code: list.duty.code })}"></label>
<button type="submit">${t('remindAll', { units: t.count('unitCount', reachable) })}</button>
<span class="muted">${t('eachContactGetsOne')}${reachable < list.units.length ? t('unitsUnreachable', { units: t.count('unitCount', list.units.length - reachable) }) : ''}</span></form>
<p>${t('downloadList')}: <a href="${base}/export.xlsx" download>Excel (XLSX)</a> · <a href="${base}/export.csv" download>CSV</a></p>
<table class="stack"><thead><tr><th>${t('unit')}</th><th>${t('overdue')}</th><th>${t('lastReminder')}</th><th>${t('lastReply')}</th><th>${t('contactChannel')}</th></tr></thead><tbody>${rows}</tbody></table>${pager}`
    : html`<p class="card">${t('noUnitLateDuty')}</p>`
}`;
  return sendPage(req, reply, { title: `${t('late')} · ${list.duty.code}`, body });
}

const unitsText = (t: WebT<'summary'>, names: string[]) =>
  names.length > 5
    ? t('namesAndMore', { names: names.slice(0, 5).join(', '), more: names.length - 5 })
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
    if (ext !== 'csv' && ext !== 'xlsx') throw new NotFoundError(webWords('summary', adminOf(req).lang)('notFound'));
    const list = await load(req);
    const body = ext === 'xlsx' ? await lateXlsx(list) : Buffer.from(lateCsv(list), 'utf8');
    return reply
      .type(ext === 'xlsx' ? XLSX_TYPE : 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${lateFileName(list.duty.code, ext)}"`)
      .send(body);
  });

  scope.post<{ Params: { dutyId: string } }>('/late/:dutyId/nudge', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('summary', a.lang);
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
      t('remindedLate', {
        units: t.count('unitCount', r.nudged.length),
        code: r.duty.code,
        reminders: t.count('reminderCount', reminders),
      }) +
      (refused.length
        ? t('unitsRefused', { units: t.count('unitCount', refused.length), names: unitsText(t, refused) })
        : '');
    return redirectWith(reply, `/admin/late/${r.duty.id}`, message);
  });
}
