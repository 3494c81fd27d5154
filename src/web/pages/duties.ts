import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { dueInstant, obligationState } from '#root/domain/obligation-state.js';
import { DEFAULT_POLICY, type ReminderPolicy } from '#root/domain/policy.js';
import { describeSchedule, periodInWords, shortDate } from '#root/domain/wording.js';
import { yearWindow, zonedDay, zonedYear } from '#root/domain/zoned-day.js';
import { dutyDetail, dutyObligations, dutyOverview, dutyPolicy, listPlans } from '#root/services/duties.js';
import { scheduleFromRow } from '#root/services/schedules.js';
import { NotFoundError, UserError } from '#root/errors/index.js';
import { setDutyUnits } from '#root/services/duty-units.js';
import { reconcileCurrent } from '#root/services/obligations.js';
import { fixDuty, type DutyFix } from '#root/services/plans.js';
import { adminOf, csrfField, field, messageIn, oneLanguage, redirectWith, sendPage } from '../admin.js';
import { html, raw, type Html } from '../html.js';
import { isWebKey, webWords, type WebT } from '../words.js';
import type { WebDeps } from '../server.js';
import { pageOf, pager, splitNow, stateCounts } from './periods.js';
import { isHistoryRow, obligationCell } from './units.js';

type T = WebT<'duties'>;
/**
 * The reminder policy's fields, in the order the duty's page lists them (the defaults' order): each
 * named by `policy.<field>`, where it comes from by `source.<source>` (locales/<lang>/duties.json).
 */
const POLICY_FIELDS = Object.keys(DEFAULT_POLICY) as (keyof ReminderPolicy)[];

/** A field an administrator fixed, in words (`fixed.<field>`), or as it is stored. */
const fixedIn = (t: T, field: string) => {
  const key = `fixed.${field}`;
  return isWebKey('duties', key) ? t(key) : field;
};

const policyValue = (t: T, v: ReminderPolicy[keyof ReminderPolicy]) =>
  Array.isArray(v) ? v.join(', ') : typeof v === 'boolean' ? (v ? t('yes') : t('no')) : String(v);

const yearOf = (raw: unknown, fallback: number) => {
  const y = typeof raw === 'string' && /^\d{4}$/.test(raw) ? Number(raw) : NaN;
  return y >= 2000 && y <= 2100 ? y : fallback;
};

/** Units of a duty shown at once on its page (its current and overdue periods), and of its other periods. */
export const DUTY_PAGE = 10;
export const OTHERS_PAGE = 20;
/** The longest title and timeframe the duty's form takes (its fields' `maxlength`). */
const DUTY_TITLE_MAX = 2000;
const DUTY_TIMEFRAME_MAX = 300;
/** Lead or cooperating units listed open up to this many; more are folded behind their count. */
const ASSIGNMENTS_OPEN = 4;

