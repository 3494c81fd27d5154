import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { describeSchedule, type Lang } from '#root/domain/wording.js';
import { messageIn, oneLanguage, UserError } from '#root/errors/index.js';
import { ImportDraftGoneError } from '#root/import/errors.js';
import { whereIn } from '#root/import/where.js';
import {
  commitImportDraft,
  discardImportDraft,
  fixImportDraft,
  IMPORT_DRAFT_TTL_SECONDS,
  loadImportDraft,
  reviewDraft,
  setImportDraftHorizon,
  setImportDraftTrackFrom,
  startImportDraft,
  type DraftReview,
  type DraftStore,
} from '#root/services/import-drafts.js';
import { dutyFlags, type ReviewedDuty } from '#root/services/plans.js';
import type { Resolution } from '#root/services/units.js';
import { addAlias } from '#root/services/units.js';
import { adminOf, csrfField, field, FORM_MAX_BYTES, redirectWith, sendPage, UPLOAD_MAX_BYTES } from '../admin.js';
import { html, type Html } from '../html.js';
import { isWebKey, webWords, type WebT } from '../words.js';
import type { WebDeps } from '../server.js';

type Req = FastifyRequest<{ Params: { id: string } }>;

const dmy = (iso: string | null | undefined) => (iso ? iso.split('-').reverse().join('/') : '');

/** The reader's format in words ("tệp Word (DOCX)"), not its code ("docx"); a format without words as it is. */
function formatName(t: WebT<'import'>, format: string): string {
  const key = `formatName.${format}`;
  return isWebKey('import', key) ? t(key) : format;
}

/** The import form: paste the appendix, or upload a file; an optional plan code with each. */
function importForm(req: FastifyRequest, input: { text?: string; planCode?: string } = {}): Html {
  const t = webWords('import', adminOf(req).lang);
  const planCode = (id: string) =>
    html`<p><label for="${id}">${t('planCodeIfText')}</label><br>
<input type="text" id="${id}" name="planCode" value="${input.planCode ?? ''}" placeholder="3131/KH-UBND" maxlength="100"></p>`;
  return html`<h1>${t('importPlan')}</h1>
<p class="muted">${t('pasteDutyAppendixWhole')}</p>
<form method="post" action="/admin/import" class="card">${csrfField(req)}
<h2>${t('pasteText')}</h2>
<p><label for="import-text">${t('appendixTableNumberDuty')}</label><br>
<textarea id="import-text" name="text" rows="12" class="wide" aria-describedby="import-limit">${input.text ?? ''}</textarea><br>
<span class="muted" id="import-limit">${t('limitValueMbForm', { value: FORM_MAX_BYTES / 1024 / 1024, megabytes: UPLOAD_MAX_BYTES / 1024 / 1024 })}</span></p>
${planCode('import-code-text')}
<p><button type="submit">${t('review')}</button></p></form>
<form method="post" action="/admin/import" enctype="multipart/form-data" class="card">${csrfField(req)}
<h2>${t('uploadFile')}</h2>
<p><label for="import-file">${t('wordDocxDocPdf', { megabytes: UPLOAD_MAX_BYTES / 1024 / 1024 })}</label><br>
<input type="file" id="import-file" name="file" required accept=".docx,.doc,.pdf,.csv,.xlsx,.txt,.tsv,text/plain,text/csv,application/pdf,application/msword,application/vnd.openxmlformats-officedocument.wordprocessingml.document,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"></p>
${planCode('import-code-file')}
<p><button type="submit">${t('review')}</button></p></form>`;
}

/**
 * The text of the cells a duty was read from (`source`, when the reader gives them), for the
 * reviewer to see a misreading at a glance. A reader that gives only where it read the duty
 * («dòng 49») gives no cells.
 */
export function sourceCells(d: ReviewedDuty): string[] {
  const source: unknown = (d as { source?: unknown }).source;
  return Array.isArray(source) ? source.filter((c): c is string => typeof c === 'string') : [];
}

/**
 * Where a duty was read, in the page's language («dòng 49», «line 49»): `where`, or `source` from a
 * reader that gives no cells.
 */
function whereRead(d: ReviewedDuty, lang: Lang): string {
  const { where, source } = d as { where?: unknown; source?: unknown };
  const read = typeof where === 'string' ? where : typeof source === 'string' ? source : '';
  return whereIn(read, lang);
}

