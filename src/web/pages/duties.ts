import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { dueInstant, obligationState } from '#root/domain/obligation-state.js';
import type { ReminderPolicy } from '#root/domain/policy.js';
import { describeSchedule, periodInWords, shortDate } from '#root/domain/wording.js';
import { yearWindow, zonedDay, zonedYear } from '#root/domain/zoned-day.js';
import {
  dutyDetail,
  dutyObligations,
  dutyOverview,
  dutyPolicy,
  listPlans,
  type PolicySource,
} from '#root/services/duties.js';
import { scheduleFromRow } from '#root/services/schedules.js';
import { NotFoundError, UserError } from '#root/errors/index.js';
import { setDutyUnits } from '#root/services/duty-units.js';
import { reconcileCurrent } from '#root/services/obligations.js';
import { fixDuty, type DutyFix } from '#root/services/plans.js';
import { adminOf, csrfField, field, messageIn, oneLanguage, redirectWith, sendPage } from '../admin.js';
import { html, raw, translator, type Html } from '../html.js';
import type { WebDeps } from '../server.js';
import { pageOf, pager, splitNow, stateCounts } from './periods.js';
import { isHistoryRow, obligationCell } from './units.js';

type T = ReturnType<typeof translator>;

/** The fields an administrator fixed (`fixed_fields`), in words. */
const FIXED_LABEL: Record<string, [string, string]> = {
  title: ['tên nhiệm vụ', 'title'],
  timeframe: ['thời gian thực hiện', 'timeframe'],
  flags: ['bỏ các cờ', 'cleared flags'],
};

const POLICY_LABEL: Record<keyof ReminderPolicy, [string, string]> = {
  leadDays: ['Nhắc trước hạn (ngày làm việc)', 'Lead reminders (working days before)'],
  onDue: ['Nhắc đúng ngày hạn', 'Reminder on the due day'],
  overdueEvery: ['Nhắc quá hạn mỗi (ngày làm việc)', 'Overdue nudge every (working days)'],
  overdueMax: ['Số lần nhắc quá hạn tối đa', 'At most this many overdue nudges'],
  escalateAfter: [
    'Báo lãnh đạo đơn vị khi quá hạn (ngày làm việc)',
    'Escalate to the unit head after (working days overdue)',
  ],
  windowStart: ['Gửi từ', 'Send from'],
  windowEnd: ['Gửi đến', 'Send until'],
};

const SOURCE_LABEL: Record<PolicySource, [string, string]> = {
  default: ['mặc định', 'default'],
  org: ['của tổ chức', 'organisation'],
  plan: ['của kế hoạch', 'plan'],
  duty: ['riêng nhiệm vụ này', 'this duty'],
};

const policyValue = (t: T, v: ReminderPolicy[keyof ReminderPolicy]) =>
  Array.isArray(v) ? v.join(', ') : typeof v === 'boolean' ? (v ? t('có', 'yes') : t('không', 'no')) : String(v);

const yearOf = (raw: unknown, fallback: number) => {
  const y = typeof raw === 'string' && /^\d{4}$/.test(raw) ? Number(raw) : NaN;
  return y >= 2000 && y <= 2100 ? y : fallback;
};

/** Units of a duty shown at once on its page (its current and overdue periods), and of its other periods. */
export const DUTY_PAGE = 10;
export const OTHERS_PAGE = 20;
/** Lead or cooperating units listed open up to this many; more are folded behind their count. */
const ASSIGNMENTS_OPEN = 4;

