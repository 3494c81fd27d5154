import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_POLICY, type PolicyOverride } from '#root/domain/policy.js';
import { shortDate } from '#root/domain/wording.js';
import { zonedYear } from '#root/domain/zoned-day.js';
import { UserError } from '#root/errors/index.js';
import { listHolidays, removeHoliday, setHoliday } from '#root/services/holidays.js';
import { reconcileCurrent } from '#root/services/obligations.js';
import {
  clearPolicy,
  policyInput,
  policyOverview,
  policyTargets,
  resolvePolicyTarget,
  setPolicy,
  type PolicyTarget,
} from '#root/services/policies.js';
import { adminOf, csrfField, field, messageIn, redirectWith, sendPage } from '../admin.js';
import { html, raw, translator } from '../html.js';
import type { WebDeps } from '../server.js';

type T = (vi: string, en: string) => string;

const truncate = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** "14, 7, 3 và 1" / "14, 7, 3 and 1". */
function list(ns: number[], t: T): string {
  if (ns.length <= 1) return ns.join('');
  return `${ns.slice(0, -1).join(', ')} ${t('và', 'and')} ${ns[ns.length - 1]}`;
}

/** What a policy (or an override, only its fields) means, in words: one phrase per field. */
export function policyPhrases(p: PolicyOverride, t: T): string[] {
  const out: string[] = [];
  if (p.leadDays) {
    const days = [...new Set(p.leadDays)].sort((a, b) => b - a);
    out.push(
      days.length
        ? t(
            `nhắc trước hạn ${list(days, t)} ngày làm việc`,
            `reminders ${list(days, t)} working days before the due date`,
          )
        : t('không nhắc trước hạn', 'no reminders before the due date'),
    );
  }
  if (p.onDue !== undefined)
    out.push(
      p.onDue
        ? t('nhắc đúng ngày hạn', 'a reminder on the due date')
        : t('không nhắc đúng ngày hạn', 'no reminder on the due date'),
    );
  if (p.overdueEvery !== undefined) {
    out.push(
      t(
        `quá hạn: nhắc ngày làm việc đầu tiên sau hạn, rồi cứ ${p.overdueEvery} ngày làm việc một lần`,
        `overdue: a nudge on the first working day after, then every ${p.overdueEvery} working days`,
      ),
    );
  }
  if (p.overdueMax !== undefined)
    out.push(t(`nhắc quá hạn tối đa ${p.overdueMax} lần`, `at most ${p.overdueMax} overdue nudges`));
  if (p.escalateAfter !== undefined) {
    out.push(
      t(
        `báo lãnh đạo đơn vị khi quá hạn ${p.escalateAfter} ngày làm việc, báo quản trị viên khi quá hạn ${p.escalateAfter * 2} ngày`,
        `escalation to the unit head ${p.escalateAfter} working days overdue, to the administrators at ${p.escalateAfter * 2}`,
      ),
    );
  }
  if (p.windowStart !== undefined || p.windowEnd !== undefined) {
    out.push(
      t(
        `giờ gửi ${p.windowStart ?? '…'}–${p.windowEnd ?? '…'} ngày làm việc`,
        `sent ${p.windowStart ?? '…'}–${p.windowEnd ?? '…'} on working days`,
      ),
    );
  }
  return out;
}

/**
 * Each field of the policy form checked as the policy's schema will (src/domain/policy.ts), with a
 * message in the page's language beside the field: a clear sentence, never the schema's words.
 */