/** A name of the plan as the review resolved it: new names are marked. */
function nameCell(list: Resolution[], t: WebT<'import'>): Html | string {
  if (!list.length) return '—';
  return html`${list.map(
    (r, i) => html`${i ? '; ' : ''}${r.name}${r.matched ? '' : html` <strong>(${t('new')})</strong>`}`,
  )}`;
}

function dutyRow(req: FastifyRequest, id: string, d: ReviewedDuty): Html {
  const t = webWords('import', adminOf(req).lang);
  const flags = dutyFlags(d);
  const anchor = `tt-${d.code.replace(/[^\w.-]/g, '_')}`;
  const cells = sourceCells(d);
  const where = whereRead(d, adminOf(req).lang);
  const kept = d.kept ?? [];
  const conflicts = d.conflicts ?? [];
  return html`<tr id="${anchor}"${flags.length || conflicts.length ? html` class="flag"` : ''}>
<td data-label="" class="short"><strong>${d.code}</strong></td><td data-label="">${d.title}${d.origin === 'report' ? html` <span class="muted">(${t('reportAskedText')})</span>` : ''}${
    kept.length
      ? html`<br><span class="muted kept">${t('administratorFixKept')}: ${kept.map((f) => t(`fieldName.${f}`)).join(', ')}</span>`
      : ''
  }${conflicts.length ? html`<br><strong class="conflict">${t('documentChangedWhereAdministrator')}</strong>` : ''}${
    cells.length || where
      ? html`<details class="source"><summary>${t('source')}${where ? html` <span class="muted">(${where})</span>` : ''}</summary>${
          cells.length
            ? html`<ol>${cells.map((c) => html`<li>${c || html`<span class="muted">${t('emptyCell')}</span>`}</li>`)}</ol>`
            : html`<p class="muted">${t('noCellText')}</p>`
        }</details>`
      : ''
  }</td>
<td data-label="${t('lead')}">${nameCell(d.resolved.leads, t)}</td><td data-label="${t('cooperating')}">${nameCell(d.resolved.cooperating, t)}</td>
<td data-label="${t('timeframeWritten')}">${d.timeframe || '—'}</td><td data-label="${t('scheduleUnderstood')}">${describeSchedule(d.schedule, adminOf(req).lang)}</td>
<td data-label="${t('toReview')}">${
    flags.length
      ? html`<ul>${flags.map((f) => html`<li>${oneLanguage(f, adminOf(req).lang)}</li>`)}</ul>
<form method="post" action="/admin/import/${id}/fix">${csrfField(req)}<input type="hidden" name="code" value="${d.code}">
<label>${t('timeframe')}<br><input type="text" name="timeframe" value="${d.timeframe}" maxlength="300"></label><br>
<label><input type="checkbox" name="clearFlags" value="1"> ${t('reviewedClearFlags')}</label><br>
<button type="submit" class="secondary">${t('fix')}</button></form>`
      : html`<span class="muted">—</span>`
  }</td></tr>`;
}

/** The plan's last year as the review applies it, where it comes from, and a field to change it. */
function horizonForm(req: FastifyRequest, id: string, r: DraftReview): Html {
  const t = webWords('import', adminOf(req).lang);
  const year = r.review.plan.horizonYear;
  const from = {
    text: t('fromPlanTitleText'),
    given: t('setYou'),
    existing: t('planImportedBefore'),
    none: t('textNamesNone'),
  }[r.review.horizonFrom];
  const beyond = r.review.duties.filter((d) =>
    d.flags.some((f) => f.startsWith('Thời hạn của nhiệm vụ vượt quá năm kết thúc')),
  ).length;
  return html`<form method="post" action="/admin/import/${id}/horizon" class="horizon">${csrfField(req)}
<p><label for="import-horizon"><strong>${t('planLastYear')}</strong></label>: ${year ? html`<span class="horizon-year">${year}</span>` : t('none')} <span class="muted">(${from}${
    beyond ? t('beyondDutiesDueAfter', { beyond }) : ''
  })</span><br>
<input type="text" id="import-horizon" name="horizon" value="${year ? String(year) : ''}" inputmode="numeric" maxlength="4" size="6" placeholder="2030">
<button type="submit" class="secondary">${t('setLastYear')}</button>
<span class="muted">${t('recurringDutiesStopAfter')}</span></p></form>`;
}

