import { createReadStream } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { dispatchDue } from '#jobs/dispatch.js';
import { channelLabel } from '#root/channels/registry.js';
import { OBLIGATION_STATES, type ObligationState } from '#root/domain/obligation-state.js';
import { periodInWords, shortDate } from '#root/domain/wording.js';
import { zonedDay, zonedYear } from '#root/domain/zoned-day.js';
import { messageIn, NotFoundError, UserError } from '#root/errors/index.js';
import { unitIndicators } from '#root/services/indicators.js';
import {
  matrixFilters,
  obligationIdOfKey,
  statusMatrix,
  type MatrixCell,
  type StatusMatrix,
} from '#root/services/matrix.js';
import {
  confirmOnBehalf,
  decideExtensionOnBehalf,
  evidenceFile,
  nudgeNow,
  obligationDetail,
  reopenOnBehalf,
  waiveOnBehalf,
  type ObligationDetail,
  type UnitNotice,
} from '#root/services/on-behalf.js';
import { isUuid } from '#root/services/units.js';
import {
  adminOf,
  csrfField,
  field,
  redirectWith,
  requiredReason,
  safeNext,
  sendPage,
  type AdminContext,
} from '../admin.js';
import { escapeHtml, html, raw, type Html, type Lang } from '../html.js';
import { isWebKey, webWords, type WebT } from '../words.js';
import { indicatorSection } from './indicators.js';
import type { WebDeps } from '../server.js';
import { summaryPage } from './summary.js';

type T = WebT<'status'>;

/** How a confirmation or a file came ("web", "cli", "chat", a channel's name), in words. */
const viaInWords = (t: T, via: string): string =>
  ({
    web: t('webPages'),
    cli: t('commandLine'),
    chat: t('messageBot'),
  })[via] ?? channelLabel(via, t.lang);

/** A sign per state besides the colour (colour alone does not read for everyone, nor in print). */
const STATE_SIGN: Record<ObligationState, string> = {
  overdue: '✗',
  soon: '!',
  extended: '↷',
  open: '○',
  done: '✓',
  waived: '–',
};
const CLASS: Record<ObligationState, string> = {
  overdue: 's-overdue',
  soon: 's-soon',
  extended: 's-extended',
  open: 's-open',
  done: 's-done',
  waived: 's-waived',
};

const isState = (s: string): s is ObligationState => (OBLIGATION_STATES as readonly string[]).includes(s);
const label = (t: T, s: ObligationState) => t(`state.${s}`);

/** A time zone as people call it ("giờ Việt Nam", else the zone's name in the page's language), not its IANA code. */
function zoneName(t: T, zone: string): string {
  if (zone === 'Asia/Ho_Chi_Minh' || zone === 'Asia/Saigon') return t('vietnamTime');
  const part = new Intl.DateTimeFormat(t.lang, { timeZone: zone, timeZoneName: 'long' })
    .formatToParts(new Date())
    .find((p) => p.type === 'timeZoneName');
  return part?.value ?? zone;
}

const timeFormats = new Map<string, Intl.DateTimeFormat>();
/** "16/11/2026 09:00" in the organisation's zone. */
function dateTime(d: Date, zone: string): string {
  let f = timeFormats.get(zone);
  if (!f)
    timeFormats.set(
      zone,
      (f = new Intl.DateTimeFormat('en-GB', {
        timeZone: zone,
        day: '2-digit',
        month: '2-digit',
        year: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
        hour12: false,
      })),
    );
  return f.format(d).replace(',', '');
}
const day = (d: Date, zone: string) => shortDate(zonedDay(d, zone));

// The matrix's look (.matrix, .legend) is in the pages' stylesheet (src/web/html.ts): no inline styles.

/** The legend: each state's colour, sign and name, and how many cells are in it. */
function legend(t: T, counts?: Record<ObligationState, number>): Html {
  return html`<p class="legend">${OBLIGATION_STATES.map((s) => html`<span class="${CLASS[s]}">${STATE_SIGN[s]} ${label(t, s)}${counts ? html` (${counts[s]})` : ''}</span>`)}</p>`;
}

