import type { FastifyInstance, FastifyRequest } from 'fastify';
import { withUnit } from '#root/domain/indicators.js';
import { zonedYear } from '#root/domain/zoned-day.js';
import { NotFoundError, UserError } from '#root/errors/index.js';
import {
  indicatorSummaries,
  planRef,
  reportIndicatorValue,
  saveIndicator,
  undoIndicatorValue,
  valueText,
  type IndicatorSummary,
  type UnitIndicator,
} from '#root/services/indicators.js';
import { isUuid } from '#root/services/units.js';
import { reportData } from '#root/services/report.js';
import { reportDocx, reportFileName } from '#root/services/report-docx.js';
import { adminOf, csrfField, field, redirectWith, safeNext, sendPage } from '../admin.js';
import { html, raw, type Html } from '../html.js';
import { inBoth, webWords, type WebT } from '../words.js';
import type { WebDeps } from '../server.js';

type T = WebT<'indicators'>;
const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/** A year from a query or form: four digits within reason, else the given default (or a clear 400). */
function yearParam(raw: unknown, fallback: number, t: T): number {
  if (raw === undefined || raw === '') return fallback;
  const text = typeof raw === 'string' ? raw.trim() : '';
  const y = /^\d{4}$/.test(text) ? Number(text) : NaN;
  if (!(y >= 2000 && y <= 2100)) throw new UserError(t('invalidYearTextE', { text: text.slice(0, 20) }));
  return y;
}

const q = (req: FastifyRequest) => (req.query ?? {}) as Record<string, unknown>;

/**
 * The years of an indicator side by side, as an SVG drawn on the server (the CSP allows no script
 * and no inline style: sizes are attributes, colours classes): per year a grey bar for the target
 * and a bar for the province's value, green when met, red when not.
 */
export function yearsChart(i: IndicatorSummary, t: T): Html {
  const years = i.years;
  const max = Math.max(i.unit === '%' ? 100 : 0, ...years.flatMap((y) => [y.value ?? 0, y.target?.value ?? 0]), 1);
  const H = 160;
  const slot = 96;
  const W = Math.max(years.length * slot + 40, 200);
  const h = (v: number) => Math.round((v / max) * H);
  const bars = years.map((y, k) => {
    const x = 30 + k * slot;
    const target = y.target?.value ?? null;
    const value = y.value;
    const cls = y.met === null ? 'bar-value' : y.met ? 'bar-met' : 'bar-miss';
    return html`<g>
${target !== null ? html`<rect class="bar-target" x="${x}" y="${20 + H - h(target)}" width="30" height="${h(target)}"><title>${t('target')} ${y.year}: ${withUnit(target, i.unit)}</title></rect>` : ''}
${value !== null ? html`<rect class="${cls}" x="${x + 34}" y="${20 + H - h(value)}" width="30" height="${h(value)}"><title>${t('result')} ${y.year}: ${withUnit(value, i.unit)}</title></rect>` : ''}
<text x="${x + 32}" y="${H + 38}" text-anchor="middle">${y.year}</text>
<text x="${x + 49}" y="${value !== null ? 14 + H - h(value) : H + 14}" text-anchor="middle" class="bar-label">${value !== null ? withUnit(value, i.unit) : '—'}</text>
</g>`;
  });
  return html`<figure class="chart"><svg viewBox="0 0 ${W} ${H + 48}" width="${W}" height="${H + 48}" role="img" aria-label="${t('targetResultYear')}">
<line class="axis" x1="24" y1="${H + 20}" x2="${W - 8}" y2="${H + 20}"></line>${bars}</svg>
<figcaption class="legend"><span class="key-target">${t('target')}</span> <span class="key-met">${t('resultMet')}</span> <span class="key-miss">${t('resultNotMet')}</span></figcaption></figure>`;
}

/**
 * The indicators of a unit on an obligation's page: its value of each for the obligation's year,
 * with a form to report one on its behalf (and to withdraw it).
 */