/** The day the plan is tracked from as the review applies it, where it comes from, and a field to change it. */
function trackFromForm(req: FastifyRequest, id: string, r: DraftReview): Html {
  const t = webWords('import', adminOf(req).lang);
  const day = r.review.trackFrom;
  const from = {
    given: t('setYou'),
    existing: t('planImportedBefore'),
    default: t('defaultCurrentPeriodEach'),
  }[r.review.trackFromFrom];
  return html`<form method="post" action="/admin/import/${id}/track-from" class="track-from">${csrfField(req)}
<p><label for="import-track-from"><strong>${t('trackFrom')}</strong></label>: ${day ? html`<span class="track-from-day">${dmy(day)}</span>` : t('everyPeriodPastIncluded')} <span class="muted">(${from})</span><br>
<input type="text" id="import-track-from" name="trackFrom" value="${dmy(day)}" maxlength="10" size="12" placeholder="${t('dayMonthYear')}">
<label><input type="checkbox" name="all" value="1"${day ? '' : ' checked'}> ${t('trackEveryPeriodPast')}</label>
<button type="submit" class="secondary">${t('setDay')}</button><br>
<span class="muted">${t('periodsEndedFellDue')}</span></p></form>`;
}

/** The administrator's fixes the document now contradicts: both values, and a choice for each (inside the commit form). */
function conflictChoices(req: FastifyRequest, duties: ReviewedDuty[]): Html | string {
  const t = webWords('import', adminOf(req).lang);
  const rows = duties.flatMap((d) => (d.conflicts ?? []).map((c) => ({ code: d.code, c })));
  if (!rows.length) return '';
  return html`<div class="card flag conflicts"><h2>${t('documentChangedWhereAdministratorFixed')} (${rows.length})</h2>
<p class="muted">${t('eachKeepAdministratorValue')}</p>
<table><thead><tr><th>${t('no')}</th><th>${t('field')}</th><th>${t('administratorValue')}</th><th>${t('documentNowSays')}</th></tr></thead><tbody>
${rows.map(({ code, c }) => {
  const name = `take:${code}:${c.field}`;
  return html`<tr><td>${code}</td><td>${t(`fieldName.${c.field}`)}</td>
<td><label><input type="radio" name="${name}" value="admin"${c.take === 'admin' ? ' checked' : ''}> ${c.admin}</label></td>
<td><label><input type="radio" name="${name}" value="document"${c.take === 'document' ? ' checked' : ''}> ${c.document}</label></td></tr>`;
})}</tbody></table></div>`;
}

/** The conflicts the commit form settles for the document ("4.2:title"). */
function takeDocumentOf(body: unknown): string[] {
  if (!body || typeof body !== 'object') return [];
  return Object.entries(body as Record<string, unknown>)
    .filter(([k, v]) => k.startsWith('take:') && v === 'document')
    .map(([k]) => k.slice('take:'.length));
}

