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
import { html, raw } from '../html.js';
import { webWords, type WebT } from '../words.js';
import type { WebDeps } from '../server.js';

type T = WebT<'policies'>;

const truncate = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** "14, 7, 3 và 1" / "14, 7, 3 and 1". */
function list(ns: number[], t: T): string {
  if (ns.length <= 1) return ns.join('');
  return `${ns.slice(0, -1).join(', ')} ${t('and')} ${ns[ns.length - 1]}`;
}

/** What a policy (or an override, only its fields) means, in words: one phrase per field. */
export function policyPhrases(p: PolicyOverride, t: T): string[] {
  const out: string[] = [];
  if (p.leadDays) {
    const days = [...new Set(p.leadDays)].sort((a, b) => b - a);
    out.push(days.length ? t('remindersDaysWorkingBefore', { days: list(days, t) }) : t('noRemindersBeforeDue'));
  }
  if (p.onDue !== undefined) out.push(p.onDue ? t('reminderDueDate') : t('noReminderDueDate'));
  if (p.overdueEvery !== undefined) {
    out.push(t('overdueNudgeFirstWorking', { overdueEvery: p.overdueEvery }));
  }
  if (p.overdueMax !== undefined) out.push(t('mostOverdueMaxOverdueNudges', { overdueMax: p.overdueMax }));
  if (p.escalateAfter !== undefined) {
    out.push(
      t('escalationUnitHeadEscalateAfter', { escalateAfter: p.escalateAfter, escalateTwice: p.escalateAfter * 2 }),
    );
  }
  if (p.windowStart !== undefined || p.windowEnd !== undefined) {
    out.push(
      t('sentWindowStartWindowEndWorking', { windowStart: p.windowStart ?? '…', windowEnd: p.windowEnd ?? '…' }),
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
  const whole = (name: 'overdueEvery' | 'overdueMax' | 'escalateAfter', min: number, max: number) => {
    const x = v[name] ?? '';
    if (x === '') return;
    if (!/^\d+$/.test(x) || Number(x) < min || Number(x) > max)
      errors[name] = t('wholeNumberFromTo', { field: t(`fieldName.${name}`), min, max });
  };
  const lead = (v.leadDays ?? '').split(/[,;\s]+/).filter(Boolean);
  if (lead.some((x) => !/^\d+$/.test(x) || Number(x) < 1 || Number(x) > 60))
    errors.leadDays = t('leadRemindersNumbersDays');
  else if (lead.length > 10) errors.leadDays = t('leadRemindersMax');
  if (v.onDue && v.onDue !== 'yes' && v.onDue !== 'no') errors.onDue = t('chooseYesNoUnchanged');
  whole('overdueEvery', 1, 30);
  whole('overdueMax', 0, 50);
  whole('escalateAfter', 1, 30);
  for (const name of ['windowStart', 'windowEnd']) {
    const x = v[name] ?? '';
    if (x && !/^([01]\d|2[0-3]):[0-5]\d$/.test(x)) errors[name] = t('timeFormat');
  }
  if (!errors.windowStart && !errors.windowEnd && v.windowStart && v.windowEnd && v.windowStart >= v.windowEnd)
    errors.windowEnd = t('endMustAfterStart');
  return errors;
}

/** A policy's target in words. */
function targetText(target: PolicyTarget | { target: string; kind: 'gone' }, t: T): string {
  switch (target.kind) {
    case 'org':
      return t('wholeOrganisation');
    case 'plan':
      return `${t('plan')} ${target.code}`;
    case 'duty':
      return `${t('duty')} ${target.code} (${target.planCode}): ${truncate(target.title, 120)}`;
    case 'unit':
      return `${t('unit')} ${target.name}`;
    case 'gone':
      return `${t('deleted')} ${target.target}`;
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
    const t = webWords('policies', a.lang);
    const current = await thisYear(a.orgId);
    const yearText = req.query?.year ?? String(current);
    const v = (name: string) => form.values?.[name] ?? '';
    const sel = (name: string, value: string) => (v(name) === value ? raw(' selected') : '');
    const invalid = (name: string) =>
      form.errors?.[name] ? raw(` aria-invalid="true" aria-describedby="err-${name}"`) : '';
    const err = (name: string) =>
      form.errors?.[name] ? html`<br><span class="field-error" id="err-${name}">${form.errors[name]}</span>` : '';
    const year = /^\d{4}$/.test(yearText) ? Number(yearText) : NaN;
    if (!(year >= 2000 && year <= 2100)) throw new UserError(t('invalidYear', { yearText: yearText.slice(0, 20) }));
    const [overview, targets, days] = await Promise.all([
      policyOverview(deps.db, a.orgId),
      policyTargets(deps.db, a.orgId),
      listHolidays(deps.db, a.orgId, year),
    ]);
    const phrases = (p: PolicyOverride) => html`<ul>${policyPhrases(p, t).map((x) => html`<li>${x}</li>`)}</ul>`;

    const policies = html`<h2 id="policies">${t('reminderPolicies')}</h2>
<div class="card"><p>${t('defaultsHeading')}</p>${phrases(DEFAULT_POLICY)}
<p class="muted">${t('eachSettingCanOverridden')}</p>
<p>${t('forceWholeOrganisation')}</p>${phrases(overview.orgPolicy)}</div>
${
  overview.rows.length
    ? html`<table class="policies"><thead><tr><th>${t('target')}</th><th>${t('overrides')}</th><th></th></tr></thead><tbody>${overview.rows.map(
        (r) => html`<tr><td>${targetText(r.target, t)}</td><td>${phrases(r.settings)}</td>
<td><form method="get" action="/admin/ask" class="inline"><input type="hidden" name="do" value="/admin/policies/clear"><input type="hidden" name="target" value="${r.target.target}"><button type="submit" class="danger">${t('removeOverride')}</button></form></td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">${t('noOverridesYet')}</p>`
}
<form method="post" action="/admin/policies" class="card" id="policy-form">${csrfField(req)}
<h3>${t('setOverride')}</h3>${form.error ? html`<p class="field-error" role="alert">${form.error}</p>` : ''}
<p><label for="pol-target">${t('target')}</label><br><select id="pol-target" name="target" required>
<option value="org">${t('wholeOrganisation')}</option>
${targets.plans.length ? html`<optgroup label="${t('plans')}">${targets.plans.map((p) => html`<option value="plan:${p.id}"${sel('target', `plan:${p.id}`)}>${p.code}: ${truncate(p.title, 80)}</option>`)}</optgroup>` : ''}
${targets.duties.length ? html`<optgroup label="${t('duties')}">${targets.duties.map((d) => html`<option value="duty:${d.id}"${sel('target', `duty:${d.id}`)}>${d.planCode} · ${d.code}: ${truncate(d.title, 80)}</option>`)}</optgroup>` : ''}
${targets.units.length ? html`<optgroup label="${t('units')}">${targets.units.map((u) => html`<option value="unit:${u.id}"${sel('target', `unit:${u.id}`)}>${u.name}</option>`)}</optgroup>` : ''}
</select></p>
<p class="muted">${t('leaveBlankWhatStays')}</p>
<div class="row">
<label>${t('leadRemindersWorkingDays')}<br><input type="text" name="leadDays" placeholder="14, 7, 3, 1" inputmode="numeric" value="${v('leadDays')}"${invalid('leadDays')}>${err('leadDays')}</label>
<label>${t('dueDate')}<br><select name="onDue"><option value="">${t('unchanged')}</option><option value="yes"${sel('onDue', 'yes')}>${t('yes')}</option><option value="no"${sel('onDue', 'no')}>${t('no')}</option></select>${err('onDue')}</label>
<label>${t('overdueNudgeEveryWorking')}<br><input type="text" name="overdueEvery" placeholder="3" inputmode="numeric" size="4" value="${v('overdueEvery')}"${invalid('overdueEvery')}>${err('overdueEvery')}</label>
<label>${t('overdueNudgesMost')}<br><input type="text" name="overdueMax" placeholder="10" inputmode="numeric" size="4" value="${v('overdueMax')}"${invalid('overdueMax')}>${err('overdueMax')}</label>
<label>${t('escalateWhenOverdueWorking')}<br><input type="text" name="escalateAfter" placeholder="3" inputmode="numeric" size="4" value="${v('escalateAfter')}"${invalid('escalateAfter')}>${err('escalateAfter')}</label>
<label>${t('sendFrom')}<br><input type="text" name="windowStart" placeholder="08:00" size="6" value="${v('windowStart')}"${invalid('windowStart')}>${err('windowStart')}</label>
<label>${t('until')}<br><input type="text" name="windowEnd" placeholder="17:00" size="6" value="${v('windowEnd')}"${invalid('windowEnd')}>${err('windowEnd')}</label>
</div>
<p><button type="submit">${t('save')}</button></p></form>`;

    const holidays = html`<h2 id="holidays">${t('holidaysSubstituteWorkingDays', { year })}</h2>
<form method="get" action="/admin/policies" class="row"><label>${t('year')} <input type="text" name="year" value="${year}" size="5" inputmode="numeric"></label><button type="submit" class="secondary">${t('show')}</button></form>
<table class="holidays"><thead><tr><th>${t('date')}</th><th>${t('kind')}</th><th>${t('name')}</th><th>${t('source')}</th><th></th></tr></thead><tbody>
${days.map(
  (
    d,
  ) => html`<tr class="${d.kind === 'workday' ? 's-extended' : ''}"><td>${shortDate(d.date)}</td><td>${d.kind === 'holiday' ? t('kindDayOff') : t('kindWorkingDay')}</td><td>${d.name}</td>
<td>${d.source === 'law' ? t('law') : t('administrator')}</td>
<td>${d.source === 'admin' ? html`<form method="get" action="/admin/ask" class="inline"><input type="hidden" name="do" value="/admin/policies/holidays/remove"><input type="hidden" name="date" value="${d.date}"><button type="submit" class="danger">${t('remove')}</button></form>` : ''}</td></tr>`,
)}</tbody></table>
<form method="post" action="/admin/policies/holidays" class="card">${csrfField(req)}
<h3>${t('addDayGovernmentAnnounced')}</h3>
<div class="row">
<label>${t('date')}<br><input type="date" name="date" required></label>
<label>${t('name')}<br><input type="text" name="name" required maxlength="200" placeholder="${t('nationalDaySubstitute')}"></label>
<label>${t('kind')}<br><select name="kind"><option value="holiday">${t('dayOff')}</option><option value="workday">${t('workingDaySubstitute')}</option></select></label>
</div>
<p class="muted">${t('dayYouAddReplaces')}</p>
<p><button type="submit">${t('add')}</button></p></form>`;

    return sendPage(req, reply, {
      status: form.errors || form.error ? 400 : 200,
      error: form.errors || form.error ? t('notSavedSomeFields') : null,
      title: t('policiesHolidays'),
      body: html`<h1>${t('reminderPoliciesHolidays')}</h1>${policies}${holidays}`,
    });
  };
  scope.get<{ Querystring: { year?: string } }>('/policies', (req, reply) => policiesPage(req, reply));

  scope.post('/policies', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('policies', a.lang);
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
          error: t('nothingSaveEveryField'),
        });
      const merged = await setPolicy(deps.db, a.orgId, target.target, settings, a.actor);
      return redirectWith(
        reply,
        '/admin/policies',
        `${t('policySaved')}: ${targetText(target, t)}: ${policyPhrases(merged, t).join('; ')}`,
      );
    } catch (error) {
      if (error instanceof UserError) return again({ error: messageIn(error, a.lang) });
      throw error;
    }
  });

  scope.post('/policies/clear', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('policies', a.lang);
    const target = field(req.body, 'target');
    // A target whose plan, duty or unit was deleted can still be cleared; anything else must be this organisation's.
    const removed = await clearPolicy(deps.db, a.orgId, target, a.actor);
    if (!removed) throw new UserError(t('thereNoOverrideTarget'));
    return redirectWith(reply, '/admin/policies', t('overrideRemovedWiderPolicy'));
  });

  scope.post('/policies/holidays', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('policies', a.lang);
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
      `${shortDate(date)}: ${row.kind === 'holiday' ? t('dayOff') : t('workingDay')}: ${row.name}`,
    );
  });

  scope.post('/policies/holidays/remove', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('policies', a.lang);
    const date = field(req.body, 'date');
    const removed = await removeHoliday(deps.db, a.orgId, date, a.actor);
    // The form sends the day as YYYY-MM-DD; people read it day first.
    const shown = /^\d{4}-\d{2}-\d{2}$/.test(date) ? shortDate(date) : date;
    if (!removed) throw new UserError(t('thereNoAdministratorsDay', { date: shown }));
    await reconcileCurrent(deps.db, a.orgId, deps.clock.now(), a.actor);
    const year = /^\d{4}-/.test(date) ? `?year=${date.slice(0, 4)}` : '';
    return redirectWith(reply, `/admin/policies${year}#holidays`, t('removedDate', { date: shown }));
  });
}