/** The state's name in a cell's tooltip: short, the sign is the cell's text. */
const shortLabel = (t: T, s: ObligationState) => (s === 'soon' ? t('stateShort.soon') : label(t, s));

/**
 * The matrix's table, as UTF-8 bytes: 1,000 units × 50 duties are 50,000 cells, each a link
 * to its obligation, so each cell is kept short (about 100 bytes: the obligation's 22-character
 * key, unquoted attributes, `</td>` omitted as HTML allows) and written with one concatenation.
 * Names and titles are escaped here (keys are base64url, dates ours).
 */
function matrixTable(m: StatusMatrix, t: T): Buffer {
  const out: Buffer[] = [];
  const zone = m.timeZone;
  const stateText = Object.fromEntries(OBLIGATION_STATES.map((s) => [s, escapeHtml(shortLabel(t, s))])) as Record<
    ObligationState,
    string
  >;
  // A few dozen distinct due instants and names among 50,000 cells: each formatted once.
  const memo = <K, V>(f: (k: K) => V) => {
    const m = new Map<K, V>();
    return (k: K) => {
      let v = m.get(k);
      if (v === undefined) m.set(k, (v = f(k)));
      return v;
    };
  };
  const dueText = memo((ms: number) => ` · ${escapeHtml(t('due'))} ${day(new Date(ms), zone)}`);
  const whenText = memo((ms: number) => dateTime(new Date(ms), zone));
  const whoText = memo((name: string) => escapeHtml(name));
  const periodsDone = escapeHtml(t('periodsDone'));
  const cellTitle = (c: MatrixCell): string => {
    let s = stateText[c.state];
    if (c.total > 1) s += ` · ${c.counts.done}/${c.total - c.counts.waived} ${periodsDone}`;
    if (c.nextDue) s += dueText(c.nextDue);
    if (c.confirmedAt) s += ` · ${whoText(c.confirmedBy ?? '')} ${whenText(c.confirmedAt)}`;
    return s;
  };
  // Two header rows: the plans (each over its duties' columns), then the duties' codes.
  const nudgeLabel = escapeHtml(t('nudge'));
  const nudgeTitle = escapeHtml(t('nudgeUnitNowReason'));
  let plans = '';
  for (let i = 0; i < m.duties.length;) {
    let j = i;
    while (j < m.duties.length && m.duties[j]!.plan === m.duties[i]!.plan) j++;
    const d = m.duties[i]!;
    plans += `<th scope="colgroup" colspan=${j - i} class=plan title="${escapeHtml(`${d.plan} · ${d.planTitle}`)}">${escapeHtml(d.plan)}</th>`;
    i = j;
  }
  let head = `<table class="matrix"><thead><tr><th scope="col" rowspan=2 class=corner>${escapeHtml(t('unit'))}</th><th scope="col" rowspan=2>${escapeHtml(t('done'))}</th>${plans}</tr><tr>`;
  for (const d of m.duties)
    head += `<th scope="col" title="${escapeHtml(`${d.plan} · ${d.code}. ${d.title}`)}">${escapeHtml(d.code)}</th>`;
  out.push(Buffer.from(`${head}</tr></thead><tbody>`));
  for (const u of m.units) {
    const open = u.states.has('open') || u.states.has('soon') || u.states.has('overdue') || u.states.has('extended');
    // The nudge in the row's sticky header cell: reachable without scrolling sideways.
    let row = `<tr><th scope="row" title="${escapeHtml(u.name)}">${escapeHtml(u.name)}${open ? ` <button type="submit" form="nudge" name="unit" value="${u.id}" class="mini" title="${nudgeTitle}">${nudgeLabel}</button>` : ''}</th><td class="${u.complete ? 's-done' : 's-none'}">${u.done}/${u.total}</td>`;
    for (const c of u.cells) {
      if (!c) row += '<td class=s-none>';
      else
        row += `<td class=${CLASS[c.state]}><a href=/admin/o/${c.obligationKey} title="${cellTitle(c)}">${c.total > 1 ? `${c.counts.done + c.counts.waived}/${c.total}` : STATE_SIGN[c.state]}</a>`;
    }
    // Each row encoded at once: its pieces die young, and the page grows outside V8's heap.
    out.push(Buffer.from(`${row}</tr>`));
  }
  let foot = `</tbody><tfoot><tr><th scope="row">${escapeHtml(t('perDuty'))}</th><td></td>`;
  for (const d of m.duties) foot += `<td>${d.done}/${d.total}</td>`;
  out.push(Buffer.from(`${foot}</tr></tfoot></table>`));
  return Buffer.concat(out);
}