export function indicatorSection(
  req: FastifyRequest,
  items: UnitIndicator[],
  unitId: string,
  year: number,
  back: string,
): Html {
  const a = adminOf(req);
  const t = webWords('indicators', a.lang);
  if (!items.length) return html``;
  // Folded behind its counts: the obligation comes first; on a phone each indicator is a card.
  const reported = items.filter((i) => i.value).length;
  return html`<details class="card" id="indicators"><summary>${t('unitIndicatorsYear', { year })} <span class="muted">(${t('reportedItemsCount', { reported, itemsCount: items.length })})</span></summary>
<table class="stack"><thead><tr><th>${t('no')}</th><th>${t('target')}</th><th>${t('indicator')}</th><th>${t('reported')}</th><th>${t('reportUnitBehalf')}</th></tr></thead><tbody>
${items.map(
  (
    i,
  ) => html`<tr><td data-label="" class="half"><strong>${i.ref}</strong></td><td data-label="${t('target')}" class="half">${i.target ? withUnit(i.target.value, i.unit) : '—'}</td><td data-label="">${i.title}</td>
<td data-label="${t('reportedShort')}">${
    i.value
      ? html`${valueText(i.value, i.unit)}${i.value.note ? html`<br><span class="muted">${i.value.note}</span>` : ''}
<form method="post" action="/admin/indicators/${i.id}/undo" class="inline">${csrfField(req)}<input type="hidden" name="unit" value="${unitId}"><input type="hidden" name="year" value="${year}"><input type="hidden" name="back" value="${back}"><button type="submit" class="secondary">${t('withdraw')}</button></form>`
      : html`<span class="muted">${t('notReported')}</span>`
  }</td>
<td data-label=""><form method="post" action="/admin/indicators/${i.id}/values" class="row">${csrfField(req)}<input type="hidden" name="unit" value="${unitId}"><input type="hidden" name="year" value="${year}"><input type="hidden" name="back" value="${back}">
<label>${i.unit === '%' ? t('numeratorDenominator') : t('value')}<br><input type="text" name="value" required class="w7" placeholder="${i.unit === '%' ? '45/50' : '12'}" inputmode="decimal"></label>
<label>${t('note')}<br><input type="text" name="note" maxlength="1000" class="w12"></label><button type="submit">${t('record')}</button></form></td></tr>`,
)}</tbody></table></details>`;
}

function indicatorForm(req: FastifyRequest, t: T, plans: { id: string; code: string }[], i?: IndicatorSummary): Html {
  const targets = i
    ? Object.entries(i.targets)
        .map(([y, v]) => `${y}: ${String(v).replace('.', ',')}`)
        .join(', ')
    : '';
  return html`<form method="post" action="/admin/indicators${i ? `/${i.id}` : ''}" class="card">${csrfField(req)}
<h2>${i ? t('editIndicator') : t('addIndicator')}</h2>
<div class="row"><label>${t('plan')}<br><select name="plan">${plans.map((p) => html`<option value="${p.id}"${i?.planId === p.id ? raw(' selected') : ''}>${p.code}</option>`)}</select></label>
<label>${t('no')}<br><input type="text" name="code" required maxlength="20" class="w6" value="${i?.code ?? ''}"></label>
<label>${t('unitMeasure')}<br><input type="text" name="unit" class="w7" value="${i?.unit ?? '%'}" placeholder="%"></label></div>
<p><label>${t('indicatorText')}<br><textarea name="title" required rows="2" class="w28">${i?.title ?? ''}</textarea></label></p>
<p><label>${t('targetsYear')}<br><input type="text" name="targets" class="w24" value="${targets}" placeholder="2024: 90, 2025: 100"></label></p>
<p><label>${t('reportingUnitsOneLine')}<br><textarea name="units" rows="3" class="w28">${i?.chosenUnits.join('\n') ?? ''}</textarea></label></p>
<button type="submit">${i ? t('save') : t('add')}</button></form>`;
}

