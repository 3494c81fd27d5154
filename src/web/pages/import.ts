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
import { html, translator, type Html } from '../html.js';
import type { WebDeps } from '../server.js';

type Req = FastifyRequest<{ Params: { id: string } }>;

const dmy = (iso: string | null | undefined) => (iso ? iso.split('-').reverse().join('/') : '');

/** The import form: paste the appendix, or upload a file; an optional plan code with each. */
function importForm(req: FastifyRequest, input: { text?: string; planCode?: string } = {}): Html {
  const t = translator(adminOf(req).lang);
  const planCode = (id: string) =>
    html`<p><label for="${id}">${t('Số hiệu kế hoạch (nếu văn bản không ghi, hoặc để thay)', 'Plan code (if the text has none, or to replace it)')}</label><br>
<input type="text" id="${id}" name="planCode" value="${input.planCode ?? ''}" placeholder="3131/KH-UBND" maxlength="100"></p>`;
  return html`<h1>${t('Nhập kế hoạch', 'Import a plan')}</h1>
<p class="muted">${t(
    'Dán phụ lục nhiệm vụ (hoặc toàn văn kế hoạch), hoặc tải lên tệp kế hoạch như đã ban hành: Word (.docx, .doc), PDF, Excel (.xlsx), CSV hoặc văn bản. Bước sau là xem lại: chưa có gì được lưu cho đến khi anh/chị bấm «Nhập».',
    'Paste the duty appendix (or the whole plan), or upload the plan file as published: Word (.docx, .doc), PDF, Excel (.xlsx), CSV or text. The next step is the review: nothing is saved until you press «Import».',
  )}</p>
<form method="post" action="/admin/import" class="card">${csrfField(req)}
<h2>${t('Dán văn bản', 'Paste the text')}</h2>
<p><label for="import-text">${t('Bảng phụ lục (TT | Nhiệm vụ | Chủ trì | Phối hợp | Thời gian), chép từ Word, Excel hoặc PDF', 'The appendix table (number | duty | lead | cooperating | timeframe), copied from Word, Excel or PDF')}</label><br>
<textarea id="import-text" name="text" rows="12" class="wide" aria-describedby="import-limit">${input.text ?? ''}</textarea><br>
<span class="muted" id="import-limit">${t(`Giới hạn: ${FORM_MAX_BYTES / 1024 / 1024} MB dữ liệu biểu mẫu khi gửi; mỗi chữ có dấu tính đến 9 byte, nên khoảng 300.000 đến 1 triệu ký tự tùy văn bản. Dài hơn: tải tệp lên (tối đa ${UPLOAD_MAX_BYTES / 1024 / 1024} MB).`, `Limit: ${FORM_MAX_BYTES / 1024 / 1024} MB of form data as sent; a letter with diacritics counts up to 9 bytes, so about 300,000 to 1 million characters depending on the text. Longer: upload a file (at most ${UPLOAD_MAX_BYTES / 1024 / 1024} MB).`)}</span></p>
${planCode('import-code-text')}
<p><button type="submit">${t('Xem lại', 'Review')}</button></p></form>
<form method="post" action="/admin/import" enctype="multipart/form-data" class="card">${csrfField(req)}
<h2>${t('Tải tệp lên', 'Upload a file')}</h2>
<p><label for="import-file">${t(`Tệp Word (.docx, .doc), PDF có lớp chữ, Excel (.xlsx), CSV hoặc văn bản (.txt), tối đa ${UPLOAD_MAX_BYTES / 1024 / 1024} MB`, `A Word (.docx, .doc), PDF with a text layer, Excel (.xlsx), CSV or text (.txt) file, at most ${UPLOAD_MAX_BYTES / 1024 / 1024} MB`)}</label><br>
<input type="file" id="import-file" name="file" required accept=".docx,.doc,.pdf,.csv,.xlsx,.txt,.tsv,text/plain,text/csv,application/pdf,application/msword,application/vnd.openxmlformats-officedocument.wordprocessingml.document,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"></p>
${planCode('import-code-file')}
<p><button type="submit">${t('Xem lại', 'Review')}</button></p></form>`;
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

const FIELD_LABEL: Record<'title' | 'timeframe' | 'flags', [string, string]> = {
  title: ['tên nhiệm vụ', 'title'],
  timeframe: ['thời gian thực hiện', 'timeframe'],
  flags: ['các cờ đã bỏ', 'cleared flags'],
};

/** A name of the plan as the review resolved it: new names are marked. */
function nameCell(list: Resolution[], t: (vi: string, en: string) => string): Html | string {
  if (!list.length) return '—';
  return html`${list.map(
    (r, i) => html`${i ? '; ' : ''}${r.name}${r.matched ? '' : html` <strong>(${t('mới', 'new')})</strong>`}`,
  )}`;
}

function dutyRow(req: FastifyRequest, id: string, d: ReviewedDuty): Html {
  const t = translator(adminOf(req).lang);
  const flags = dutyFlags(d);
  const anchor = `tt-${d.code.replace(/[^\w.-]/g, '_')}`;
  const cells = sourceCells(d);
  const where = whereRead(d, adminOf(req).lang);
  const kept = d.kept ?? [];
  const conflicts = d.conflicts ?? [];
  return html`<tr id="${anchor}"${flags.length || conflicts.length ? html` class="flag"` : ''}>
<td>${d.code}</td><td>${d.title}${d.origin === 'report' ? html` <span class="muted">(${t('báo cáo trong văn bản', 'report asked in the text')})</span>` : ''}${
    kept.length
      ? html`<br><span class="muted kept">${t('Giữ bản quản trị viên đã sửa', 'The administrator’s fix kept')}: ${kept.map((f) => t(...FIELD_LABEL[f])).join(', ')}</span>`
      : ''
  }${
    conflicts.length
      ? html`<br><strong class="conflict">${t('Văn bản đã đổi ở ô quản trị viên đã sửa: chọn ở cuối trang', 'The document changed where the administrator fixed it: choose at the end of the page')}</strong>`
      : ''
  }${
    cells.length || where
      ? html`<details class="source"><summary>${t('Nguồn', 'Source')}${where ? html` <span class="muted">(${where})</span>` : ''}</summary>${
          cells.length
            ? html`<ol>${cells.map((c) => html`<li>${c || html`<span class="muted">${t('(ô trống)', '(empty cell)')}</span>`}</li>`)}</ol>`
            : html`<p class="muted">${t('Không có nội dung ô.', 'No cell text.')}</p>`
        }</details>`
      : ''
  }</td>
<td>${nameCell(d.resolved.leads, t)}</td><td>${nameCell(d.resolved.cooperating, t)}</td>
<td>${d.timeframe || '—'}</td><td>${describeSchedule(d.schedule, adminOf(req).lang)}</td>
<td>${
    flags.length
      ? html`<ul>${flags.map((f) => html`<li>${oneLanguage(f, adminOf(req).lang)}</li>`)}</ul>
<form method="post" action="/admin/import/${id}/fix">${csrfField(req)}<input type="hidden" name="code" value="${d.code}">
<label>${t('Thời gian thực hiện', 'Timeframe')}<br><input type="text" name="timeframe" value="${d.timeframe}" maxlength="300"></label><br>
<label><input type="checkbox" name="clearFlags" value="1"> ${t('Đã xem, bỏ các cờ', 'Reviewed: clear the flags')}</label><br>
<button type="submit" class="secondary">${t('Sửa', 'Fix')}</button></form>`
      : html`<span class="muted">—</span>`
  }</td></tr>`;
}

/** The plan's last year as the review applies it, where it comes from, and a field to change it. */
function horizonForm(req: FastifyRequest, id: string, r: DraftReview): Html {
  const t = translator(adminOf(req).lang);
  const year = r.review.plan.horizonYear;
  const from = {
    text: t('theo tên hoặc nội dung kế hoạch', 'from the plan’s title or text'),
    given: t('do anh/chị đặt', 'set by you'),
    existing: t('của kế hoạch đã nhập trước', 'of the plan imported before'),
    none: t('văn bản không ghi', 'the text names none'),
  }[r.review.horizonFrom];
  const beyond = r.review.duties.filter((d) =>
    d.flags.some((f) => f.startsWith('Thời hạn của nhiệm vụ vượt quá năm kết thúc')),
  ).length;
  return html`<form method="post" action="/admin/import/${id}/horizon" class="horizon">${csrfField(req)}
<p><label for="import-horizon"><strong>${t('Năm kết thúc kế hoạch', 'The plan’s last year')}</strong></label>: ${year ? html`<span class="horizon-year">${year}</span>` : t('không có', 'none')} <span class="muted">(${from}${
    beyond
      ? t(
          `; ${beyond} nhiệm vụ có thời hạn sau năm này, được giữ nguyên thời hạn`,
          `; ${beyond} duties are due after it and keep their own dates`,
        )
      : ''
  })</span><br>
<input type="text" id="import-horizon" name="horizon" value="${year ? String(year) : ''}" inputmode="numeric" maxlength="4" size="6" placeholder="2030">
<button type="submit" class="secondary">${t('Đặt năm kết thúc', 'Set the last year')}</button>
<span class="muted">${t('Nhắc hạn của các nhiệm vụ định kỳ dừng sau năm này; để trống nếu kế hoạch không có.', 'Recurring duties stop after this year; leave empty if the plan has none.')}</span></p></form>`;
}

/** The day the plan is tracked from as the review applies it, where it comes from, and a field to change it. */
function trackFromForm(req: FastifyRequest, id: string, r: DraftReview): Html {
  const t = translator(adminOf(req).lang);
  const day = r.review.trackFrom;
  const from = {
    given: t('do anh/chị đặt', 'set by you'),
    existing: t('của kế hoạch đã nhập trước', 'of the plan imported before'),
    default: t('mặc định: kỳ hiện tại của mỗi nhiệm vụ', 'default: the current period of each duty'),
  }[r.review.trackFromFrom];
  return html`<form method="post" action="/admin/import/${id}/track-from" class="track-from">${csrfField(req)}
<p><label for="import-track-from"><strong>${t('Theo dõi từ ngày', 'Track from')}</strong></label>: ${day ? html`<span class="track-from-day">${dmy(day)}</span>` : t('mọi kỳ, kể cả đã qua', 'every period, the past included')} <span class="muted">(${from})</span><br>
<input type="text" id="import-track-from" name="trackFrom" value="${dmy(day)}" maxlength="10" size="12" placeholder="${t('ngày/tháng/năm', 'day/month/year')}">
<label><input type="checkbox" name="all" value="1"${day ? '' : ' checked'}> ${t('Theo dõi mọi kỳ, kể cả đã qua', 'Track every period, the past included')}</label>
<button type="submit" class="secondary">${t('Đặt ngày theo dõi', 'Set the day')}</button><br>
<span class="muted">${t('Các kỳ kết thúc và đến hạn trước ngày này được giữ làm lịch sử: không nhắc, không báo lên, không tính quá hạn. Để trống để dùng mặc định.', 'Periods that ended and fell due before this day are kept as history: no reminders or escalations, not counted overdue. Leave empty for the default.')}</span></p></form>`;
}

/** The administrator's fixes the document now contradicts: both values, and a choice for each (inside the commit form). */
function conflictChoices(req: FastifyRequest, duties: ReviewedDuty[]): Html | string {
  const t = translator(adminOf(req).lang);
  const rows = duties.flatMap((d) => (d.conflicts ?? []).map((c) => ({ code: d.code, c })));
  if (!rows.length) return '';
  return html`<div class="card flag conflicts"><h2>${t('Văn bản đã đổi ở chỗ quản trị viên đã sửa', 'The document changed where an administrator fixed it')} (${rows.length})</h2>
<p class="muted">${t('Với mỗi chỗ, chọn giữ bản của quản trị viên hay lấy theo văn bản mới.', 'For each, keep the administrator’s value or take the new document’s.')}</p>
<table><thead><tr><th>${t('TT', 'No.')}</th><th>${t('Ô', 'Field')}</th><th>${t('Bản quản trị viên đã sửa', 'The administrator’s value')}</th><th>${t('Văn bản nay ghi', 'The document now says')}</th></tr></thead><tbody>
${rows.map(({ code, c }) => {
  const name = `take:${code}:${c.field}`;
  return html`<tr><td>${code}</td><td>${t(...FIELD_LABEL[c.field])}</td>
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
function retireChoices(t: ReturnType<typeof translator>, r: DraftReview): Html {
  if (!r.existing) return html``;
  return html`<input type="hidden" name="retireChosen" value="1">${
    r.retiring.length
      ? html`<fieldset class="card retire"><legend>${t('Nhiệm vụ đã nhập nhưng không có trong văn bản này', 'Imported duties this text leaves out')}</legend>
<p class="muted">${t('Đánh dấu nhiệm vụ cần ngừng (không còn trong kế hoạch); nhiệm vụ không đánh dấu vẫn áp dụng như cũ.', 'Tick the duties to retire (no longer in the plan); the others stay as they are.')}</p>
${r.retiring.map((d) => html`<label class="block-label"><input type="checkbox" name="retire" value="${d.code}"${d.retire ? html` checked` : ''}> ${t('Ngừng', 'Retire')} <strong>${d.code}</strong> ${d.title.length > 100 ? `${d.title.slice(0, 99)}…` : d.title}${d.origin === 'report' ? html` <span class="muted">(${t('nhiệm vụ báo cáo trong thân kế hoạch', 'a report duty of the plan’s body')})</span>` : ''}</label>`)}</fieldset>`
      : ''
  }`;
}

/** The new unit names, each with a field to say it is a known unit after all (issue 16). */
function mapForms(req: FastifyRequest, id: string, names: { name: string; kind: string }[], units: string[]): Html {
  const t = translator(adminOf(req).lang);
  const unitNames = names.filter((n) => n.kind === 'unit');
  if (!unitNames.length) return html``;
  return html`<details class="map-names"><summary>${t('Ghép tên mới với đơn vị đã có', 'Map a new name to a known unit')}</summary><ul class="plain">${unitNames.map((n) => html`<li>${n.name}${mapForm(req, id, n.name)}</li>`)}</ul><datalist id="known-units">${units.map((u) => html`<option value="${u}">`)}</datalist></details>`;
}

/** A new name is an existing unit after all: it becomes that unit's alias, and the review matches it. */
function mapForm(req: FastifyRequest, id: string, name: string): Html {
  const t = translator(adminOf(req).lang);
  return html` <form method="post" action="/admin/import/${id}/map" class="inline">${csrfField(req)}<input type="hidden" name="name" value="${name}"><input type="text" name="unit" list="known-units" required maxlength="300" class="w12" aria-label="${t(`Đơn vị đã có mà «${name}» chỉ đến`, `The known unit «${name}» means`)}" placeholder="${t('là đơn vị đã có…', 'is a known unit…')}"> <button type="submit" class="secondary">${t('Ghép', 'Map')}</button></form>`;
}

async function reviewPage(req: FastifyRequest, id: string, r: DraftReview, units: string[] = []): Promise<Html> {
  const t = translator(adminOf(req).lang);
  const { review, existing } = r;
  const p = review.plan;
  const flagged = review.duties.filter((d) => dutyFlags(d).length);
  return html`<h1>${t('Xem lại kế hoạch trước khi nhập', 'Review the plan before importing')}</h1>
<div class="card"><p><strong>${p.code}</strong>${p.issuedOn ? html` · ${t('ngày', 'dated')} ${dmy(p.issuedOn)}` : ''}${p.issuer ? html` · ${p.issuer}` : ''}</p>
${p.title ? html`<p>${p.title}</p>` : ''}
${horizonForm(req, id, r)}
${trackFromForm(req, id, r)}
<p class="muted">${t('Định dạng', 'Format')}: ${review.format} · ${review.duties.length} ${t('nhiệm vụ', 'duties')} · ${flagged.length} ${t('cần xem lại', 'to review')} · ${review.newNames.length} ${t('tên mới', 'new names')}</p>
${
  existing
    ? html`<p class="error">${t(
        `Kế hoạch ${p.code} đã có (${existing.activeDuties} nhiệm vụ đang áp dụng): nhập lại sẽ cập nhật những nhiệm vụ khác đi. ${r.retiring.length ? `${r.retiring.length} nhiệm vụ đã nhập không có trong văn bản này: chọn ở cuối trang nhiệm vụ nào ngừng.` : 'Không nhiệm vụ nào bị ngừng.'}`,
        `Plan ${p.code} already exists (${existing.activeDuties} active duties): importing again updates the duties that differ. ${r.retiring.length ? `${r.retiring.length} imported duties are not in this text: choose at the bottom which to retire.` : 'No duty is retired.'}`,
      )}</p>`
    : ''
}</div>
${
  review.flags.length
    ? html`<div class="card flag"><h2>${t('Vấn đề của cả văn bản', 'Problems with the whole text')}</h2><ul>${review.flags.map((f) => html`<li>${oneLanguage(f, adminOf(req).lang)}</li>`)}</ul></div>`
    : ''
}
<h2>${t('Nhiệm vụ', 'Duties')}</h2>
<table><thead><tr><th>${t('TT', 'No.')}</th><th>${t('Nhiệm vụ', 'Duty')}</th><th>${t('Chủ trì', 'Lead')}</th><th>${t('Phối hợp', 'Cooperating')}</th><th>${t('Thời gian (như văn bản)', 'Timeframe (as written)')}</th><th>${t('Lịch hiểu được', 'Schedule understood')}</th><th>${t('Cần xem lại', 'To review')}</th></tr></thead>
<tbody>${await dutyRows(req, id, review.duties)}</tbody></table>
<div class="card"><h2>${t('Tên đơn vị', 'Unit names')}</h2>
<h3>${t('Đề xuất tạo mới (sẽ được đánh dấu để xem lại)', 'Proposed new (created, marked for review)')} (${review.newNames.length})</h3>
${review.newNames.length ? html`<ul class="new-names">${review.newNames.map((n) => html`<li>${n.name} <span class="muted">(${n.kind === 'group' ? t('nhóm', 'group') : t('đơn vị', 'unit')})</span></li>`)}</ul>${mapForms(req, id, review.newNames, units)}` : html`<p class="muted">${t('Không có.', 'None.')}</p>`}
<h3>${t('Đã khớp với danh mục', 'Matched to existing units')} (${review.matched.length})</h3>
${review.matched.length ? html`<ul class="matched-names">${review.matched.map((n) => html`<li>${n.name}${n.entry !== n.name ? html` → ${n.entry}` : ''}${n.proposed ? html` <span class="muted">(${t('đang chờ xem lại', 'awaiting review')})</span>` : ''}</li>`)}</ul>` : html`<p class="muted">${t('Không có.', 'None.')}</p>`}
</div>
<div class="row">
${
  review.duties.length
    ? html`<form method="post" action="/admin/import/${id}/commit" class="inline">${csrfField(req)}${conflictChoices(req, review.duties)}${retireChoices(t, r)}<button type="submit">${t(`Nhập ${review.duties.length} nhiệm vụ`, `Import ${review.duties.length} duties`)}</button></form>`
    : html`<p class="muted">${t('Không có nhiệm vụ nào để nhập từ văn bản này.', 'There is no duty to import from this document.')}</p>`
}
<form method="post" action="/admin/import/${id}/discard" class="inline">${csrfField(req)}<button type="submit" class="secondary">${t('Hủy', 'Cancel')}</button></form>
</div>
<p class="muted">${t(`Bản xem lại được giữ ${IMPORT_DRAFT_TTL_SECONDS / 3600} giờ.`, `This review is kept for ${IMPORT_DRAFT_TTL_SECONDS / 3600} hours.`)}</p>`;
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
    const t = translator(adminOf(req).lang);
    return sendPage(req, reply, {
      status,
      title: t('Nhập kế hoạch', 'Import a plan'),
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
    const t = translator(a.lang);
    const r = await reviewDraft(deps.db, a.orgId, await loadImportDraft(store, a.orgId, id));
    return sendPage(req, reply, {
      status: 400,
      title: t('Xem lại kế hoạch', 'Review the plan'),
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
    const t = translator(adminOf(req).lang);
    return sendPage(req, reply, { title: t('Nhập kế hoạch', 'Import a plan'), body: importForm(req) });
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
    const t = translator(a.lang);
    try {
      const draft = await loadImportDraft(store, a.orgId, req.params.id);
      const r = await reviewDraft(deps.db, a.orgId, draft);
      return sendPage(req, reply, {
        title: t('Xem lại kế hoạch', 'Review the plan'),
        body: await reviewPage(req, req.params.id, r, await unitNames(a.orgId)),
      });
    } catch (e) {
      if (e instanceof ImportDraftGoneError) return gone(req, reply, e);
      throw e;
    }
  });

  scope.post('/import/:id/fix', async (req: Req, reply) => {
    const a = adminOf(req);
    const t = translator(a.lang);
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
        t(
          `Đã sửa nhiệm vụ ${code}: ${describeSchedule(r.duty.schedule, 'vi')}${left.length ? ` (còn ${left.length} cờ)` : ''}. Chưa lưu cho đến khi bấm «Nhập».`,
          `Duty ${code} fixed: ${describeSchedule(r.duty.schedule, 'en')}${left.length ? ` (${left.length} flags left)` : ''}. Not saved until you press «Import».`,
        ),
      );
    } catch (e) {
      if (e instanceof ImportDraftGoneError) return gone(req, reply, e);
      if (!(e instanceof UserError)) throw e;
      return reviewWithError(req, reply, id, `${code}: ${messageIn(e, adminOf(req).lang)}`);
    }
  });

  scope.post('/import/:id/horizon', async (req: Req, reply) => {
    const a = adminOf(req);
    const t = translator(a.lang);
    const id = req.params.id;
    try {
      const r = await setImportDraftHorizon(deps.db, store, a.orgId, id, field(req.body, 'horizon'));
      const year = r.review.plan.horizonYear;
      return redirectWith(
        reply,
        `/admin/import/${id}`,
        year
          ? t(
              `Năm kết thúc kế hoạch: ${year}. Chưa lưu cho đến khi bấm «Nhập».`,
              `The plan’s last year: ${year}. Not saved until you press «Import».`,
            )
          : t(
              'Kế hoạch không có năm kết thúc. Chưa lưu cho đến khi bấm «Nhập».',
              'The plan has no last year. Not saved until you press «Import».',
            ),
      );
    } catch (e) {
      if (e instanceof ImportDraftGoneError) return gone(req, reply, e);
      if (!(e instanceof UserError)) throw e;
      return reviewWithError(req, reply, id, messageIn(e, adminOf(req).lang));
    }
  });

  scope.post('/import/:id/track-from', async (req: Req, reply) => {
    const a = adminOf(req);
    const t = translator(a.lang);
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
        day
          ? t(
              `Theo dõi từ ${dmy(day)}; các kỳ trước đó là lịch sử. Chưa lưu cho đến khi bấm «Nhập».`,
              `Tracked from ${dmy(day)}; earlier periods are history. Not saved until you press «Import».`,
            )
          : t(
              'Theo dõi mọi kỳ, kể cả đã qua. Chưa lưu cho đến khi bấm «Nhập».',
              'Every period is tracked, the past included. Not saved until you press «Import».',
            ),
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
    const t = translator(a.lang);
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
        t(
          `Đã nhập kế hoạch ${planCode}: ${r.created} nhiệm vụ mới, ${r.updated} cập nhật, ${r.unchanged} không đổi, ${r.retired} ngừng; ${r.newNames.length} đơn vị/nhóm mới (đề xuất). Nghĩa vụ năm nay: ${o.created} mới.`,
          `Plan ${planCode} imported: ${r.created} new duties, ${r.updated} updated, ${r.unchanged} unchanged, ${r.retired} retired; ${r.newNames.length} new units/groups (proposed). This year's obligations: ${o.created} new.`,
        ),
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
    const t = translator(a.lang);
    const name = field(req.body, 'name').slice(0, 300);
    const unit = field(req.body, 'unit').slice(0, 300);
    try {
      await loadImportDraft(store, a.orgId, req.params.id);
      if (!name || !unit)
        throw new UserError(t('Chọn đơn vị đã có để ghép tên này.', 'Choose the known unit for this name.'));
      const entry = await addAlias(deps.db, a.orgId, unit, name, a.actor);
      return redirectWith(
        reply,
        `/admin/import/${req.params.id}`,
        t(
          `Đã ghép «${name}» với ${entry.name} (thành tên khác của đơn vị).`,
          `«${name}» mapped to ${entry.name} (as its alias).`,
        ),
      );
    } catch (e) {
      if (e instanceof ImportDraftGoneError) return gone(req, reply, e);
      if (!(e instanceof UserError)) throw e;
      return reviewWithError(req, reply, req.params.id, messageIn(e, a.lang));
    }
  });

  scope.post('/import/:id/discard', async (req: Req, reply) => {
    const a = adminOf(req);
    const t = translator(a.lang);
    try {
      await discardImportDraft(store, a.orgId, req.params.id);
    } catch (e) {
      if (e instanceof ImportDraftGoneError) return gone(req, reply, e);
      throw e;
    }
    return redirectWith(
      reply,
      '/admin/import',
      t('Đã hủy bản xem lại; không có gì được nhập.', 'The review was cancelled; nothing was imported.'),
    );
  });
}