/** Where the matrix's table goes in the page (it is sent as bytes, not built into the page's text). */
const TABLE_MARK = '<!--dondoc:matrix-->';

interface MatrixQuery {
  year?: string;
  plan?: string;
  group?: string;
  state?: string;
  duty?: string;
  q?: string;
  sort?: string;
  page?: string;
}
const MATRIX_QUERY = ['year', 'plan', 'group', 'state', 'duty', 'q', 'sort'];

async function matrixPage(req: FastifyRequest<{ Querystring: MatrixQuery }>, reply: FastifyReply, deps: WebDeps) {
  const a = adminOf(req);
  const t = webWords('status', a.lang);
  const now = deps.clock.now();
  const q = req.query;
  const errors: string[] = [];
  const { plans, groups, duties } = await matrixFilters(deps.db, a.orgId);
  let year: number | undefined;
  if (q.year) {
    if (/^\d{4}$/.test(q.year) && Number(q.year) >= 2000 && Number(q.year) <= 2100) year = Number(q.year);
    else errors.push(t('invalidYearShowing', { year: q.year.slice(0, 20) }));
  }
  const plan = q.plan ? plans.find((p) => p.id === q.plan) : undefined;
  if (q.plan && !plan) errors.push(t('noSuchPlanShowing'));
  const group = q.group ? groups.find((g) => g.id === q.group) : undefined;
  if (q.group && !group) errors.push(t('noSuchUnitGroup'));
  const state = q.state && isState(q.state) ? q.state : undefined;
  if (q.state && !state) errors.push(t('invalidStateFilterShowing'));

  const duty = q.duty ? duties.find((d) => d.id === q.duty) : undefined;
  if (q.duty && !duty) errors.push(t('noSuchDutyShowing'));
  const search = typeof q.q === 'string' ? q.q.trim().slice(0, 100) : '';
  const sort = q.sort === 'late' ? 'late' : 'name';
  const askedPage = typeof q.page === 'string' && /^\d{1,6}$/.test(q.page) ? Number(q.page) : 1;

  const m = await statusMatrix(deps.db, a.orgId, {
    year,
    now,
    filter: { planId: plan?.id, groupId: group?.id, state, dutyId: duty?.id, unitQuery: search || undefined, sort },
    page: askedPage,
    lang: a.lang,
  });
  year = m.year;
  // The filters as a query (the pager's links keep them), and this very page (the nudge comes back to it).
  const filters = new URLSearchParams({
    year: String(year),
    ...(plan ? { plan: plan.id } : {}),
    ...(group ? { group: group.id } : {}),
    ...(state ? { state } : {}),
    ...(duty ? { duty: duty.id } : {}),
    ...(search ? { q: search } : {}),
    ...(sort === 'late' ? { sort } : {}),
  }).toString();
  const pageLink = (n: number) => `/admin/status?${filters}${n > 1 ? `&page=${n}` : ''}`;
  const thisPage = pageLink(m.page);
  const selected = (on: boolean) => (on ? raw(' selected') : '');
  const form = html`<form method="get" action="/admin/status" class="card row">
<label class="wide-only">${t('year')}<br><input type="number" name="year" min="2000" max="2100" value="${year}" class="w6"></label>
<label class="wide-only">${t('plan')}<br><select name="plan"><option value="">${t('everyPlan')}</option>${plans.map((p) => html`<option value="${p.id}"${selected(p.id === plan?.id)}>${p.code} · ${p.title.slice(0, 60)}</option>`)}</select></label>
<label class="wide-only">${t('unitGroup')}<br><select name="group"><option value="">${t('everyUnit')}</option>${groups.map((g) => html`<option value="${g.id}"${selected(g.id === group?.id)}>${g.name}</option>`)}</select></label>
<label class="wide-only">${t('unitsCell')}<br><select name="state"><option value="">${t('anyState')}</option>${OBLIGATION_STATES.map((s) => html`<option value="${s}"${selected(s === state)}>${label(t, s)}</option>`)}</select></label>
<label>${t('duty')}<br><select name="duty" class="w12"><option value="">${t('everyDuty')}</option>${duties.map((d) => html`<option value="${d.id}"${selected(d.id === duty?.id)}>${d.plan.code} · ${d.code} · ${d.title.slice(0, 50)}</option>`)}</select></label>
<label>${t('findUnit')}<br><input type="search" name="q" value="${search}" maxlength="100" class="w12" placeholder="${t('searchExample')}"></label>
<label>${t('sort')}<br><select name="sort"><option value="name">${t('name')}</option><option value="late"${selected(sort === 'late')}>${t('mostLateFirst')}</option></select></label>
<button type="submit">${t('show')}</button> <a href="/admin/status?year=${year}">${t('clear')}</a></form>`;

  const summary = html`<p><strong>${t('unitsCompleteUnitCountUnitsDone', { unitsComplete: m.unitsComplete, unitCount: m.unitCount })}</strong>
${m.unitCount ? html` (${Math.round((100 * m.unitsComplete) / m.unitCount)}%)` : ''} · ${t('unitCountUnitsDutiesCountDuties', { unitCount: m.unitCount, dutiesCount: m.duties.length })}
· <span class="muted">${t('asOf')} ${dateTime(now, m.timeZone)} (${zoneName(t, m.timeZone)})</span></p>`;

  const nudgeForm = html`<form id="nudge" method="post" action="/admin/nudge" class="card row">${csrfField(req)}<input type="hidden" name="back" value="${thisPage}">
<label>${t('reasonNudgeRequiredKept')}<br><input type="text" name="reason" required minlength="3" maxlength="1000" class="w28" placeholder="${t('eGYearlyReport')}"></label>
<span class="muted">${t('thenPressNudgeBeside')}</span></form>`;

  // A hundred units a page: the search, filters and sort apply to every unit, the page shows its share.
  const first = m.firstIndex + 1;
  const last = m.firstIndex + m.units.length;
  const pager =
    m.pages > 1
      ? html`<nav class="pager">${m.page > 1 ? html`<a href="${pageLink(m.page - 1)}" rel="prev">← ${t('previous')}</a>` : ''} <span>${t('unitsFirstLastUnitCount', { first, last, unitCount: m.unitCount, page: m.page, pages: m.pages })}</span> ${m.page < m.pages ? html`<a href="${pageLink(m.page + 1)}" rel="next">${t('next')} →</a>` : ''}</nav>`
      : '';
  const table = m.units.length
    ? html`${pager}${raw(`<div class="matrix-wrap">${TABLE_MARK}</div>`)}${pager}`
    : html`<p class="card">${t('noUnitMatchingObligation')}</p>`;
  const dutyList = m.duties.length
    ? html`<details class="card"><summary>${t('duties')} (${m.duties.length})</summary><table><thead><tr><th>${t('plan')}</th><th>${t('code')}</th><th>${t('duty')}</th><th>${t('done')}</th></tr></thead><tbody>${m.duties.map(
        (d) => html`<tr><td>${d.plan}</td><td>${d.code}</td><td>${d.title}</td><td>${d.done}/${d.total}</td></tr>`,
      )}</tbody></table></details>`
    : '';
  return sendPage(req, reply, {
    title: t('status'),
    error: errors.length ? errors.join(' ') : null,
    ...(m.units.length ? { insert: { mark: TABLE_MARK, bytes: matrixTable(m, t) } } : {}),
    body: html`<h1>${t('statusYear', { year })}</h1>${form}${summary}${legend(t, m.cellCounts)}
<p class="muted">${t('eachCellOneUnit')}</p>
${m.units.length ? nudgeForm : ''}${table}${dutyList}`,
  });
}