/**
 * Administrators' pages of the plans' indicators (chỉ tiêu): the list per year with the province's
 * value, target and whether met; one indicator over the years (a chart) with the units that
 * reported and those that did not; adding and editing (audited); reporting on a unit's behalf;
 * and the yearly report as a Word draft.
 */
export function registerIndicatorPages(scope: FastifyInstance, deps: WebDeps): void {
  const thisYear = async (orgId: string) => {
    const org = await deps.db.organisation.findUniqueOrThrow({ where: { id: orgId }, select: { timeZone: true } });
    return zonedYear(deps.clock.now(), org.timeZone);
  };
  const plansOf = (orgId: string) =>
    deps.db.plan.findMany({ where: { orgId }, select: { id: true, code: true }, orderBy: { code: 'asc' } });

  scope.get('/indicators', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('indicators', a.lang);
    const year = yearParam(q(req).year, await thisYear(a.orgId), t);
    const [list, plans] = await Promise.all([indicatorSummaries(deps.db, a.orgId, [year]), plansOf(a.orgId)]);
    const body = html`<h1>${t('indicatorsYear', { year })}</h1>
<form method="get" action="/admin/indicators" class="row"><label>${t('year')}<br><input type="number" name="year" min="2000" max="2100" value="${year}" class="w7"></label><button type="submit">${t('show')}</button></form>
${
  list.length
    ? html`<table class="stack"><thead><tr><th>${t('plan')}</th><th>${t('no')}</th><th>${t('indicator')}</th><th>${t('target')}</th><th>${t('provinceValue')}</th><th>${t('metHeading')}</th><th>${t('unitsReportedDue')}</th></tr></thead><tbody>
${list.map((i) => {
  const y = i.years[0]!;
  return html`<tr><td data-label="" class="half short muted">${i.plan}</td><td data-label="" class="half short"><strong>${i.code}</strong></td><td data-label=""><a href="/admin/indicators/${i.id}?year=${year}">${i.title}</a></td>
<td data-label="${t('target')}">${y.target ? html`${withUnit(y.target.value, i.unit)}${y.target.year !== year ? html` <span class="muted">(${t('of')} ${y.target.year})</span>` : ''}` : '—'}</td>
<td data-label="${t('provinceValue')}">${y.value === null ? html`<span class="muted">${t('noData')}</span>` : withUnit(y.value, i.unit)}</td>
${y.met === null ? html`<td data-label="${t('metHeading')}">—</td>` : html`<td data-label="" class="${y.met ? 's-done' : 's-overdue'}">${y.met ? t('met') : t('notMet')}</td>`}
<td data-label="${t('unitsReportedDue')}">${y.reported.length}/${y.reported.length + y.missing.length}</td></tr>`;
})}</tbody></table>`
    : html`<p class="muted">${t('noIndicatorYetThey')}</p>`
}
<p><a class="button" href="/admin/exports/report.docx?year=${year}" download>${t('downloadYearReportDraft', { year })}</a></p>
${plans.length ? indicatorForm(req, t, plans) : ''}`;
    return sendPage(req, reply, { title: t('indicators'), body });
  });

  const summaryOf = async (orgId: string, id: string, year: number) => {
    if (!isUuid(id)) throw new NotFoundError(inBoth('indicators', 'thereIsNoSuchIndicator'));
    const ind = await deps.db.indicator.findFirst({ where: { id, orgId } });
    if (!ind) throw new NotFoundError(inBoth('indicators', 'thereIsNoSuchIndicator'));
    const valueYears = await deps.db.indicatorValue.findMany({
      where: { indicatorId: id, endedAt: null },
      distinct: ['year'],
      select: { year: true },
    });
    const targets = ind.targets && typeof ind.targets === 'object' && !Array.isArray(ind.targets) ? ind.targets : {};
    const years = [...new Set([year, ...Object.keys(targets).map(Number), ...valueYears.map((v) => v.year)])]
      .filter((y) => y >= 2000 && y <= 2100)
      .sort((x, y) => x - y)
      .slice(-10);
    const [s] = await indicatorSummaries(deps.db, orgId, years, { indicatorId: id });
    if (!s) throw new NotFoundError(inBoth('indicators', 'indicatorNoLongerTracked'));
    return s;
  };

  scope.get<{ Params: { id: string } }>('/indicators/:id', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('indicators', a.lang);
    const year = yearParam(q(req).year, await thisYear(a.orgId), t);
    const [i, plans] = await Promise.all([summaryOf(a.orgId, req.params.id, year), plansOf(a.orgId)]);
    const y = i.years.find((x) => x.year === year)!;
    const body = html`<p><a href="/admin/indicators?year=${year}">← ${t('allIndicators')}</a></p>
<h1>${t('indicator')} ${i.code}. ${i.title}</h1>
<p class="muted">${t('plan')} ${i.plan} · ${t('measureUnit')}: ${i.unit ?? '—'} · ${
      i.chosenUnits.length
        ? t('chosenUnitsCountUnitsChosenReport', { chosenUnitsCount: i.chosenUnits.length })
        : t('reportedUnitsBoundPlan')
    }</p>
${yearsChart(i, t)}
<table class="card"><tbody>
<tr><th>${t('year')}</th><td>${year}</td></tr>
<tr><th>${t('target')}</th><td>${y.target ? withUnit(y.target.value, i.unit) : '—'}${y.target && y.target.year !== year ? t('yearTarget', { year: y.target.year }) : ''}</td></tr>
<tr><th>${t('provinceValue')}</th><td>${y.value === null ? t('noData') : withUnit(y.value, i.unit)}${i.unit === '%' && y.reported.length ? html` <span class="muted">(${t('numeratorsDenominators')})</span>` : ''}</td></tr>
<tr><th>${t('metHeading')}</th><td>${y.met === null ? '—' : y.met ? t('met') : t('notMet')}</td></tr>
</tbody></table>
<h2>${t('unitsReportedCount', { reportedCount: y.reported.length })}</h2>
${
  y.reported.length
    ? html`<table><thead><tr><th>${t('unit')}</th><th>${t('value')}</th><th>${t('note')}</th></tr></thead><tbody>${y.reported.map(
        (r) => html`<tr><td>${r.unit}</td><td>${valueText(r, i.unit)}</td><td>${r.note ?? ''}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">${t('noUnitReported')}</p>`
}
<h2>${t('unitsNotReportedMissingCount', { missingCount: y.missing.length })}</h2>
${y.missing.length ? html`<ul>${y.missing.map((m) => html`<li>${m.unit}</li>`)}</ul>` : html`<p class="muted">${t('none')}</p>`}
${indicatorForm(req, t, plans, i)}`;
    return sendPage(req, reply, { title: `${t('indicator')} ${i.code}`, body });
  });

  const input = (body: unknown) => ({
    planId: field(body, 'plan'),
    code: field(body, 'code'),
    title: field(body, 'title'),
    unit: field(body, 'unit'),
    targets: field(body, 'targets'),
    units: field(body, 'units'),
  });

  scope.post('/indicators', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('indicators', a.lang);
    const i = input(req.body);
    if (!isUuid(i.planId)) throw new UserError(t('choosePlan'));
    const id = await saveIndicator(deps.db, a.orgId, i, a.actor);
    return redirectWith(reply, `/admin/indicators/${id}`, t('indicatorCodeAdded', { code: i.code }));
  });

  scope.post<{ Params: { id: string } }>('/indicators/:id', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('indicators', a.lang);
    const i = input(req.body);
    if (!isUuid(req.params.id) || !isUuid(i.planId)) throw new NotFoundError(t('noSuchIndicator'));
    await saveIndicator(deps.db, a.orgId, i, a.actor, req.params.id);
    return redirectWith(reply, `/admin/indicators/${req.params.id}`, t('indicatorCodeSaved', { code: i.code }));
  });

  /** The indicator and unit a form names, both of this organisation, and what to type for it. */
  const target = async (orgId: string, id: string, body: unknown) => {
    const unitId = field(body, 'unit');
    const ind = isUuid(id)
      ? await deps.db.indicator.findFirst({ where: { id, orgId }, include: { plan: { select: { code: true } } } })
      : null;
    const unit = isUuid(unitId) ? await deps.db.unit.findFirst({ where: { id: unitId, orgId } }) : null;
    if (!ind || !unit) throw new NotFoundError(inBoth('indicators', 'noSuchIndicatorOrUnit'));
    return { ind, unit, code: `${planRef(ind.plan.code)}:${ind.code}` };
  };
  const backOf = (body: unknown, fallback: string) => {
    const b = safeNext(field(body, 'back'));
    return b.startsWith('/admin') ? b : fallback;
  };

  scope.post<{ Params: { id: string } }>('/indicators/:id/values', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('indicators', a.lang);
    const { unit, code } = await target(a.orgId, req.params.id, req.body);
    const year = yearParam(field(req.body, 'year'), await thisYear(a.orgId), t);
    const r = await reportIndicatorValue(deps.db, {
      orgId: a.orgId,
      unitId: unit.id,
      contactId: null,
      actor: a.actor,
      via: 'web',
      code,
      year,
      value: field(req.body, 'value'),
      note: field(req.body, 'note') || null,
      now: deps.clock.now(),
    });
    return redirectWith(
      reply,
      backOf(req.body, `/admin/indicators/${req.params.id}?year=${year}`),
      t('recordedNameIndicatorCode', { name: unit.name, code: r.indicator.code, year, text: r.text }),
    );
  });

  scope.post<{ Params: { id: string } }>('/indicators/:id/undo', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('indicators', a.lang);
    const { unit, code } = await target(a.orgId, req.params.id, req.body);
    const year = yearParam(field(req.body, 'year'), await thisYear(a.orgId), t);
    const r = await undoIndicatorValue(deps.db, {
      orgId: a.orgId,
      unitId: unit.id,
      code,
      year,
      actor: a.actor,
      now: deps.clock.now(),
    });
    return redirectWith(
      reply,
      backOf(req.body, `/admin/indicators/${req.params.id}?year=${year}`),
      t('valueWithdrawn', {
        code: r.indicator.code,
        year,
        unit: unit.name,
        back: r.back ? t('valueBeforeStands', { back: r.back }) : '',
      }),
    );
  });

  // The yearly report as a Word draft: the organisation's, one plan's (?plan=<id>) or a unit's (?unit=<id>).
  scope.get('/exports/report.docx', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('indicators', a.lang);
    const year = yearParam(q(req).year, await thisYear(a.orgId), t);
    const planId = typeof q(req).plan === 'string' ? String(q(req).plan) : '';
    const unitId = typeof q(req).unit === 'string' ? String(q(req).unit) : '';
    const plan = planId
      ? isUuid(planId)
        ? await deps.db.plan.findFirst({ where: { id: planId, orgId: a.orgId } })
        : null
      : undefined;
    if (plan === null) throw new NotFoundError(t('noSuchPlan'));
    const started = performance.now();
    const data = await reportData(deps.db, a.orgId, {
      year,
      now: deps.clock.now(),
      planCode: plan?.code,
      unitId: unitId || undefined,
    });
    const body = reportDocx(data);
    deps.logger.info(
      { role: 'web', orgId: a.orgId, year, bytes: body.length, ms: Math.round(performance.now() - started) },
      'report drafted',
    );
    return reply
      .type(DOCX_TYPE)
      .header('content-disposition', `attachment; filename="${reportFileName(data.org.code, year, data.unit?.name)}"`)
      .send(body);
  });
}