export function policyFieldErrors(v: Record<string, string>, t: T): Record<string, string> {
  const errors: Record<string, string> = {};
  const whole = (name: string, min: number, max: number, vi: string, en: string) => {
    const x = v[name] ?? '';
    if (x === '') return;
    if (!/^\d+$/.test(x) || Number(x) < min || Number(x) > max)
      errors[name] = t(`${vi}: một số nguyên từ ${min} đến ${max}.`, `${en}: a whole number from ${min} to ${max}.`);
  };
  const lead = (v.leadDays ?? '').split(/[,;\s]+/).filter(Boolean);
  if (lead.some((x) => !/^\d+$/.test(x) || Number(x) < 1 || Number(x) > 60))
    errors.leadDays = t(
      'Nhắc trước hạn: các số ngày từ 1 đến 60, cách nhau bởi dấu phẩy (VD: 14, 7, 3, 1).',
      'Lead reminders: numbers of days from 1 to 60, comma separated (e.g. 14, 7, 3, 1).',
    );
  else if (lead.length > 10) errors.leadDays = t('Nhắc trước hạn: tối đa 10 lần.', 'Lead reminders: at most 10.');
  if (v.onDue && v.onDue !== 'yes' && v.onDue !== 'no')
    errors.onDue = t('Chọn «có», «không» hoặc «giữ nguyên».', 'Choose “yes”, “no” or “unchanged”.');
  whole('overdueEvery', 1, 30, 'Nhắc quá hạn mỗi', 'Overdue every');
  whole('overdueMax', 0, 50, 'Số lần nhắc quá hạn', 'Overdue nudges');
  whole('escalateAfter', 1, 30, 'Báo lãnh đạo sau', 'Escalate after');
  for (const name of ['windowStart', 'windowEnd']) {
    const x = v[name] ?? '';
    if (x && !/^([01]\d|2[0-3]):[0-5]\d$/.test(x))
      errors[name] = t(
        'Giờ dạng HH:MM, từ 00:00 đến 23:59 (VD: 08:00).',
        'A time as HH:MM, 00:00 to 23:59 (e.g. 08:00).',
      );
  }
  if (!errors.windowStart && !errors.windowEnd && v.windowStart && v.windowEnd && v.windowStart >= v.windowEnd)
    errors.windowEnd = t('Giờ kết thúc phải sau giờ bắt đầu.', 'The end must be after the start.');
  return errors;
}

/** A policy's target in words. */
function targetText(target: PolicyTarget | { target: string; kind: 'gone' }, t: T): string {
  switch (target.kind) {
    case 'org':
      return t('Cả tổ chức', 'The whole organisation');
    case 'plan':
      return `${t('Kế hoạch', 'Plan')} ${target.code}`;
    case 'duty':
      return `${t('Nhiệm vụ', 'Duty')} ${target.code} (${target.planCode}): ${truncate(target.title, 120)}`;
    case 'unit':
      return `${t('Đơn vị', 'Unit')} ${target.name}`;
    case 'gone':
      return `${t('(đã xóa)', '(deleted)')} ${target.target}`;
  }
}

/**
 * Administrators' pages: reminder policies (SPEC §4: the organisation's default, overrides per
 * plan, duty and unit, the most specific winning field by field) and the year's holidays (the
 * law's days and the administrator's own, substitute working days among them).
 */