/** Administrators' pages: the duties of the organisation's plans, and each duty's page. */
export function registerDutyPages(scope: FastifyInstance, deps: WebDeps): void {
  scope.get<{ Querystring: { plan?: string; q?: string } }>('/duties', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('duties', a.lang);
    const plan = typeof req.query.plan === 'string' ? req.query.plan.trim().slice(0, 100) : '';
    const q = typeof req.query.q === 'string' ? req.query.q.trim().slice(0, 200) : '';
    const [plans, duties] = await Promise.all([
      listPlans(deps.db, a.orgId),
      dutyOverview(deps.db, a.orgId, { plan, query: q }),
    ]);
    const flagged = duties.filter((d) => d.flags.length).length;
    const body = html`<h1>${t('duties')}</h1>
<form method="get" action="/admin/duties" class="row" role="search">
<label>${t('plan')}<br><select name="plan"><option value="">${t('all')}</option>${plans.map((p) => html`<option value="${p.code}"${p.code === plan ? html` selected` : ''}>${p.code}</option>`)}</select></label>
<label>${t('filterNumberTitle')}<br><input type="text" name="q" value="${q}" maxlength="200"></label>
<button type="submit">${t('filter')}</button></form>
<p class="muted">${t('dutiesCountDuties', { dutiesCount: duties.length })}${flagged ? t('flaggedReviewHighlighted', { flagged }) : ''}.</p>
${
  duties.length
    ? html`<table class="stack"><thead><tr><th>${t('plan')}</th><th>${t('noSentence')}</th><th>${t('duty')}</th><th>${t('lead')}</th><th>${t('cooperating')}</th><th>${t('schedule')}</th><th>${t('review')}</th></tr></thead><tbody>
${duties.map((d) => {
  const leads = d.assignments.filter((x) => x.role === 'lead').map((x) => x.unit?.name ?? x.group?.name ?? x.rawName);
  const coop = d.assignments.filter((x) => x.role === 'cooperating').length;
  const schedule = d.schedule ? describeSchedule(scheduleFromRow(d.schedule), a.lang) : '—';
  const unparsed = !d.schedule || d.schedule.kind === 'unparsed';
  return html`<tr${d.flags.length ? html` class="flag"` : ''}><td data-label="" class="half short muted">${d.plan.code}</td><td data-label="" class="half short"><a href="/admin/duties/${d.id}">${d.code}</a></td><td data-label="" class="clamp">${d.title}</td><td data-label="${t('lead')}">${leads.join('; ') || '—'}</td><td data-label="${t('cooperating')}">${coop}</td>
<td data-label="${t('schedule')}"${unparsed ? html` class="flag"` : ''}>${schedule}</td>${d.flags.length ? html`<td data-label="${t('review')}"><ul class="flags-list">${d.flags.map((f) => html`<li>${oneLanguage(f, a.lang)}</li>`)}</ul></td>` : html`<td data-label=""></td>`}</tr>`;
})}</tbody></table>`
    : html`<p>${t('noDutyMatches')} <a href="/admin/import">${t('importPlan')}</a></p>`
}`;
    return sendPage(req, reply, { title: t('duties'), body });
  });

  /** A duty's page; after a refused fix, with what was typed and the message beside the form. */
  const dutyPage = async (
    req: FastifyRequest<{ Params: { id: string }; Querystring: { year?: string; page?: string; others?: string } }>,
    reply: FastifyReply,
    form: { values?: Record<string, string>; error?: string } = {},
  ) => {
    const a = adminOf(req);
    const t = webWords('duties', a.lang);
    const duty = await dutyDetail(deps.db, a.orgId, req.params.id);
    if (!duty) {
      return sendPage(req, reply, {
        status: 404,
        title: t('notFound'),
        body: html`<h1>${t('noSuchDuty')}</h1><p><a href="/admin/duties">${t('backDuties')}</a></p>`,
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
      html`<tr><td data-label=""><a href="/admin/units/${o.unit.id}">${o.unit.name}</a></td><td data-label="" class="half short">${periodInWords(o.periodKey, t.lang)}</td><td data-label="" class="half short"><span class="phone-only">${t('due')} </span><a href="/admin/obligations/${o.id}">${shortDate(zonedDay(dueInstant(o), org.timeZone))}</a>${o.extendedTo ? html` <span class="muted">(${t('originally')} ${shortDate(zonedDay(o.dueAt, org.timeZone))})</span>` : ''}</td>${obligationCell(t.lang, o, now)}</tr>`;
    const table = (rows: typeof obligations) =>
      html`<table class="stack"><thead><tr><th>${t('unit')}</th><th>${t('period')}</th><th>${t('dueCapital')}</th><th>${t('state')}</th></tr></thead><tbody>
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
          ? html`<li><a href="/admin/units/${x.unit.id}">${x.unit.name}</a>${x.unit.proposed ? html` <span class="flag">(${t('proposed')})</span>` : ''}${x.rawName !== x.unit.name ? html` <span class="muted">(${t('planSays')} «${x.rawName}»)</span>` : ''}</li>`
          : html`<li>${t('group')} ${x.group?.name ?? x.rawName} — ${t('membersUnits', { members: x.group?.members.length ?? 0 })}${x.group && x.group.members.length === 0 ? html` <span class="flag">${t('noMembersBindsNobody')}</span>` : ''}</li>`,
      )}</ul>`;
    };
    const body = html`<p><a href="/admin/duties">← ${t('duties')}</a></p>
<h1>${t('noSentence')} ${duty.code}. ${duty.title}</h1>
<p>${t('plan')}: <strong>${duty.plan.code}</strong>${duty.plan.title && duty.plan.title !== duty.plan.code ? html`<span class="wide-only"> — ${duty.plan.title}</span>` : ''}${duty.sectionTitle ? html`<br>${t('section')}: ${duty.section ?? ''} ${duty.sectionTitle}` : ''}${duty.active ? '' : html`<br><strong class="flag">${t('retiredNoLongerPlan')}</strong>`}</p>
<div class="card"><p>${t('schedule')}: <strong${!duty.schedule || duty.schedule.kind === 'unparsed' ? html` class="flag"` : ''}>${duty.schedule ? describeSchedule(scheduleFromRow(duty.schedule), a.lang) : '—'}</strong><br>
${t('timeframeVerbatim')}: «${duty.timeframe}»</p>
${duty.flags.length ? html`<div class="flag"><strong>${t('review')}:</strong><ul>${duty.flags.map((f) => html`<li>${oneLanguage(f, a.lang)}</li>`)}</ul></div>` : ''}
${
  duty.fixedFields.length
    ? html`<p class="muted fixed">${t('fixedAdministrator')}: ${duty.fixedFields.map((f) => fixedIn(t, f)).join(', ')}. ${t('importingPlanAgainKeeps')}</p>`
    : ''
}</div>
${
  thisYear && boundUnits.size
    ? html`<p class="big${lateUnits.size ? ' late-text' : ''}">${t('unitsOverdueOfBound', { lateUnitsCount: lateUnits.size, boundUnitsCount: boundUnits.size })}</p>${lateUnits.size ? html`<p><a href="/admin/late/${duty.id}" class="button">${t('lateListRemindThem')}</a></p>` : ''}`
    : ''
}
${stateCounts(t.lang, states, historyCount)}
<h2 id="obligations">${t('obligationsYear', { year })} <span class="muted">${t('currentOverdue')}</span></h2>
${
  split.now.length
    ? html`${table(split.now.slice((nowPage.page - 1) * DUTY_PAGE, nowPage.page * DUTY_PAGE))}${pager(t.lang, nowPage.page, nowPage.pages, (n) => link({ page: n }, 'obligations'))}`
    : html`<p class="muted">${obligations.length ? t('noPeriodOpenOverdue') : t('noObligationYear')}</p>`
}
${
  split.rest.length
    ? html`<details class="card" id="others"${req.query.others !== undefined ? raw(' open') : ''}><summary>${t('otherPeriodsYearRestCount', { year, restCount: split.rest.length })}</summary>
${table(split.rest.slice((othersPage.page - 1) * OTHERS_PAGE, othersPage.page * OTHERS_PAGE))}${pager(t.lang, othersPage.page, othersPage.pages, (n) => link({ page: nowPage.page, others: n }, 'others'))}</details>`
    : ''
}
<form method="get" action="/admin/duties/${duty.id}" class="row"><label>${t('year')} <input type="text" name="year" value="${year}" size="5" inputmode="numeric" pattern="[0-9]{4}"></label><button type="submit" class="secondary">${t('show')}</button></form>
<details class="card"${form.error || duty.flags.length ? raw(' open') : ''}><summary>${t('correctDuty')}</summary>
<form method="post" action="/admin/duties/${duty.id}/fix">${csrfField(req)}
${form.error ? html`<p class="field-error" role="alert">${form.error}</p>` : ''}
<p><label>${t('title')}<br><textarea name="title" rows="3" class="wide" required maxlength="${DUTY_TITLE_MAX}">${form.values?.title ?? duty.title}</textarea></label></p>
<p><label>${t('timeframePlanSaysE')}<br><input type="text" name="timeframe" value="${form.values?.timeframe ?? duty.timeframe}" maxlength="${DUTY_TIMEFRAME_MAX}" class="w28"></label></p>
${duty.flags.length ? html`<p><label><input type="checkbox" name="clearFlags" value="yes"${form.values?.clearFlags === 'yes' ? raw(' checked') : ''}> ${t('flagsReviewedClearThem')}</label></p>` : ''}
<p><button type="submit">${t('save')}</button> <span class="muted">${t('nextYearObligationsFollow')}</span></p></form>
<form method="post" action="/admin/duties/${duty.id}/units">${csrfField(req)}
<div class="row"><label>${t('leadUnitsOneUnit')}<br><textarea name="leads" rows="4" class="w22" required>${form.values?.leads ?? names('lead')}</textarea></label>
<label>${t('cooperatingUnitsOneLine')}<br><textarea name="cooperating" rows="4" class="w22">${form.values?.cooperating ?? names('cooperating')}</textarea></label></div>
<p><button type="submit">${t('saveUnits')}</button> <span class="muted">${t('namesPlanWritesThem')}</span></p></form></details>
${assignments('lead', t('leadUnits'))}
${assignments('cooperating', t('cooperatingUnits'))}
<details class="card"><summary>${t('reminderPolicy')}: ${t('leadDaysWorkingDaysBefore', { leadDays: policy.policy.leadDays.join(', ') })}</summary>
<table><tbody>${POLICY_FIELDS.map(
      (k) =>
        html`<tr><th>${t(`policy.${k}`)}</th><td>${policyValue(t, policy.policy[k])}</td><td class="muted">${t(`source.${policy.source[k]}`)}</td></tr>`,
    )}</tbody></table>
${policy.unitOverrides ? html`<p class="muted">${t('unitOverridesUnitsPolicyTheir', { unitOverrides: policy.unitOverrides })}</p>` : ''}
<p><a href="/admin/policies">${t('editPolicies')}</a></p></details>`;
    return sendPage(req, reply, {
      title: `${t('noSentence')} ${duty.code}`,
      body,
      ...(form.error
        ? {
            status: 400,
            error: t('notSavedSeeNote'),
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
    const t = webWords('duties', a.lang);
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
        t('unitsDutyCodeSaved', { code: r.duty.code, leads: r.leads, cooperating: r.cooperating }),
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
    const t = webWords('duties', a.lang);
    const duty = await dutyDetail(deps.db, a.orgId, req.params.id);
    if (!duty)
      return dutyPage(
        req as FastifyRequest<{
          Params: { id: string };
          Querystring: { year?: string; page?: string; others?: string };
        }>,
        reply,
      );
    // Refused when too long, not cut: a title saved without its end would be a change nobody asked for.
    const values = {
      title: field(req.body, 'title').slice(0, DUTY_TITLE_MAX * 4),
      timeframe: field(req.body, 'timeframe').slice(0, DUTY_TIMEFRAME_MAX * 4),
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
    if (!values.title) return again(t('titleCannotEmpty'));
    const long = (value: string, max: number) => value.length > max && [...value].length > max;
    if (fix.title && long(fix.title, DUTY_TITLE_MAX))
      return again(t('titleTooLong', { length: [...fix.title].length, max: DUTY_TITLE_MAX }));
    if (fix.timeframe && long(fix.timeframe, DUTY_TIMEFRAME_MAX))
      return again(t('timeframeTooLong', { length: [...fix.timeframe].length, max: DUTY_TIMEFRAME_MAX }));
    if (!Object.keys(fix).length) return again(t('nothingChangedSave'));
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
      t('dutyCodeCorrectedNext', { code: duty.code, created, retired }),
    );
  });
}
