import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { UserError } from '#root/errors/index.js';
import { exportFileName, exportYears, statusCsv, statusXlsx, yearlyStatus } from '#root/services/exports.js';
import { adminOf, sendPage } from '../admin.js';
import { html } from '../html.js';
import { webWords } from '../words.js';
import type { WebDeps } from '../server.js';

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The year asked for: four digits, within reason; anything else is a clear 400 that changes nothing. */
function yearOf(req: FastifyRequest): number {
  const t = webWords('exports', adminOf(req).lang);
  const raw = (req.query as Record<string, unknown> | undefined)?.year;
  const text = typeof raw === 'string' ? raw.trim() : '';
  const year = /^\d{4}$/.test(text) ? Number(text) : NaN;
  if (!(year >= 2000 && year <= 2100)) {
    throw new UserError(t('invalidYearTextChoose', { text: text.slice(0, 20) }));
  }
  return year;
}

/**
 * Administrators' pages: the yearly consolidated status (the 30/11 report) as XLSX (one sheet per
 * plan) and CSV (every plan in one file). Downloads are reads: logged, not audited.
 */
export function registerExportPages(scope: FastifyInstance, deps: WebDeps): void {
  scope.get('/exports', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('exports', a.lang);
    const [years, units] = await Promise.all([
      exportYears(deps.db, a.orgId, deps.clock.now()),
      deps.db.unit.findMany({ where: { orgId: a.orgId, active: true }, select: { id: true, name: true } }),
    ]);
    units.sort((x, y) => x.name.localeCompare(y.name, 'vi'));
    return sendPage(req, reply, {
      title: t('statusExports'),
      body: html`<h1>${t('exportImplementationStatus')}</h1>
<p class="muted">${t('eachDutyLeadUnit')}</p>
<table><thead><tr><th>${t('year')}</th><th>Excel (XLSX)</th><th>CSV</th><th>${t('reportDraftWord')}</th></tr></thead><tbody>
${years.map((y) => html`<tr><td>${y}</td><td><a href="/admin/exports/status.xlsx?year=${y}" download>${t('downloadExcel')} ${y}</a></td><td><a href="/admin/exports/status.csv?year=${y}" download>${t('downloadCsv')} ${y}</a></td><td><a href="/admin/exports/report.docx?year=${y}" download>${t('downloadReport')} ${y}</a></td></tr>`)}
</tbody></table>
<form method="get" action="/admin/exports/report.docx" class="row card">
<label>${t('unitOwnYearlyReport')}<br><select name="unit">${units.map((u) => html`<option value="${u.id}">${u.name}</option>`)}</select></label>
<label>${t('year')}<br><input type="number" name="year" min="2000" max="2100" required inputmode="numeric" class="w7" value="${years[0] ?? ''}"></label>
<button type="submit">${t('downloadReportWord')}</button></form>
<p class="muted">${t('reportDraftLaidOut')}</p>
<form method="get" action="/admin/exports/status.xlsx" class="row card">
<label>${t('anotherYear')}<br><input type="number" name="year" min="2000" max="2100" required inputmode="numeric" class="w7"></label>
<button type="submit">${t('downloadExcel')}</button></form>
<p class="muted">${t('csvUtf8Bom')}</p>`,
    });
  });

  async function download(req: FastifyRequest, reply: FastifyReply, format: 'xlsx' | 'csv') {
    const a = adminOf(req);
    const year = yearOf(req);
    const started = performance.now();
    const status = await yearlyStatus(deps.db, a.orgId, year, deps.clock.now());
    const body = format === 'xlsx' ? await statusXlsx(status) : Buffer.from(statusCsv(status), 'utf8');
    const name = exportFileName(status.org.code, year, format);
    deps.logger.info(
      {
        role: 'web',
        orgId: a.orgId,
        year,
        format,
        plans: status.plans.length,
        rows: status.plans.reduce((n, p) => n + p.rows.length, 0),
        bytes: body.length,
        ms: Math.round(performance.now() - started),
      },
      'status exported',
    );
    return reply
      .type(format === 'xlsx' ? XLSX_TYPE : 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${name}"`)
      .send(body);
  }

  scope.get('/exports/status.xlsx', async (req, reply) => download(req, reply, 'xlsx'));
  scope.get('/exports/status.csv', async (req, reply) => download(req, reply, 'csv'));
}