export function registerPolicyPages(scope: FastifyInstance, deps: WebDeps): void {
  const thisYear = async (orgId: string) => {
    const org = await deps.db.organisation.findUniqueOrThrow({ where: { id: orgId } });
    return zonedYear(deps.clock.now(), org.timeZone);
  };

  /** The page; after a refused form, with what was typed and a message beside each wrong field. */
  const policiesPage = async (
    req: FastifyRequest<{ Querystring: { year?: string } }>,
    reply: FastifyReply,
    form: { values?: Record<string, string>; errors?: Record<string, string>; error?: string } = {},
  ) => {
    const a = adminOf(req);
    const t = translator(a.lang);
    const current = await thisYear(a.orgId);
    const yearText = req.query?.year ?? String(current);
    const v = (name: string) => form.values?.[name] ?? '';
    const sel = (name: string, value: string) => (v(name) === value ? raw(' selected') : '');
    const invalid = (name: string) =>
      form.errors?.[name] ? raw(` aria-invalid="true" aria-describedby="err-${name}"`) : '';
    const err = (name: string) =>
      form.errors?.[name] ? html`<br><span class="field-error" id="err-${name}">${form.errors[name]}</span>` : '';
    const year = /^\d{4}$/.test(yearText) ? Number(yearText) : NaN;
    if (!(year >= 2000 && year <= 2100))
      throw new UserError(
        t(
          `Năm «${yearText.slice(0, 20)}» không hợp lệ (2000–2100).`,
          `Invalid year «${yearText.slice(0, 20)}» (2000–2100).`,
        ),
      );
    const [overview, targets, days] = await Promise.all([
      policyOverview(deps.db, a.orgId),
      policyTargets(deps.db, a.orgId),
      listHolidays(deps.db, a.orgId, year),
    ]);
    const phrases = (p: PolicyOverride) => html`<ul>${policyPhrases(p, t).map((x) => html`<li>${x}</li>`)}</ul>`;

    const policies = html`<h2 id="policies">${t('Chính sách nhắc', 'Reminder policies')}</h2>
<div class="card"><p>${t('Mặc định (SPEC §4):', 'Defaults (SPEC §4):')}</p>${phrases(DEFAULT_POLICY)}
<p class="muted">${t(
      'Mỗi thiết lập có thể đặt lại cho cả tổ chức, cho một kế hoạch, một nhiệm vụ hoặc một đơn vị; thiết lập cụ thể nhất được áp dụng, từng mục một. Ngày nghỉ, cuối tuần được bỏ qua; nhắc rơi ngoài giờ gửi được dời về giờ gửi của ngày làm việc trước đó.',
      'Each setting can be overridden for the whole organisation, a plan, a duty or a unit; the most specific applies, field by field. Weekends and holidays are skipped; a reminder outside the sending window moves to the previous working day’s window.',
    )}</p>
<p>${t('Đang áp dụng cho cả tổ chức:', 'In force for the whole organisation:')}</p>${phrases(overview.orgPolicy)}</div>
${
  overview.rows.length
    ? html`<table class="policies"><thead><tr><th>${t('Phạm vi', 'Target')}</th><th>${t('Thiết lập riêng', 'Overrides')}</th><th></th></tr></thead><tbody>${overview.rows.map(
        (r) => html`<tr><td>${targetText(r.target, t)}</td><td>${phrases(r.settings)}</td>
<td><form method="get" action="/admin/ask" class="inline"><input type="hidden" name="do" value="/admin/policies/clear"><input type="hidden" name="target" value="${r.target.target}"><button type="submit" class="danger">${t('Bỏ thiết lập riêng', 'Remove override')}</button></form></td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">${t('Chưa có thiết lập riêng nào.', 'No overrides yet.')}</p>`
}
<form method="post" action="/admin/policies" class="card" id="policy-form">${csrfField(req)}
<h3>${t('Đặt thiết lập riêng', 'Set an override')}</h3>${form.error ? html`<p class="field-error" role="alert">${form.error}</p>` : ''}
<p><label for="pol-target">${t('Phạm vi', 'Target')}</label><br><select id="pol-target" name="target" required>
<option value="org">${t('Cả tổ chức', 'The whole organisation')}</option>
${targets.plans.length ? html`<optgroup label="${t('Kế hoạch', 'Plans')}">${targets.plans.map((p) => html`<option value="plan:${p.id}"${sel('target', `plan:${p.id}`)}>${p.code}: ${truncate(p.title, 80)}</option>`)}</optgroup>` : ''}
${targets.duties.length ? html`<optgroup label="${t('Nhiệm vụ', 'Duties')}">${targets.duties.map((d) => html`<option value="duty:${d.id}"${sel('target', `duty:${d.id}`)}>${d.planCode} · ${d.code}: ${truncate(d.title, 80)}</option>`)}</optgroup>` : ''}
${targets.units.length ? html`<optgroup label="${t('Đơn vị', 'Units')}">${targets.units.map((u) => html`<option value="unit:${u.id}"${sel('target', `unit:${u.id}`)}>${u.name}</option>`)}</optgroup>` : ''}
</select></p>
<p class="muted">${t('Để trống những ô giữ nguyên.', 'Leave blank what stays as it is.')}</p>
<div class="row">
<label>${t('Nhắc trước hạn (ngày làm việc, cách nhau bởi dấu phẩy)', 'Lead reminders (working days, comma separated)')}<br><input type="text" name="leadDays" placeholder="14, 7, 3, 1" inputmode="numeric" value="${v('leadDays')}"${invalid('leadDays')}>${err('leadDays')}</label>
<label>${t('Nhắc đúng ngày hạn', 'On the due date')}<br><select name="onDue"><option value="">${t('giữ nguyên', 'unchanged')}</option><option value="yes"${sel('onDue', 'yes')}>${t('có', 'yes')}</option><option value="no"${sel('onDue', 'no')}>${t('không', 'no')}</option></select>${err('onDue')}</label>
<label>${t('Quá hạn: nhắc mỗi (ngày làm việc)', 'Overdue: nudge every (working days)')}<br><input type="text" name="overdueEvery" placeholder="3" inputmode="numeric" size="4" value="${v('overdueEvery')}"${invalid('overdueEvery')}>${err('overdueEvery')}</label>
<label>${t('Số lần nhắc quá hạn tối đa', 'Overdue nudges at most')}<br><input type="text" name="overdueMax" placeholder="10" inputmode="numeric" size="4" value="${v('overdueMax')}"${invalid('overdueMax')}>${err('overdueMax')}</label>
<label>${t('Báo lãnh đạo khi quá hạn (ngày làm việc)', 'Escalate when overdue (working days)')}<br><input type="text" name="escalateAfter" placeholder="3" inputmode="numeric" size="4" value="${v('escalateAfter')}"${invalid('escalateAfter')}>${err('escalateAfter')}</label>
<label>${t('Giờ gửi từ', 'Send from')}<br><input type="text" name="windowStart" placeholder="08:00" size="6" value="${v('windowStart')}"${invalid('windowStart')}>${err('windowStart')}</label>
<label>${t('đến', 'until')}<br><input type="text" name="windowEnd" placeholder="17:00" size="6" value="${v('windowEnd')}"${invalid('windowEnd')}>${err('windowEnd')}</label>
</div>
<p><button type="submit">${t('Lưu thiết lập', 'Save')}</button></p></form>`;

    const holidays = html`<h2 id="holidays">${t(`Ngày nghỉ và ngày làm bù năm ${year}`, `Holidays and substitute working days of ${year}`)}</h2>
<form method="get" action="/admin/policies" class="row"><label>${t('Năm', 'Year')} <input type="text" name="year" value="${year}" size="5" inputmode="numeric"></label><button type="submit" class="secondary">${t('Xem', 'Show')}</button></form>
<table class="holidays"><thead><tr><th>${t('Ngày', 'Date')}</th><th>${t('Loại', 'Kind')}</th><th>${t('Tên', 'Name')}</th><th>${t('Nguồn', 'Source')}</th><th></th></tr></thead><tbody>
${days.map(
  (
    d,
  ) => html`<tr class="${d.kind === 'workday' ? 's-extended' : ''}"><td>${shortDate(d.date)}</td><td>${d.kind === 'holiday' ? t('nghỉ', 'day off') : t('làm bù', 'working day')}</td><td>${d.name}</td>
<td>${d.source === 'law' ? t('luật', 'law') : t('quản trị viên', 'administrator')}</td>
<td>${d.source === 'admin' ? html`<form method="get" action="/admin/ask" class="inline"><input type="hidden" name="do" value="/admin/policies/holidays/remove"><input type="hidden" name="date" value="${d.date}"><button type="submit" class="danger">${t('Xóa', 'Remove')}</button></form>` : ''}</td></tr>`,
)}</tbody></table>
<form method="post" action="/admin/policies/holidays" class="card">${csrfField(req)}
<h3>${t('Thêm ngày theo thông báo của Chính phủ', 'Add a day the government announced')}</h3>
<div class="row">
<label>${t('Ngày', 'Date')}<br><input type="date" name="date" required></label>
<label>${t('Tên', 'Name')}<br><input type="text" name="name" required maxlength="200" placeholder="${t('Nghỉ bù Quốc khánh', 'National Day substitute')}"></label>
<label>${t('Loại', 'Kind')}<br><select name="kind"><option value="holiday">${t('ngày nghỉ', 'day off')}</option><option value="workday">${t('ngày làm việc (làm bù)', 'working day (substitute)')}</option></select></label>
</div>
<p class="muted">${t('Một ngày quản trị viên thêm thay cho ngày luật định cùng ngày; xóa đi thì ngày luật định áp dụng lại.', 'A day you add replaces the law’s entry for that date; removing it brings the law’s entry back.')}</p>
<p><button type="submit">${t('Thêm', 'Add')}</button></p></form>`;

    return sendPage(req, reply, {
      status: form.errors || form.error ? 400 : 200,
      error:
        form.errors || form.error
          ? t(
              'Chưa lưu: có ô chưa đúng, xem ghi chú đỏ bên dưới. Không có gì thay đổi; những gì đã nhập vẫn còn.',
              'Not saved: some fields are wrong, see the notes below. Nothing was changed; what you typed is kept.',
            )
          : null,
      title: t('Chính sách, ngày nghỉ', 'Policies, holidays'),
      body: html`<h1>${t('Chính sách nhắc và ngày nghỉ', 'Reminder policies and holidays')}</h1>${policies}${holidays}`,
    });
  };
  scope.get<{ Querystring: { year?: string } }>('/policies', (req, reply) => policiesPage(req, reply));

  scope.post('/policies', async (req, reply) => {
    const a = adminOf(req);
    const t = translator(a.lang);
    const names = [
      'target',
      'leadDays',
      'onDue',
      'overdueEvery',
      'overdueMax',
      'escalateAfter',
      'windowStart',
      'windowEnd',
    ];
    const values = Object.fromEntries(names.map((n) => [n, field(req.body, n).slice(0, 200)]));
    const errors = policyFieldErrors(values, t);
    const again = (more: { errors?: Record<string, string>; error?: string }) =>
      policiesPage(req as FastifyRequest<{ Querystring: { year?: string } }>, reply, { values, ...more });
    if (Object.keys(errors).length) return again({ errors });
    try {
      const target = await resolvePolicyTarget(deps.db, a.orgId, values.target!);
      const settings = policyInput(values);
      if (!Object.keys(settings).length)
        return again({
          error: t('Chưa có thiết lập nào để lưu (mọi ô đều trống).', 'Nothing to save (every field is blank).'),
        });
      const merged = await setPolicy(deps.db, a.orgId, target.target, settings, a.actor);
      return redirectWith(
        reply,
        '/admin/policies',
        `${t('Đã lưu chính sách', 'Policy saved')}: ${targetText(target, t)}: ${policyPhrases(merged, t).join('; ')}`,
      );
    } catch (error) {
      if (error instanceof UserError) return again({ error: messageIn(error, a.lang) });
      throw error;
    }
  });

  scope.post('/policies/clear', async (req, reply) => {
    const a = adminOf(req);
    const t = translator(a.lang);
    const target = field(req.body, 'target');
    // A target whose plan, duty or unit was deleted can still be cleared; anything else must be this organisation's.
    const removed = await clearPolicy(deps.db, a.orgId, target, a.actor);
    if (!removed)
      throw new UserError(t('Không có thiết lập riêng nào cho phạm vi này.', 'There is no override for this target.'));
    return redirectWith(
      reply,
      '/admin/policies',
      t('Đã bỏ thiết lập riêng; áp dụng lại chính sách chung.', 'Override removed; the wider policy applies again.'),
    );
  });

  scope.post('/policies/holidays', async (req, reply) => {
    const a = adminOf(req);
    const t = translator(a.lang);
    const row = await setHoliday(
      deps.db,
      a.orgId,
      { date: field(req.body, 'date'), name: field(req.body, 'name'), kind: field(req.body, 'kind') },
      a.actor,
    );
    // Check-ins fall due on the last working day of their period: a day off can move them.
    await reconcileCurrent(deps.db, a.orgId, deps.clock.now(), a.actor);
    const date = row.date.toISOString().slice(0, 10);
    return redirectWith(
      reply,
      `/admin/policies?year=${date.slice(0, 4)}#holidays`,
      `${shortDate(date)}: ${row.kind === 'holiday' ? t('ngày nghỉ', 'day off') : t('ngày làm việc', 'working day')}: ${row.name}`,
    );
  });

  scope.post('/policies/holidays/remove', async (req, reply) => {
    const a = adminOf(req);
    const t = translator(a.lang);
    const date = field(req.body, 'date');
    const removed = await removeHoliday(deps.db, a.orgId, date, a.actor);
    if (!removed)
      throw new UserError(
        t(`Không có ngày nào quản trị viên đã thêm vào ${date}.`, `There is no administrator's day on ${date}.`),
      );
    await reconcileCurrent(deps.db, a.orgId, deps.clock.now(), a.actor);
    const year = /^\d{4}-/.test(date) ? `?year=${date.slice(0, 4)}` : '';
    return redirectWith(reply, `/admin/policies${year}#holidays`, t(`Đã xóa ngày ${date}.`, `Removed ${date}.`));
  });
}