/** The duties' rows, rendered in slices: a table of thousands of rows does not hold the event loop at once. */
async function dutyRows(req: FastifyRequest, id: string, duties: ReviewedDuty[]): Promise<Html[]> {
  const rows: Html[] = [];
  for (const [i, d] of duties.entries()) {
    if (i > 0 && i % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
    rows.push(dutyRow(req, id, d));
  }
  return rows;
}

/**
 * The plan's duties this text leaves out, each with a box "retire it" (issue 16): ticked when the
 * text has that part of the plan and the duty is gone from it, not when that part was not pasted.
 */
function retireChoices(t: WebT<'import'>, r: DraftReview): Html {
  if (!r.existing) return html``;
  return html`<input type="hidden" name="retireChosen" value="1">${
    r.retiring.length
      ? html`<fieldset class="card retire"><legend>${t('importedDutiesTextLeaves')}</legend>
<p class="muted">${t('tickDutiesRetireNo')}</p>
${r.retiring.map((d) => html`<label class="block-label"><input type="checkbox" name="retire" value="${d.code}"${d.retire ? html` checked` : ''}> ${t('retire')} <strong>${d.code}</strong> ${d.title.length > 100 ? `${d.title.slice(0, 99)}…` : d.title}${d.origin === 'report' ? html` <span class="muted">(${t('reportDutyPlanBody')})</span>` : ''}</label>`)}</fieldset>`
      : ''
  }`;
}

/** The new unit names, each with a field to say it is a known unit after all (issue 16). */
function mapForms(req: FastifyRequest, id: string, names: { name: string; kind: string }[], units: string[]): Html {
  const t = webWords('import', adminOf(req).lang);
  const unitNames = names.filter((n) => n.kind === 'unit');
  if (!unitNames.length) return html``;
  return html`<details class="map-names"><summary>${t('mapNewNameKnown')}</summary><ul class="plain">${unitNames.map((n) => html`<li>${n.name}${mapForm(req, id, n.name)}</li>`)}</ul><datalist id="known-units">${units.map((u) => html`<option value="${u}">`)}</datalist></details>`;
}

/** A new name is an existing unit after all: it becomes that unit's alias, and the review matches it. */
function mapForm(req: FastifyRequest, id: string, name: string): Html {
  const t = webWords('import', adminOf(req).lang);
  return html` <form method="post" action="/admin/import/${id}/map" class="inline">${csrfField(req)}<input type="hidden" name="name" value="${name}"><input type="text" name="unit" list="known-units" required maxlength="300" class="w12" aria-label="${t('knownUnitNameMeans', { name })}" placeholder="${t('knownUnit')}"> <button type="submit" class="secondary">${t('map')}</button></form>`;
}

async function reviewPage(req: FastifyRequest, id: string, r: DraftReview, units: string[] = []): Promise<Html> {
  const t = webWords('import', adminOf(req).lang);
  const { review, existing } = r;
  const p = review.plan;
  const flagged = review.duties.filter((d) => dutyFlags(d).length);
  return html`<h1>${t('reviewPlanBeforeImporting')}</h1>
<div class="card"><p><strong>${p.code}</strong>${p.issuedOn ? html` · ${t('dated')} ${dmy(p.issuedOn)}` : ''}${p.issuer ? html` · ${p.issuer}` : ''}</p>
${p.title ? html`<p>${p.title}</p>` : ''}
${horizonForm(req, id, r)}
${trackFromForm(req, id, r)}
<p class="muted">${t('format')}: ${formatName(t, review.format)} · ${review.duties.length} ${t('duties')} · ${flagged.length} ${t('reviewLower')} · ${review.newNames.length} ${t('newNames')}</p>
${
  existing
    ? html`<p class="error">${t('planExists', {
        code: p.code,
        activeDuties: existing.activeDuties,
        retiring: r.retiring.length ? t('retiringChoose', { retiring: r.retiring.length }) : t('noneRetired'),
      })}</p>`
    : ''
}</div>
${
  review.flags.length
    ? html`<div class="card flag"><h2>${t('problemsWholeText')}</h2><ul>${review.flags.map((f) => html`<li>${oneLanguage(f, adminOf(req).lang)}</li>`)}</ul></div>`
    : ''
}
<h2>${t('dutiesCapital')}</h2>
<table class="stack"><thead><tr><th>${t('no')}</th><th>${t('duty')}</th><th>${t('lead')}</th><th>${t('cooperating')}</th><th>${t('timeframeWritten')}</th><th>${t('scheduleUnderstood')}</th><th>${t('toReview')}</th></tr></thead>
<tbody>${await dutyRows(req, id, review.duties)}</tbody></table>
<div class="card"><h2>${t('unitNames')}</h2>
<h3>${t('proposedNewCreatedMarked')} (${review.newNames.length})</h3>
${review.newNames.length ? html`<ul class="new-names">${review.newNames.map((n) => html`<li>${n.name} <span class="muted">(${n.kind === 'group' ? t('group') : t('unit')})</span></li>`)}</ul>${mapForms(req, id, review.newNames, units)}` : html`<p class="muted">${t('noneSentence')}</p>`}
<h3>${t('matchedExistingUnits')} (${review.matched.length})</h3>
${review.matched.length ? html`<ul class="matched-names">${review.matched.map((n) => html`<li>${n.name}${n.entry !== n.name ? html` → ${n.entry}` : ''}${n.proposed ? html` <span class="muted">(${t('awaitingReview')})</span>` : ''}</li>`)}</ul>` : html`<p class="muted">${t('noneSentence')}</p>`}
</div>
<div class="row">
${
  review.duties.length
    ? html`<form method="post" action="/admin/import/${id}/commit" class="inline">${csrfField(req)}${conflictChoices(req, review.duties)}${retireChoices(t, r)}<button type="submit">${t('importDutiesCountDuties', { dutiesCount: review.duties.length })}</button></form>`
    : html`<p class="muted">${t('thereNoDutyImport')}</p>`
}
<form method="post" action="/admin/import/${id}/discard" class="inline">${csrfField(req)}<button type="submit" class="secondary">${t('cancel')}</button></form>
</div>
<p class="muted">${t('reviewKeptHours', { hours: IMPORT_DRAFT_TTL_SECONDS / 3600 })}</p>`;
}

/**
 * Administrators' pages: plan import. Paste or upload → review (what the parser understood, the
 * flagged rows, new names) → fix flagged timeframes → commit. The review lives in Redis
 * (src/services/import-drafts.ts), so any web process can serve the next step.
 */
export function registerImportPages(scope: FastifyInstance, deps: WebDeps): void {
  const store: DraftStore = { redis: deps.redis, prefix: deps.config.REDIS_PREFIX, logger: deps.logger };

  const formWithError = (
    req: FastifyRequest,
    reply: FastifyReply,
    status: number,
    error: string,
    input: { text?: string; planCode?: string } = {},
  ) => {
    const t = webWords('import', adminOf(req).lang);
    return sendPage(req, reply, {
      status,
      title: t('importPlan'),
      error,
      body: importForm(req, input),
    });
  };
  /** A review that is gone: 410 when it expired, 409 when it was imported already. */
  const gone = (req: FastifyRequest, reply: FastifyReply, e: ImportDraftGoneError) =>
    formWithError(req, reply, e.reason === 'imported' ? 409 : 410, messageIn(e, adminOf(req).lang));
  /** Back to the stored review, as it was, with what went wrong (400): a refused fix or horizon. */
  const reviewWithError = async (req: FastifyRequest, reply: FastifyReply, id: string, error: string) => {
    const a = adminOf(req);
    const t = webWords('import', a.lang);
    const r = await reviewDraft(deps.db, a.orgId, await loadImportDraft(store, a.orgId, id));
    return sendPage(req, reply, {
      status: 400,
      title: t('reviewPlan'),
      error,
      body: await reviewPage(req, id, r, await unitNames(a.orgId)),
    });
  };
  const unitNames = async (orgId: string) =>
    (
      await deps.db.unit.findMany({
        where: { orgId, proposed: false },
        select: { name: true },
        orderBy: { name: 'asc' },
      })
    ).map((u) => u.name);

  scope.get('/import', async (req, reply) => {
    const t = webWords('import', adminOf(req).lang);
    return sendPage(req, reply, { title: t('importPlan'), body: importForm(req) });
  });

  scope.post('/import', async (req, reply) => {
    const a = adminOf(req);
    const body = req.body as Record<string, unknown> | undefined;
    const file = body?.file;
    const text = typeof body?.text === 'string' ? body.text : '';
    const planCode = field(body, 'planCode');
    try {
      const r = await startImportDraft(
        deps.db,
        store,
        a.orgId,
        // The multipart body keeps a file's bytes, not its name: the reader tells the format from the content.
        { text, file: Buffer.isBuffer(file) ? { name: req.uploadName, data: file } : null, planCode },
        deps.clock.now(),
      );
      return reply.redirect(`/admin/import/${r.id}`, 303);
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      // The pasted text comes back to be corrected; an uploaded file has to be chosen again.
      return formWithError(req, reply, 400, messageIn(e, adminOf(req).lang), {
        text: text.length <= FORM_MAX_BYTES ? text : '',
        planCode,
      });
    }
  });

  scope.get('/import/:id', async (req: Req, reply) => {
    const a = adminOf(req);
    const t = webWords('import', a.lang);
    try {
      const draft = await loadImportDraft(store, a.orgId, req.params.id);
      const r = await reviewDraft(deps.db, a.orgId, draft);
      return sendPage(req, reply, {
        title: t('reviewPlan'),
        body: await reviewPage(req, req.params.id, r, await unitNames(a.orgId)),
      });
    } catch (e) {
      if (e instanceof ImportDraftGoneError) return gone(req, reply, e);
      throw e;
    }
  });

  scope.post('/import/:id/fix', async (req: Req, reply) => {
    const a = adminOf(req);
    const t = webWords('import', a.lang);
    const id = req.params.id;
    const code = field(req.body, 'code');
    try {
      const r = await fixImportDraft(deps.db, store, a.orgId, id, code, {
        timeframe: field(req.body, 'timeframe'),
        clearFlags: field(req.body, 'clearFlags') === '1',
      });
      const left = dutyFlags(r.duty);
      return redirectWith(
        reply,
        `/admin/import/${id}`,
        t('dutyFixed', {
          code,
          schedule: describeSchedule(r.duty.schedule, t.lang),
          left: left.length ? t('flagsLeft', { left: left.length }) : '',
        }),
      );
    } catch (e) {
      if (e instanceof ImportDraftGoneError) return gone(req, reply, e);
      if (!(e instanceof UserError)) throw e;
      return reviewWithError(req, reply, id, `${code}: ${messageIn(e, adminOf(req).lang)}`);
    }
  });

  scope.post('/import/:id/horizon', async (req: Req, reply) => {
    const a = adminOf(req);
    const t = webWords('import', a.lang);
    const id = req.params.id;
    try {
      const r = await setImportDraftHorizon(deps.db, store, a.orgId, id, field(req.body, 'horizon'));
      const year = r.review.plan.horizonYear;
      return redirectWith(reply, `/admin/import/${id}`, year ? t('planLastYearNot', { year }) : t('planNoLastYear'));
    } catch (e) {
      if (e instanceof ImportDraftGoneError) return gone(req, reply, e);
      if (!(e instanceof UserError)) throw e;
      return reviewWithError(req, reply, id, messageIn(e, adminOf(req).lang));
    }
  });

  scope.post('/import/:id/track-from', async (req: Req, reply) => {
    const a = adminOf(req);
    const t = webWords('import', a.lang);
    const id = req.params.id;
    try {
      const r = await setImportDraftTrackFrom(deps.db, store, a.orgId, id, {
        day: field(req.body, 'trackFrom'),
        all: field(req.body, 'all') === '1',
      });
      const day = r.review.trackFrom;
      return redirectWith(
        reply,
        `/admin/import/${id}`,
        day ? t('trackedFromDayEarlier', { day: dmy(day) }) : t('everyPeriodTrackedPast'),
      );
    } catch (e) {
      if (e instanceof ImportDraftGoneError) return gone(req, reply, e);
      if (!(e instanceof UserError)) throw e;
      return reviewWithError(req, reply, id, messageIn(e, adminOf(req).lang));
    }
  });
  /** The review page's choice of duties to retire; none made (a form without it): every one left out. */
  const retireOf = (body: unknown): string[] | undefined => {
    if (!field(body, 'retireChosen')) return undefined;
    const v = (body as Record<string, unknown>).retire;
    return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
  };

  scope.post('/import/:id/commit', async (req: Req, reply) => {
    const a = adminOf(req);
    const t = webWords('import', a.lang);
    const retire = retireOf(req.body);
    try {
      const {
        result: r,
        planCode,
        obligations: o,
      } = await commitImportDraft(deps.db, store, a.orgId, req.params.id, a.actor, deps.clock.now(), {
        takeDocument: takeDocumentOf(req.body),
        ...(retire === undefined ? {} : { retire }),
      });
      return redirectWith(
        reply,
        '/admin/import',
        t('planImported', {
          planCode,
          created: r.created,
          updated: r.updated,
          unchanged: r.unchanged,
          retired: r.retired,
          newNames: r.newNames.length,
          obligations: o.created,
        }),
      );
    } catch (e) {
      if (e instanceof ImportDraftGoneError) return gone(req, reply, e);
      // Nothing to import (no duty, no plan code), a refused choice: the review again, with why.
      if (!(e instanceof UserError)) throw e;
      return reviewWithError(req, reply, req.params.id, messageIn(e, adminOf(req).lang));
    }
  });

  // An unknown name of the review mapped to a known unit: the name becomes its alias (as `dondoc
  // units alias` does), and the review, read again, matches it.
  scope.post('/import/:id/map', async (req: Req, reply) => {
    const a = adminOf(req);
    const t = webWords('import', a.lang);
    const name = field(req.body, 'name').slice(0, 300);
    const unit = field(req.body, 'unit').slice(0, 300);
    try {
      await loadImportDraft(store, a.orgId, req.params.id);
      if (!name || !unit) throw new UserError(t('chooseKnownUnitName'));
      const entry = await addAlias(deps.db, a.orgId, unit, name, a.actor);
      return redirectWith(
        reply,
        `/admin/import/${req.params.id}`,
        t('nameMappedEntryNameAlias', { name, entryName: entry.name }),
      );
    } catch (e) {
      if (e instanceof ImportDraftGoneError) return gone(req, reply, e);
      if (!(e instanceof UserError)) throw e;
      return reviewWithError(req, reply, req.params.id, messageIn(e, a.lang));
    }
  });

  scope.post('/import/:id/discard', async (req: Req, reply) => {
    const a = adminOf(req);
    const t = webWords('import', a.lang);
    try {
      await discardImportDraft(store, a.orgId, req.params.id);
    } catch (e) {
      if (e instanceof ImportDraftGoneError) return gone(req, reply, e);
      throw e;
    }
    return redirectWith(reply, '/admin/import', t('reviewCancelledNothingImported'));
  });
}
