import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { UserError } from '#root/errors/index.js';
import { exportFileName, exportYears, statusCsv, statusXlsx, yearlyStatus } from '#root/services/exports.js';
import { adminOf, sendPage } from '../admin.js';
import { html, translator } from '../html.js';
import type { WebDeps } from '../server.js';

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The year asked for: four digits, within reason; anything else is a clear 400 that changes nothing. */
function yearOf(req: FastifyRequest): number {
  const t = translator(adminOf(req).lang);
  const raw = (req.query as Record<string, unknown> | undefined)?.year;
  const text = typeof raw === 'string' ? raw.trim() : '';
  const year = /^\d{4}$/.test(text) ? Number(text) : NaN;
  if (!(year >= 2000 && year <= 2100)) {
    throw new UserError(
      t(
        `Năm không hợp lệ: “${text.slice(0, 20)}”. Hãy chọn một năm, ví dụ 2026.`,
        `Invalid year: “${text.slice(0, 20)}”. Choose a year, e.g. 2026.`,
      ),
    );
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
    const t = translator(a.lang);
    const [years, units] = await Promise.all([
      exportYears(deps.db, a.orgId, deps.clock.now()),
      deps.db.unit.findMany({ where: { orgId: a.orgId, active: true }, select: { id: true, name: true } }),
    ]);
    units.sort((x, y) => x.name.localeCompare(y.name, 'vi'));
    return sendPage(req, reply, {
      title: t('Xuất báo cáo tình hình', 'Status exports'),
      body: html`<h1>${t('Xuất báo cáo tình hình thực hiện', 'Export the implementation status')}</h1>
<p class="muted">${t(
        'Tình hình từng nhiệm vụ và đơn vị chủ trì trong năm, theo bảng phụ lục của kế hoạch (TT, Nhiệm vụ, Đơn vị chủ trì, Trạng thái, Ngày hoàn thành, Ghi chú), để tổng hợp báo cáo trước ngày 30/11. Tệp Excel có một trang tính cho mỗi kế hoạch; tệp CSV gộp mọi kế hoạch.',
        'Each duty and lead unit over the year, in the columns of the plan’s appendix, for the report due on 30/11. The Excel file has one sheet per plan; the CSV has every plan.',
      )}</p>
<table><thead><tr><th>${t('Năm', 'Year')}</th><th>Excel (XLSX)</th><th>CSV</th><th>${t('Dự thảo báo cáo (Word)', 'Report draft (Word)')}</th></tr></thead><tbody>
${years.map((y) => html`<tr><td>${y}</td><td><a href="/admin/exports/status.xlsx?year=${y}" download>${t('Tải tệp Excel', 'Download Excel')} ${y}</a></td><td><a href="/admin/exports/status.csv?year=${y}" download>${t('Tải tệp CSV', 'Download CSV')} ${y}</a></td><td><a href="/admin/exports/report.docx?year=${y}" download>${t('Tải báo cáo', 'Download the report')} ${y}</a></td></tr>`)}
</tbody></table>
<form method="get" action="/admin/exports/report.docx" class="row card">
<label>${t('Báo cáo năm của một đơn vị', 'A unit’s own yearly report')}<br><select name="unit">${units.map((u) => html`<option value="${u.id}">${u.name}</option>`)}</select></label>
<label>${t('Năm', 'Year')}<br><input type="number" name="year" min="2000" max="2100" required inputmode="numeric" class="w7" value="${years[0] ?? ''}"></label>
<button type="submit">${t('Tải báo cáo (Word)', 'Download the report (Word)')}</button></form>
<p class="muted">${t(
        'Dự thảo báo cáo theo thể thức Nghị định 30/2020/NĐ-CP: kết quả chung, từng nhiệm vụ, các chỉ tiêu, khó khăn, kiến nghị và phụ lục đơn vị × nhiệm vụ; số và ký hiệu văn bản để trống để điền.',
        'A report draft laid out per Decree 30/2020: overall results, each duty, the indicators, difficulties, proposals and an appendix of units × duties; the number and symbol are left blank to fill in.',
      )}</p>
<form method="get" action="/admin/exports/status.xlsx" class="row card">
<label>${t('Năm khác', 'Another year')}<br><input type="number" name="year" min="2000" max="2100" required inputmode="numeric" class="w7"></label>
<button type="submit">${t('Tải tệp Excel', 'Download Excel')}</button></form>
<p class="muted">${t(
        'Tệp CSV dùng mã UTF-8 (có BOM) và dấu phẩy; nếu Excel trên máy dùng dấu chấm phẩy làm dấu phân cách danh sách (cài đặt vùng Việt Nam), hãy mở tệp Excel thay vì tệp CSV.',
        'The CSV is UTF-8 (with a BOM), comma-separated; if Excel on this computer uses semicolons as list separator (Vietnamese regional settings), open the Excel file instead.',
      )}</p>`,
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