/** Administrators' pages: the duties of the organisation's plans, and each duty's page. */
export function registerDutyPages(scope: FastifyInstance, deps: WebDeps): void {
  scope.get<{ Querystring: { plan?: string; q?: string } }>('/duties', async (req, reply) => {
    const a = adminOf(req);
    const t = translator(a.lang);
    const plan = typeof req.query.plan === 'string' ? req.query.plan.trim().slice(0, 100) : '';
    const q = typeof req.query.q === 'string' ? req.query.q.trim().slice(0, 200) : '';
    const [plans, duties] = await Promise.all([
      listPlans(deps.db, a.orgId),
      dutyOverview(deps.db, a.orgId, { plan, query: q }),
    ]);
    const flagged = duties.filter((d) => d.flags.length).length;
    const body = html`<h1>${t('Nhiệm vụ', 'Duties')}</h1>
<form method="get" action="/admin/duties" class="row" role="search">
<label>${t('Kế hoạch', 'Plan')}<br><select name="plan"><option value="">${t('Tất cả', 'All')}</option>${plans.map((p) => html`<option value="${p.code}"${p.code === plan ? html` selected` : ''}>${p.code}</option>`)}</select></label>
<label>${t('Lọc theo số TT, tên', 'Filter by number, title')}<br><input type="text" name="q" value="${q}" maxlength="200"></label>
<button type="submit">${t('Lọc', 'Filter')}</button></form>
<p class="muted">${t(`${duties.length} nhiệm vụ`, `${duties.length} duties`)}${flagged ? t(`; ${flagged} cần xem lại (tô vàng)`, `; ${flagged} to review (highlighted)`) : ''}.</p>
${
  duties.length
    ? html`<table><thead><tr><th>${t('Kế hoạch', 'Plan')}</th><th>${t('TT', 'No.')}</th><th>${t('Nhiệm vụ', 'Duty')}</th><th>${t('Chủ trì', 'Lead')}</th><th>${t('Phối hợp', 'Cooperating')}</th><th>${t('Lịch', 'Schedule')}</th><th>${t('Cần xem lại', 'To review')}</th></tr></thead><tbody>
${duties.map((d) => {
  const leads = d.assignments.filter((x) => x.role === 'lead').map((x) => x.unit?.name ?? x.group?.name ?? x.rawName);
  const coop = d.assignments.filter((x) => x.role === 'cooperating').length;
  const schedule = d.schedule ? describeSchedule(scheduleFromRow(d.schedule), a.lang) : '—';
  const unparsed = !d.schedule || d.schedule.kind === 'unparsed';
  return html`<tr${d.flags.length ? html` class="flag"` : ''}><td>${d.plan.code}</td><td><a href="/admin/duties/${d.id}">${d.code}</a></td><td>${d.title}</td><td>${leads.join('; ') || '—'}</td><td>${coop}</td>
<td${unparsed ? html` class="flag"` : ''}>${schedule}</td><td>${d.flags.length ? html`<ul class="flags-list">${d.flags.map((f) => html`<li>${oneLanguage(f, a.lang)}</li>`)}</ul>` : ''}</td></tr>`;
})}</tbody></table>`
    : html`<p>${t('Không có nhiệm vụ nào khớp.', 'No duty matches.')} <a href="/admin/import">${t('Nhập kế hoạch', 'Import a plan')}</a></p>`
}`;
    return sendPage(req, reply, { title: t('Nhiệm vụ', 'Duties'), body });
  });

  /** A duty's page; after a refused fix, with what was typed and the message beside the form. */
  const dutyPage = async (
    req: FastifyRequest<{ Params: { id: string }; Querystring: { year?: string; page?: string; others?: string } }>,
    reply: FastifyReply,
    form: { values?: Record<string, string>; error?: string } = {},
  ) => {
    const a = adminOf(req);
    const t = translator(a.lang);
    const duty = await dutyDetail(deps.db, a.orgId, req.params.id);
    if (!duty) {
      return sendPage(req, reply, {
        status: 404,
        title: t('Không tìm thấy', 'Not found'),
        body: html`<h1>${t('Không tìm thấy nhiệm vụ này', 'No such duty')}</h1><p><a href="/admin/duties">${t('Về danh sách nhiệm vụ', 'Back to the duties')}</a></p>`,
      });
    }
    const org = await deps.db.organisation.findUniqueOrThrow({ where: { id: a.orgId }, select: { timeZone: true } });
    const now = deps.clock.now();
    const year = yearOf(req.query.year, zonedYear(now, org.timeZone));
    const [policy, obligations] = await Promise.all([
      dutyPolicy(deps.db, a.orgId, duty),
      dutyObligations(deps.db, a.orgId, duty.id, yearWindow(year)),
    ]);
    // Open periods before the plan was tracked from are history: listed, not counted in the states.
    const states = obligations.filter((o) => !isHistoryRow(o)).map((o) => obligationState(o, now));
    const historyCount = obligations.length - states.length;
    // First each unit's current period and whatever is overdue, a page at a time (?page=); the other
    // periods of the year folded below, a page at a time too (?others=).
    const split = splitNow(obligations, now, (o) => o.unit.id);
    const nowPage = pageOf(req.query.page, split.now.length, DUTY_PAGE);
    const othersPage = pageOf(req.query.others, split.rest.length, OTHERS_PAGE);
    const lateUnits = new Set(split.now.filter((o) => obligationState(o, now) === 'overdue').map((o) => o.unit.id));
    const boundUnits = new Set(obligations.filter((o) => !isHistoryRow(o)).map((o) => o.unit.id));
    const thisYear = year === zonedYear(now, org.timeZone);
    const link = (q: Record<string, number>, anchor: string) =>
      `/admin/duties/${duty.id}?year=${year}${Object.entries(q)
        .map(([k, v]) => `&${k}=${v}`)
        .join('')}#${anchor}`;
    const row = (o: (typeof obligations)[number]) =>
      html`<tr><td data-label=""><a href="/admin/units/${o.unit.id}">${o.unit.name}</a></td><td data-label="" class="half short">${t(periodInWords(o.periodKey, 'vi'), periodInWords(o.periodKey, 'en'))}</td><td data-label="" class="half short"><span class="phone-only">${t('hạn', 'due')} </span><a href="/admin/obligations/${o.id}">${shortDate(zonedDay(dueInstant(o), org.timeZone))}</a>${o.extendedTo ? html` <span class="muted">(${t('hạn gốc', 'originally')} ${shortDate(zonedDay(o.dueAt, org.timeZone))})</span>` : ''}</td>${obligationCell(t, o, now)}</tr>`;
    const table = (rows: typeof obligations) =>
      html`<table class="stack"><thead><tr><th>${t('Đơn vị', 'Unit')}</th><th>${t('Kỳ', 'Period')}</th><th>${t('Hạn', 'Due')}</th><th>${t('Trạng thái', 'State')}</th></tr></thead><tbody>
${rows.map(row)}</tbody></table>`;
    const names = (role: 'lead' | 'cooperating') =>
      duty.assignments
        .filter((x) => x.role === role)
        .map((x) => x.unit?.name ?? x.group?.name ?? x.rawName)
        .join('\n');
    // Folded behind its count when long (a group of the whole province is one line, 61 units are not).
    const assignments = (role: 'lead' | 'cooperating', title: string): Html => {
      const rows = duty.assignments.filter((x) => x.role === role);
      return html`<details class="card"${rows.length > 0 && rows.length <= ASSIGNMENTS_OPEN ? raw(' open') : ''}><summary>${title} (${rows.length})</summary>${assignment(rows)}</details>`;
    };
    const assignment = (rows: typeof duty.assignments): Html => {
      if (!rows.length) return html`<p class="muted">—</p>`;
      return html`<ul>${rows.map((x) =>
        x.unit
          ? html`<li><a href="/admin/units/${x.unit.id}">${x.unit.name}</a>${x.unit.proposed ? html` <span class="flag">(${t('đề xuất', 'proposed')})</span>` : ''}${x.rawName !== x.unit.name ? html` <span class="muted">(${t('kế hoạch ghi', 'the plan says')} «${x.rawName}»)</span>` : ''}</li>`
          : html`<li>${t('Nhóm', 'Group')} ${x.group?.name ?? x.rawName} — ${t(`${x.group?.members.length ?? 0} đơn vị`, `${x.group?.members.length ?? 0} units`)}${x.group && x.group.members.length === 0 ? html` <span class="flag">${t('chưa có thành viên: chưa ràng buộc ai', 'no members: binds nobody yet')}</span>` : ''}</li>`,
      )}</ul>`;
    };
    const body = html`<p><a href="/admin/duties">← ${t('Nhiệm vụ', 'Duties')}</a></p>
<h1>${t('TT', 'No.')} ${duty.code}. ${duty.title}</h1>
<p>${t('Kế hoạch', 'Plan')}: <strong>${duty.plan.code}</strong>${duty.plan.title && duty.plan.title !== duty.plan.code ? html`<span class="wide-only"> — ${duty.plan.title}</span>` : ''}${duty.sectionTitle ? html`<br>${t('Mục', 'Section')}: ${duty.section ?? ''} ${duty.sectionTitle}` : ''}${duty.active ? '' : html`<br><strong class="flag">${t('Đã ngừng (không còn trong kế hoạch)', 'Retired (no longer in the plan)')}</strong>`}</p>
<div class="card"><p>${t('Lịch', 'Schedule')}: <strong${!duty.schedule || duty.schedule.kind === 'unparsed' ? html` class="flag"` : ''}>${duty.schedule ? describeSchedule(scheduleFromRow(duty.schedule), a.lang) : '—'}</strong><br>
${t('Thời gian thực hiện (nguyên văn)', 'Timeframe (verbatim)')}: «${duty.timeframe}»</p>
${duty.flags.length ? html`<div class="flag"><strong>${t('Cần xem lại', 'To review')}:</strong><ul>${duty.flags.map((f) => html`<li>${oneLanguage(f, a.lang)}</li>`)}</ul></div>` : ''}
${
  duty.fixedFields.length
    ? html`<p class="muted fixed">${t('Quản trị viên đã sửa', 'Fixed by an administrator')}: ${duty.fixedFields.map((f) => t(...(FIXED_LABEL[f] ?? [f, f]))).join(', ')}. ${t('Nhập lại kế hoạch vẫn giữ các sửa này, trừ khi văn bản đổi đúng ô đó (khi ấy bản xem lại sẽ hỏi).', 'Importing the plan again keeps these fixes, unless the document changed that very cell (the review then asks).')}</p>`
    : ''
}</div>
${
  thisYear && boundUnits.size
    ? html`<p class="big${lateUnits.size ? ' late-text' : ''}">${t(`${lateUnits.size}/${boundUnits.size} đơn vị quá hạn`, `${lateUnits.size}/${boundUnits.size} units overdue`)}</p>${lateUnits.size ? html`<p><a href="/admin/late/${duty.id}" class="button">${t('Danh sách trễ hạn, nhắc tất cả →', 'Late list, remind them all →')}</a></p>` : ''}`
    : ''
}
${stateCounts(t, states, historyCount)}
<h2 id="obligations">${t(`Nghĩa vụ năm ${year}`, `Obligations of ${year}`)} <span class="muted">${t('· kỳ hiện tại và quá hạn', '· current and overdue')}</span></h2>
${
  split.now.length
    ? html`${table(split.now.slice((nowPage.page - 1) * DUTY_PAGE, nowPage.page * DUTY_PAGE))}${pager(t, nowPage.page, nowPage.pages, (n) => link({ page: n }, 'obligations'))}`
    : html`<p class="muted">${obligations.length ? t('Không có kỳ nào đang mở hay quá hạn.', 'No period open or overdue.') : t('Không có nghĩa vụ nào trong năm này.', 'No obligation this year.')}</p>`
}
${
  split.rest.length
    ? html`<details class="card" id="others"${req.query.others !== undefined ? raw(' open') : ''}><summary>${t(`Các kỳ khác năm ${year} (${split.rest.length}: đã xong, sắp tới, lịch sử)`, `Other periods of ${year} (${split.rest.length}: done, to come, history)`)}</summary>
${table(split.rest.slice((othersPage.page - 1) * OTHERS_PAGE, othersPage.page * OTHERS_PAGE))}${pager(t, othersPage.page, othersPage.pages, (n) => link({ page: nowPage.page, others: n }, 'others'))}</details>`
    : ''
}
<form method="get" action="/admin/duties/${duty.id}" class="row"><label>${t('Năm', 'Year')} <input type="text" name="year" value="${year}" size="5" inputmode="numeric" pattern="[0-9]{4}"></label><button type="submit" class="secondary">${t('Xem', 'Show')}</button></form>
<details class="card"${form.error || duty.flags.length ? raw(' open') : ''}><summary>${t('Sửa nhiệm vụ', 'Correct the duty')}</summary>
<form method="post" action="/admin/duties/${duty.id}/fix">${csrfField(req)}
${form.error ? html`<p class="field-error" role="alert">${form.error}</p>` : ''}
<p><label>${t('Tên nhiệm vụ', 'Title')}<br><textarea name="title" rows="3" class="wide" required maxlength="2000">${form.values?.title ?? duty.title}</textarea></label></p>
<p><label>${t('Thời gian thực hiện (như kế hoạch ghi, VD: «Hàng năm», «Trước ngày 15/11», «Quý IV/2026»)', 'Timeframe (as the plan says, e.g. “Hàng năm”, “Trước ngày 15/11”)')}<br><input type="text" name="timeframe" value="${form.values?.timeframe ?? duty.timeframe}" maxlength="300" class="w28"></label></p>
${duty.flags.length ? html`<p><label><input type="checkbox" name="clearFlags" value="yes"${form.values?.clearFlags === 'yes' ? raw(' checked') : ''}> ${t('Đã xem các cờ: xóa cờ', 'Flags reviewed: clear them')}</label></p>` : ''}
<p><button type="submit">${t('Lưu', 'Save')}</button> <span class="muted">${t('Nghĩa vụ năm nay và năm sau được tính lại theo thời hạn mới.', 'This and next year’s obligations follow the new timeframe.')}</span></p></form>
<form method="post" action="/admin/duties/${duty.id}/units">${csrfField(req)}
<div class="row"><label>${t('Đơn vị chủ trì (mỗi dòng một đơn vị hoặc nhóm)', 'Lead units (one unit or group a line)')}<br><textarea name="leads" rows="4" class="w22" required>${form.values?.leads ?? names('lead')}</textarea></label>
<label>${t('Đơn vị phối hợp (mỗi dòng một)', 'Cooperating units (one a line)')}<br><textarea name="cooperating" rows="4" class="w22">${form.values?.cooperating ?? names('cooperating')}</textarea></label></div>
<p><button type="submit">${t('Lưu đơn vị', 'Save the units')}</button> <span class="muted">${t('Tên như kế hoạch ghi hoặc tên khác của đơn vị; nghĩa vụ năm nay và năm sau theo đơn vị mới.', 'Names as the plan writes them or a unit’s alias; this and next year’s obligations follow.')}</span></p></form></details>
${assignments('lead', t('Đơn vị chủ trì', 'Lead units'))}
${assignments('cooperating', t('Đơn vị phối hợp', 'Cooperating units'))}
<details class="card"><summary>${t('Chính sách nhắc', 'Reminder policy')}: ${t(`trước hạn ${policy.policy.leadDays.join(', ')} ngày làm việc`, `${policy.policy.leadDays.join(', ')} working days before`)}</summary>
<table><tbody>${(Object.keys(POLICY_LABEL) as (keyof ReminderPolicy)[]).map(
      (k) =>
        html`<tr><th>${t(...POLICY_LABEL[k])}</th><td>${policyValue(t, policy.policy[k])}</td><td class="muted">${t(...SOURCE_LABEL[policy.source[k]])}</td></tr>`,
    )}</tbody></table>
${policy.unitOverrides ? html`<p class="muted">${t(`${policy.unitOverrides} đơn vị có chính sách riêng, áp dụng cho nghĩa vụ của họ.`, `${policy.unitOverrides} units have a policy of their own, which applies to their obligations.`)}</p>` : ''}
<p><a href="/admin/policies">${t('Sửa chính sách', 'Edit policies')}</a></p></details>`;
    return sendPage(req, reply, {
      title: `${t('TT', 'No.')} ${duty.code}`,
      body,
      ...(form.error
        ? {
            status: 400,
            error: t(
              'Chưa lưu: xem ghi chú ở khung «Sửa nhiệm vụ». Không có gì thay đổi.',
              'Not saved: see the note in “Correct the duty”. Nothing was changed.',
            ),
          }
        : {}),
    });
  };
  scope.get<{ Params: { id: string }; Querystring: { year?: string; page?: string; others?: string } }>(
    '/duties/:id',
    (req, reply) => dutyPage(req, reply),
  );

  scope.post<{ Params: { id: string } }>('/duties/:id/units', async (req, reply) => {
    const a = adminOf(req);
    const t = translator(a.lang);
    const values = {
      leads: field(req.body, 'leads').slice(0, 5000),
      cooperating: field(req.body, 'cooperating').slice(0, 5000),
    };
    const lines = (v: string) => v.split(/\r?\n|;/);
    try {
      const r = await setDutyUnits(
        deps.db,
        a.orgId,
        req.params.id,
        { leads: lines(values.leads), cooperating: lines(values.cooperating) },
        a.actor,
      );
      await reconcileCurrent(deps.db, a.orgId, deps.clock.now(), a.actor);
      return redirectWith(
        reply,
        `/admin/duties/${r.duty.id}`,
        t(
          `Đã lưu đơn vị của nhiệm vụ ${r.duty.code}: ${r.leads} chủ trì, ${r.cooperating} phối hợp.`,
          `Units of duty ${r.duty.code} saved: ${r.leads} lead, ${r.cooperating} cooperating.`,
        ),
      );
    } catch (error) {
      if (!(error instanceof UserError) || error instanceof NotFoundError) throw error;
      return dutyPage(
        req as FastifyRequest<{
          Params: { id: string };
          Querystring: { year?: string; page?: string; others?: string };
        }>,
        reply,
        {
          values,
          error: messageIn(error, a.lang),
        },
      );
    }
  });

  // The fixes the command line makes (dondoc duties fix): the title, the timeframe parsed again,
  // the flags looked at cleared; then this and next year's obligations follow.
  scope.post<{ Params: { id: string } }>('/duties/:id/fix', async (req, reply) => {
    const a = adminOf(req);
    const t = translator(a.lang);
    const duty = await dutyDetail(deps.db, a.orgId, req.params.id);
    if (!duty)
      return dutyPage(
        req as FastifyRequest<{
          Params: { id: string };
          Querystring: { year?: string; page?: string; others?: string };
        }>,
        reply,
      );
    const values = {
      title: field(req.body, 'title').slice(0, 2000),
      timeframe: field(req.body, 'timeframe').slice(0, 300),
      clearFlags: field(req.body, 'clearFlags'),
    };
    const fix: DutyFix = {
      ...(values.title && values.title !== duty.title ? { title: values.title } : {}),
      ...(values.timeframe && values.timeframe !== duty.timeframe ? { timeframe: values.timeframe } : {}),
      ...(values.clearFlags === 'yes' ? { clearFlags: true } : {}),
    };
    const again = (error: string) =>
      dutyPage(
        req as FastifyRequest<{
          Params: { id: string };
          Querystring: { year?: string; page?: string; others?: string };
        }>,
        reply,
        {
          values,
          error,
        },
      );
    if (!values.title) return again(t('Tên nhiệm vụ không được để trống.', 'The title cannot be empty.'));
    if (!Object.keys(fix).length) return again(t('Không có gì thay đổi để lưu.', 'Nothing changed to save.'));
    try {
      await fixDuty(deps.db, a.orgId, duty.plan.code, duty.code, fix, a.actor);
    } catch (error) {
      if (error instanceof UserError) return again(messageIn(error, a.lang));
      throw error;
    }
    const rec = await reconcileCurrent(deps.db, a.orgId, deps.clock.now(), a.actor);
    const created = rec.reduce((n, r) => n + r.created, 0);
    const retired = rec.reduce((n, r) => n + r.retired, 0);
    return redirectWith(
      reply,
      `/admin/duties/${duty.id}`,
      t(
        `Đã sửa nhiệm vụ ${duty.code}. Nghĩa vụ năm nay và năm sau: ${created} mới, ${retired} ngừng.`,
        `Duty ${duty.code} corrected. This and next year's obligations: ${created} new, ${retired} retired.`,
      ),
    );
  });
}