const reasonField = (t: T, placeholder: string) =>
  html`<label>${t('reasonRequired')}<br><input type="text" name="reason" required minlength="3" maxlength="1000" class="w24" placeholder="${placeholder}"></label>`;

function obligationPage(
  req: FastifyRequest,
  reply: FastifyReply,
  d: ObligationDetail,
  back: string,
  indicators: Html = html``,
) {
  const a = adminOf(req);
  const t = webWords('status', a.lang);
  const o = d.obligation;
  const zone = d.timeZone;
  const id = o.id;
  const action = (path: string, button: string, placeholder: string, cls = '') =>
    html`<form method="post" action="/admin/obligations/${id}/${path}" class="row">${csrfField(req)}<input type="hidden" name="back" value="${back}">${reasonField(t, placeholder)}<button type="submit"${cls ? raw(` class="${cls}"`) : ''}>${button}</button></form>`;
  // A destructive action asks first: its form goes (GET) to the question page, which posts it (src/web/pages/ask.ts).
  const askFirst = (path: string, button: string, placeholder: string) =>
    html`<form method="get" action="/admin/ask" class="row"><input type="hidden" name="do" value="/admin/obligations/${id}/${path}"><input type="hidden" name="back" value="${back}">${reasonField(t, placeholder)}<button type="submit" class="danger">${button}</button></form>`;
  const actions =
    o.status === 'open'
      ? html`<div class="card"><h2>${t('actUnitBehalf')}</h2>
${action('confirm', t('confirmUnitBehalf'), t('eGReportArrived'))}
${action('nudge', t('nudgeUnitNow'), t('eGAlmostDue'), 'secondary')}
${askFirst('waive', t('waiveObligation'), t('eGDutyDoes'))}</div>`
      : html`<div class="card"><h2>${o.status === 'done' ? t('undoConfirmation') : t('undoWaiver')}</h2>
<p class="muted">${t('whenConfirmationWaiverMistake')}</p>
${askFirst('undo', t('undo'), t('eGUnitSent'))}</div>`;
  const reminders = Object.entries(d.reminders);
  const body = html`<p><a href="${back}">← ${t('backStatusMatrix')}</a></p>
<h1>${o.duty.code}. ${o.duty.title}</h1>
<table class="card"><tbody>
<tr><th>${t('unit')}</th><td>${o.unit.name}</td></tr>
<tr><th>${t('plan')}</th><td>${o.duty.plan.code}<span class="wide-only"> · ${o.duty.plan.title}</span></td></tr>
<tr><th>${t('period')}</th><td>${periodInWords(o.periodKey, t.lang)}</td></tr>
<tr><th>${t('dueCapital')}</th><td>${day(o.dueAt, zone)}${o.extendedTo ? html` → <strong>${t('extended')} ${day(o.extendedTo, zone)}</strong>` : ''}</td></tr>
<tr><th>${t('state')}</th><td class="${CLASS[d.state]}">${STATE_SIGN[d.state]} ${label(t, d.state)}${o.completedAt ? html` · ${dateTime(o.completedAt, zone)}` : ''}</td></tr>
${
  o.history && o.status === 'open'
    ? html`<tr><th>${t('history')}</th><td class="muted history">${t('periodBeforePlanTracked', { since: o.duty.plan.trackFrom ? ` (${day(o.duty.plan.trackFrom, 'UTC')})` : '' })}</td></tr>`
    : ''
}
<tr><th>${t('timeframePlan')}</th><td>${o.duty.timeframe}</td></tr>
</tbody></table>
${actions}
${indicators}
<h2>${t('confirmations')}</h2>
${
  d.confirmations.length
    ? html`<table><thead><tr><th>${t('who')}</th><th>${t('when')}</th><th>${t('via')}</th><th>${t('note')}</th></tr></thead><tbody>${d.confirmations.map(
        (c) =>
          html`<tr><td>${c.who}</td><td>${dateTime(c.at, zone)}${c.withdrawnAt ? html` <span class="muted">(${t('withdrawn')} ${dateTime(c.withdrawnAt, zone)})</span>` : ''}</td><td>${viaInWords(t, c.via)}</td><td>${c.note ?? ''}${c.fileName ? html` · ${c.fileName}` : ''}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">${t('noConfirmationYet')}</p>`
}
<h2>${t('evidence')}</h2>
${
  d.evidence.length
    ? html`<table><thead><tr><th>${t('file')}</th><th>${t('size')}</th><th>${t('sent')}</th><th>${t('when')}</th></tr></thead><tbody>${d.evidence.map(
        (e) =>
          html`<tr><td>${e.stored ? html`<a href="/admin/evidence/${e.id}" download>${e.fileName}</a>` : html`${e.fileName} <span class="muted">(${t('noCopyKept')})</span>`}</td><td>${Math.ceil(e.size / 1024)} KB</td><td>${e.who ?? ''} (${viaInWords(t, e.via)})</td><td>${dateTime(e.at, zone)}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">${t('noEvidenceYet')}</p>`
}
<h2>${t('extensionRequests')}</h2>
${
  d.extensions.length
    ? html`<table><thead><tr><th>${t('until')}</th><th>${t('reason')}</th><th>${t('askedWhen')}</th><th>${t('decision')}</th></tr></thead><tbody>${d.extensions.map(
        (x) =>
          html`<tr><td>${day(x.requestedDue, zone)}</td><td>${x.reason}</td><td>${x.who ?? ''} · ${dateTime(x.at, zone)}</td><td>${
            x.status === 'pending'
              ? html`<form method="post" action="/admin/extensions/${x.id}/decide" class="row">${csrfField(req)}<input type="hidden" name="back" value="${back}">${reasonField(t, t('eGAgreedUnit'))}
<button type="submit" name="decision" value="approve">${t('approve')}</button> <button type="submit" name="decision" value="refuse" class="danger">${t('refuse')}</button></form>`
              : html`${x.status === 'approved' ? t('approved') : t('refused')}${x.decidedBy ? html` · ${x.decidedBy}` : ''}${x.decidedAt ? html` · ${dateTime(x.decidedAt, zone)}` : ''}`
          }</td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">${t('noExtensionRequest')}</p>`
}
<h2>${t('reminders')}</h2>
${
  reminders.length
    ? html`<p>${reminders.map(([s, n], i) => html`${i ? ' · ' : ''}${reminderStatus(t, s)}: <strong>${n}</strong>`)}${d.lastReminderAt ? html` · ${t('lastSent')} ${dateTime(d.lastReminderAt, zone)}` : ''}</p>`
    : html`<p class="muted">${t('noReminderYet')}</p>`
}`;
  return sendPage(req, reply, { title: `${o.duty.code} · ${o.unit.name}`, body });
}

/** A reminder's status in words (`reminder.<status>`), or as it is stored. */
function reminderStatus(t: T, s: string): string {
  const key = `reminder.${s}`;
  return isWebKey('status', key) ? t(key) : s;
}

/** A page saying what was not found (another organisation's id, a malformed one), with 404. */
function notFound(req: FastifyRequest, reply: FastifyReply, a: AdminContext, message: string) {
  const t = webWords('status', a.lang);
  return sendPage(req, reply, {
    status: 404,
    title: t('notFound'),
    body: html`<h1>${t('notFound')}</h1><p>${message}</p><p>${t('nothingChanged')} <a href="/admin">${t('backStatusMatrix')}</a></p>`,
  });
}

/** Runs an action; a NotFoundError becomes the 404 page (other UserErrors the scope's 400 page). */
async function orNotFound(req: FastifyRequest, reply: FastifyReply, run: () => Promise<FastifyReply>) {
  try {
    return await run();
  } catch (error) {
    if (error instanceof NotFoundError) return notFound(req, reply, adminOf(req), messageIn(error, adminOf(req).lang));
    throw error;
  }
}

/** Where to go back to: a page of the administrators' scope given by the form, or the default. */
const backTo = (body: unknown, fallback: string) => {
  const b = safeNext(field(body, 'back'));
  return b.startsWith('/admin') ? b : fallback;
};

/**
 * Administrators' pages: the status matrix (GET /admin, also /admin/status), one obligation
 * (GET /admin/obligations/:id), and the actions on a unit's behalf, each with a required reason,
 * each through the services the CLI and the bot use: confirm, waive, nudge (one obligation or a
 * unit's nearest), decide an extension request.
 */
export function registerStatusPages(scope: FastifyInstance, deps: WebDeps): void {
  // The landing page is the summary; with a filter of the matrix (older links, bookmarks) the matrix.
  scope.get<{ Querystring: MatrixQuery }>('', (req, reply) =>
    Object.keys(req.query ?? {}).some((k) => MATRIX_QUERY.includes(k))
      ? matrixPage(req, reply, deps)
      : summaryPage(req, reply, deps),
  );
  scope.get<{ Querystring: MatrixQuery }>('/status', (req, reply) => matrixPage(req, reply, deps));

  const showObligation = (req: FastifyRequest<{ Querystring: { year?: string } }>, reply: FastifyReply, id: string) =>
    orNotFound(req, reply, async () => {
      const d = await obligationDetail(deps.db, adminOf(req).orgId, id, deps.clock.now(), adminOf(req).lang);
      const year =
        req.query.year && /^\d{4}$/.test(req.query.year)
          ? req.query.year
          : String(zonedYear(d.obligation.dueAt, d.timeZone));
      // The unit's indicators of the obligation's year, to report on its behalf.
      const dueYear = zonedYear(d.obligation.dueAt, d.timeZone);
      const items = await unitIndicators(deps.db, d.obligation.orgId, d.obligation.unitId, dueYear);
      const here = `/admin/obligations/${d.obligation.id}?year=${year}`;
      return obligationPage(
        req,
        reply,
        d,
        `/admin?year=${year}`,
        indicatorSection(req, items, d.obligation.unitId, dueYear, here),
      );
    });
  scope.get<{ Params: { id: string }; Querystring: { year?: string } }>('/obligations/:id', (req, reply) =>
    showObligation(req, reply, req.params.id),
  );
  // The matrix's links: the same page by the obligation's short key (an unknown key is the same 404).
  scope.get<{ Params: { key: string }; Querystring: { year?: string } }>('/o/:key', (req, reply) =>
    showObligation(req, reply, obligationIdOfKey(req.params.key) ?? req.params.key),
  );

  // An evidence file, always as a download (never shown inline: a file a contact sent may be HTML).
  scope.get<{ Params: { id: string } }>('/evidence/:id', async (req, reply) =>
    orNotFound(req, reply, async () => {
      const f = await evidenceFile(deps.db, adminOf(req).orgId, req.params.id, deps.config.STORAGE_DIR);
      const ascii = f.fileName
        .normalize('NFD')
        .replace(/[\u0300-\u036f]/g, '')
        .replace(/đ/g, 'd')
        .replace(/Đ/g, 'D')
        .replace(/[^\x20-\x7e]|["\\]/g, '_');
      return reply
        .header('content-type', 'application/octet-stream')
        .header(
          'content-disposition',
          `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(f.fileName)}`,
        )
        .header('x-content-type-options', 'nosniff')
        .header('content-length', f.size)
        .send(createReadStream(f.path));
    }),
  );

  // The unit hears of it in chat, as of a decision taken there; the administrator does not wait for it.
  const tellUnit = (notice: UnitNotice) => {
    void deps
      .announce?.(notice)
      .catch((error: unknown) => deps.logger.warn({ err: error, unit: notice.unitId }, 'could not tell the unit'));
  };

  const here = (id: string, body: unknown) => {
    const back = field(body, 'back');
    return `/admin/obligations/${id}${/^\/admin\?year=\d{4}$/.test(back) ? `?${back.split('?')[1]}` : ''}`;
  };

  /**
   * A decision on the unit's behalf (confirm, waive, undo): a reason is required, the unit's people
   * are told, and the page goes back to the obligation with what was done, in the admin's language.
   */
  const onBehalf = <R extends { notice: UnitNotice; obligation: { duty: { code: string }; unit: { name: string } } }>(
    action: 'confirm' | 'waive' | 'undo',
    act: (
      db: typeof deps.db,
      orgId: string,
      input: { obligationId: string; actor: string; by: string; reason: string; now: Date },
    ) => Promise<R>,
    done: (t: WebT<'status'>, r: R, what: string) => string,
  ) =>
    scope.post<{ Params: { id: string } }>(`/obligations/:id/${action}`, async (req, reply) => {
      const a = adminOf(req);
      const t = webWords('status', a.lang);
      const reason = requiredReason(req.body, a.lang);
      return orNotFound(req, reply, async () => {
        const r = await act(deps.db, a.orgId, {
          obligationId: req.params.id,
          actor: a.actor,
          by: a.account.name,
          reason,
          now: deps.clock.now(),
        });
        tellUnit(r.notice);
        const what = `${r.obligation.duty.code} · ${r.obligation.unit.name}`;
        return redirectWith(reply, here(req.params.id, req.body), done(t, r, what));
      });
    });

  onBehalf('confirm', confirmOnBehalf, (t, r, what) => t.count('confirmedOnBehalf', r.cancelledReminders, { what }));
  onBehalf('waive', waiveOnBehalf, (t, r, what) => t.count('waivedOnBehalf', r.cancelledReminders, { what }));
  onBehalf('undo', reopenOnBehalf, (t, r, what) =>
    r.was === 'done' ? t('confirmationUndoneWhatOpen', { what }) : t('waiverUndoneWhatOpen', { what }),
  );

  // A nudge's reminders go out at once: everything due now is put on the send queue.
  const queueDue = (orgId: string, now: Date) => dispatchDue(deps.db, deps.sendQueue(), orgId, now, 0);

  const nudged = (lang: Lang, r: Awaited<ReturnType<typeof nudgeNow>>) => {
    const t = webWords('status', lang);
    const missing = r.withoutChannel.length
      ? t('noWorkingChannelWithoutChannel', { withoutChannel: r.withoutChannel.join(', ') })
      : '';
    const already = r.alreadyReminded ? t.count('alreadyReminded', r.alreadyReminded) : '';
    return t('nudged', {
      unit: r.unit,
      reminders: t.count('reminderCount', r.reminders),
      obligations: t.count('obligationCount', r.obligations),
      already,
      missing,
    });
  };

  scope.post<{ Params: { id: string } }>('/obligations/:id/nudge', async (req, reply) => {
    const a = adminOf(req);
    const reason = requiredReason(req.body, a.lang);
    return orNotFound(req, reply, async () => {
      const r = await nudgeNow(deps.db, a.orgId, queueDue, {
        obligationId: req.params.id,
        actor: a.actor,
        reason,
        now: deps.clock.now(),
      });
      return redirectWith(reply, here(req.params.id, req.body), nudged(a.lang, r));
    });
  });

  // The matrix's per-row button: the unit's nearest open obligations (overdue ones and the next due).
  scope.post('/nudge', async (req, reply) => {
    const a = adminOf(req);
    const reason = requiredReason(req.body, a.lang);
    return orNotFound(req, reply, async () => {
      const r = await nudgeNow(deps.db, a.orgId, queueDue, {
        unitId: field(req.body, 'unit'),
        actor: a.actor,
        reason,
        now: deps.clock.now(),
      });
      return redirectWith(reply, backTo(req.body, '/admin'), nudged(a.lang, r));
    });
  });

  scope.post<{ Params: { id: string } }>('/extensions/:id/decide', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('status', a.lang);
    const decision = field(req.body, 'decision');
    if (decision !== 'approve' && decision !== 'refuse') throw new UserError(t('chooseApproveRefuse'));
    const reason = requiredReason(req.body, a.lang);
    return orNotFound(req, reply, async () => {
      if (!isUuid(req.params.id)) throw new NotFoundError(t('noSuchExtensionRequest'));
      const {
        request: r,
        timeZone: zone,
        notice,
      } = await decideExtensionOnBehalf(deps.db, a.orgId, {
        requestId: req.params.id,
        approve: decision === 'approve',
        actor: a.actor,
        decidedBy: a.account.name,
        reason,
        now: deps.clock.now(),
      });
      tellUnit(notice);
      const what = `${r.obligation.duty.code} · ${r.obligation.unit.name}`;
      const message =
        decision === 'approve'
          ? t('extensionWhatApprovedUntil', { what, requestedDue: day(r.requestedDue, zone) })
          : t('extensionWhatRefused', { what });
      return redirectWith(reply, here(r.obligationId, req.body), message);
    });
  });
}
