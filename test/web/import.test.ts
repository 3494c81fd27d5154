import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { deflateRawSync } from 'node:zlib';
import ExcelJS from 'exceljs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, type Redis } from '#root/redis.js';
import { createAdmin } from '#root/services/admins.js';
import { samplePlanPath } from '#root/services/demo.js';
import { IMPORT_DRAFT_TTL_SECONDS } from '#root/services/import-drafts.js';
import { ensureOrganisation } from '#root/services/orgs.js';
import { startWebTest, type WebClient, type WebResponse, type WebTest } from '../helpers/web.js';
import { buildZip, workbookFiles } from '../helpers/zip.js';

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** A small plan as CSV: an HTML title, a timeframe the parser does not understand, a new unit. */
const CSV = [
  'TT,Nhiệm vụ,Đơn vị chủ trì,Đơn vị phối hợp,Thời gian thực hiện',
  '1,Rà soát <b>hệ thống</b> thông tin,Sở Thông tin và Truyền thông,Công an Thành phố,Hàng năm',
  '2,"Diễn tập, ứng cứu sự cố",Sở Thử Nghiệm Mới,,Khi có yêu cầu của cấp trên',
  '3,Báo cáo quý,Sở Tài chính,,Hằng quý',
].join('\r\n');

/** The same kind of table as pasted from Word. */
const PIPE_TABLE = [
  'TT | Nhiệm vụ | Đơn vị chủ trì | Đơn vị phối hợp | Thời gian thực hiện |',
  '1 | Rà soát hệ thống | Sở Y tế | | Hằng năm |',
  '2 | Diễn tập | Sở Nội vụ | | Khi có yêu cầu |',
].join('\n');

const draftIdOf = (res: WebResponse) => {
  expect(res.status, res.text.slice(0, 2000)).toBe(303);
  const m = /^\/admin\/import\/([\w-]{22})$/.exec(res.location ?? '');
  expect(m, String(res.location)).not.toBeNull();
  return m![1]!;
};

/** The flash a redirect leaves, as the next page shows it. */
async function flashAfter(c: WebClient, res: WebResponse): Promise<string> {
  expect(res.status, res.text.slice(0, 2000)).toBe(303);
  const page = await c.get(res.location!);
  return /<div class="flash" role="status">([^<]*)<\/div>/.exec(page.text)?.[1] ?? '';
}

/** The table row of a duty on the review page. */
const rowOf = (page: string, code: string) =>
  new RegExp(`<tr id="tt-${code.replace('.', '\\.')}"[^>]*>[\\s\\S]*?</tr>`).exec(page)?.[0] ?? '';

describe('importing a plan from the web page', () => {
  let w: WebTest;
  let redis: Redis;
  let prefix: string;
  let sample: string;
  /** An organisation of its own with its own administrator: a clean import. */
  let fresh: { orgId: string; client: WebClient; email: string };

  /** The web role's log lines, as objects: each reading of an upload logs «plan file read». */
  const logLines: { msg?: string; duties?: number }[] = [];
  const readings = () => logLines.filter((l) => l.msg === 'plan file read').length;
  const importKeys = async () => (await redis.keys(`${prefix}:import:*`)).sort();
  const planCount = (orgId: string) => w.t.prisma.plan.count({ where: { orgId } });

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n'))
          if (line.trim()) logLines.push(JSON.parse(line) as { msg?: string });
        done();
      },
    });
    w = await startWebTest({ logger: pino({ level: 'info' }, sink) });
    redis = createRedis(w.s.config.REDIS_URL);
    prefix = w.s.config.REDIS_PREFIX;
    sample = await readFile(samplePlanPath('kh-3131-hcm.txt'), 'utf8');
    const org = await ensureOrganisation(w.t.prisma, { code: 'moi', name: 'Sở TTTT tỉnh Mới' });
    const email = 'quantri@moi.example.vn';
    await createAdmin(w.t.prisma, org.id, { email, name: 'Anh Quản Trị', password: 'mat-khau-tinh-moi-1' }, 'test');
    const client = w.newClient();
    expect((await client.login(email, 'mat-khau-tinh-moi-1')).status).toBe(303);
    fresh = { orgId: org.id, client, email };
  }, 60_000);
  afterAll(async () => {
    await redis?.quit();
    await w?.stop();
  });

  it('offers a text box to paste the appendix, a file upload and an optional plan code', async () => {
    const page = await w.client.get('/admin/import');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<textarea id="import-text" name="text"');
    expect(page.text).toContain('enctype="multipart/form-data"');
    expect(page.text).toContain('type="file" id="import-file" name="file"');
    expect(page.text.match(/name="planCode"/g)).toHaveLength(2);
    expect(page.text).toContain('Dán văn bản');
  });

  describe('the HCMC plan pasted into an organisation that has none of it', () => {
    let id: string;

    it('reviews it without writing anything: 29 duties, every name proposed as new, the draft in Redis for 2 hours', async () => {
      const before = await w.t.prisma.auditEvent.count({ where: { orgId: fresh.orgId } });
      id = draftIdOf(await fresh.client.post('/admin/import', { text: sample, planCode: '' }));
      const raw = await redis.get(`${prefix}:import:${id}`);
      // The plan as read, not the text: the review is never read from the source again.
      const stored = JSON.parse(raw!) as {
        orgId: string;
        source?: unknown;
        draft: { duties: unknown[]; plan: { code: string } };
        fixes: object;
      };
      expect(stored).toMatchObject({
        orgId: fresh.orgId,
        fileName: null,
        planCode: null,
        fixes: {},
        draft: { plan: { code: '3131/KH-UBND' }, format: 'plan-text' },
      });
      expect(stored.draft.duties).toHaveLength(29);
      expect(stored.source).toBeUndefined();
      const ttl = await redis.ttl(`${prefix}:import:${id}`);
      expect(ttl).toBeGreaterThan(IMPORT_DRAFT_TTL_SECONDS - 60);
      expect(ttl).toBeLessThanOrEqual(IMPORT_DRAFT_TTL_SECONDS);

      const page = await fresh.client.get(`/admin/import/${id}`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('<strong>3131/KH-UBND</strong> · ngày 07/07/2023');
      expect(page.text).toContain('Kế hoạch hành động triển khai thực hiện Chiến lược An toàn, An ninh mạng quốc gia');
      expect(page.text).toMatch(/29 nhiệm vụ/);
      // Duty 4.2: its lead named, its timeframe as written, the schedule understood.
      const row = rowOf(page.text, '4.2');
      expect(row).toContain('Sở Thông tin và Truyền thông <strong>(mới)</strong>');
      expect(row).toContain('hằng năm, hạn 15/11');
      // Nothing matches in an empty organisation: every row is flagged for its new names.
      expect(row).toContain('class="flag"');
      expect(row).toContain('Đơn vị chưa có trong danh mục (đề xuất tạo mới): «Sở Thông tin và Truyền thông»');
      const proposed = /<ul class="new-names">([\s\S]*?)<\/ul>/.exec(page.text)?.[1] ?? '';
      expect(proposed).toContain('<li>Sở Thông tin và Truyền thông <span class="muted">(đơn vị)</span></li>');
      expect(page.text).not.toContain('class="matched-names"');
      expect(await planCount(fresh.orgId)).toBe(0);
      expect(await w.t.prisma.auditEvent.count({ where: { orgId: fresh.orgId } })).toBe(before);
    });

    it('commits it: the plan, 29 duties, the proposed units, one audit row by the administrator, the draft gone', async () => {
      const flash = await flashAfter(fresh.client, await fresh.client.post(`/admin/import/${id}/commit`));
      expect(flash).toMatch(
        /^Đã nhập kế hoạch 3131\/KH-UBND: 29 nhiệm vụ mới, 0 cập nhật, 0 không đổi, 0 ngừng; \d+ đơn vị\/nhóm mới \(đề xuất\)/,
      );
      const duties = await w.t.prisma.duty.findMany({
        where: { orgId: fresh.orgId },
        include: { schedule: true, assignments: { include: { unit: true } } },
      });
      expect(duties).toHaveLength(29);
      const d42 = duties.find((d) => d.code === '4.2')!;
      expect(d42.schedule).toMatchObject({ kind: 'yearly', due: '11-15' });
      expect(d42.assignments.find((a) => a.role === 'lead')?.unit?.name).toBe('Sở Thông tin và Truyền thông');
      const proposed = await w.t.prisma.unit.findMany({ where: { orgId: fresh.orgId, proposed: true } });
      expect(proposed.map((u) => u.name)).toContain('Sở Thông tin và Truyền thông');
      // The count of units and groups actually created (two spellings of one name make one unit).
      const created =
        (await w.t.prisma.unit.count({ where: { orgId: fresh.orgId } })) +
        (await w.t.prisma.unitGroup.count({ where: { orgId: fresh.orgId } }));
      expect(flash).toContain(`; ${created} đơn vị/nhóm mới`);
      const audit = await w.t.prisma.auditEvent.findMany({ where: { orgId: fresh.orgId, action: 'plan.import' } });
      expect(audit).toHaveLength(1);
      expect(audit[0]!.actor).toBe(`web:${fresh.email}`);
      expect(audit[0]!.data).toMatchObject({ code: '3131/KH-UBND', created: 29, newNames: created });
      expect(await redis.exists(`${prefix}:import:${id}`)).toBe(0);
      // This year's obligations were made at once, as `dondoc import` does.
      expect(await w.t.prisma.obligation.count({ where: { orgId: fresh.orgId } })).toBeGreaterThan(0);
    });

    it('does not import the same review twice: a second click says it was already imported', async () => {
      const again = await fresh.client.post(`/admin/import/${id}/commit`);
      expect(again.status).toBe(409);
      expect(again.text).toContain('Bản xem lại này đã được nhập rồi');
      expect(await w.t.prisma.auditEvent.count({ where: { orgId: fresh.orgId, action: 'plan.import' } })).toBe(1);
      expect(await w.t.prisma.duty.count({ where: { orgId: fresh.orgId } })).toBe(29);
    });
  });

  it('reads the same plan uploaded as a file into the demo organisation: names matched, the existing plan unchanged', async () => {
    const res = await w.client.upload(
      '/admin/import',
      { planCode: '' },
      { field: 'file', name: 'kh-3131-hcm.txt', type: 'text/plain', data: Buffer.from(sample) },
    );
    const id = draftIdOf(res);
    const page = await w.client.get(`/admin/import/${id}`);
    expect(page.text).toContain('Kế hoạch 3131/KH-UBND đã có (29 nhiệm vụ đang áp dụng)');
    const matched = /<ul class="matched-names">([\s\S]*?)<\/ul>/.exec(page.text)?.[1] ?? '';
    expect(matched).toContain('<li>Sở Thông tin và Truyền thông</li>');
    expect(page.text).not.toContain('(mới)');
    expect(rowOf(page.text, '4.2')).not.toContain('class="flag"');
    const dutiesBefore = await w.t.prisma.duty.findMany({ where: { orgId: w.orgId }, orderBy: { id: 'asc' } });
    const flash = await flashAfter(w.client, await w.client.post(`/admin/import/${id}/commit`));
    expect(flash).toContain('0 nhiệm vụ mới, 0 cập nhật, 29 không đổi, 0 ngừng; 0 đơn vị/nhóm mới');
    expect(await w.t.prisma.duty.findMany({ where: { orgId: w.orgId }, orderBy: { id: 'asc' } })).toEqual(dutiesBefore);
  });

  describe('a CSV with a flagged row', () => {
    let id: string;
    const code = '77/KH-UBND';

    it('shows the flagged row highlighted with its flag, the new unit apart, and HTML in a title as text', async () => {
      id = draftIdOf(
        await w.client.upload(
          '/admin/import',
          { planCode: code },
          { field: 'file', name: 'ke-hoach.csv', type: 'text/csv', data: Buffer.from(CSV) },
        ),
      );
      const page = await w.client.get(`/admin/import/${id}`);
      expect(page.status).toBe(200);
      expect(page.text).toContain(`<strong>${code}</strong>`);
      expect(page.text).toContain('Rà soát &lt;b&gt;hệ thống&lt;/b&gt; thông tin');
      expect(page.text).not.toContain('<b>hệ thống</b>');
      const row2 = rowOf(page.text, '2');
      expect(row2).toContain('class="flag"');
      expect(row2).toContain('Không hiểu thời hạn: «Khi có yêu cầu của cấp trên»');
      expect(row2).not.toContain('The timeframe is not understood');
      expect(row2).toContain('CHƯA HIỂU: «Khi có yêu cầu của cấp trên»');
      expect(row2).toContain(`action="/admin/import/${id}/fix"`);
      expect(rowOf(page.text, '1')).not.toContain('class="flag"');
      expect(rowOf(page.text, '3')).toContain('3 tháng/lần');
      expect(/<ul class="new-names">([\s\S]*?)<\/ul>/.exec(page.text)?.[1]).toContain('Sở Thử Nghiệm Mới');
      expect(/<ul class="matched-names">([\s\S]*?)<\/ul>/.exec(page.text)?.[1]).toContain('Công an Thành phố');
    });

    it('shows the timeframe flag in English only on an English page', async () => {
      const c = w.newClient();
      await c.login(w.admin.email, w.admin.password);
      c.cookies.set('lang', 'en');
      const row2 = rowOf((await c.get(`/admin/import/${id}`)).text, '2');
      expect(row2).toContain('The timeframe is not understood: «Khi có yêu cầu của cấp trên»');
      expect(row2).not.toContain('Không hiểu thời hạn');
      // Where the duty was read, in English too (the CSV's third row).
      expect(row2).toContain('<summary>Source <span class="muted">(row 3)</span></summary>');
      expect(rowOf((await w.client.get(`/admin/import/${id}`)).text, '2')).toContain(
        '<summary>Nguồn <span class="muted">(hàng 3)</span></summary>',
      );
      const refused = await c.post(`/admin/import/${id}/fix`, { code: '2', timeframe: 'khi nào rảnh' });
      expect(refused.status).toBe(400);
      expect(refused.text).toContain(
        'The timeframe «khi nào rảnh» is still not understood. Write it in a form such as «trước ngày 15/11/2026», «hằng quý» or «năm 2026».',
      );
      expect(refused.text).not.toContain('Không hiểu thời hạn');
    });

    it('refuses a fix whose timeframe is still not understood, keeping nothing', async () => {
      const before = await redis.get(`${prefix}:import:${id}`);
      const res = await w.client.post(`/admin/import/${id}/fix`, { code: '2', timeframe: 'khi nào rảnh' });
      expect(res.status).toBe(400);
      expect(res.text).toContain(
        'Vẫn chưa hiểu thời hạn «khi nào rảnh». Hãy viết theo dạng như «trước ngày 15/11/2026», «hằng quý» hoặc «năm 2026».',
      );
      expect(res.text).not.toContain('The timeframe is not understood');
      // Still the review page, the row still flagged.
      expect(rowOf(res.text, '2')).toContain('class="flag"');
      expect(await redis.get(`${prefix}:import:${id}`)).toBe(before);
      const none = await w.client.post(`/admin/import/${id}/fix`, { code: '9', timeframe: 'Hằng năm' });
      expect(none.status).toBe(400);
      expect(none.text).toContain('Không có nhiệm vụ «9» trong bản xem lại');
    });

    it('fixes the timeframe, keeps the fix in the draft, and commits the duty fixed', async () => {
      const flash = await flashAfter(
        w.client,
        await w.client.post(`/admin/import/${id}/fix`, { code: '2', timeframe: 'Trước ngày 30/6 hằng năm' }),
      );
      expect(flash).toContain('Đã sửa nhiệm vụ 2: hằng năm, hạn 30/06');
      expect(JSON.parse((await redis.get(`${prefix}:import:${id}`))!).fixes).toEqual({
        '2': { timeframe: 'Trước ngày 30/6 hằng năm' },
      });
      const page = await w.client.get(`/admin/import/${id}`);
      const row2 = rowOf(page.text, '2');
      expect(row2).not.toContain('Không hiểu thời hạn');
      expect(row2).toContain('hằng năm, hạn 30/06');
      // Still flagged for its new unit.
      expect(row2).toContain('class="flag"');
      expect(await planCount(w.orgId)).toBe(1);

      const done = await flashAfter(w.client, await w.client.post(`/admin/import/${id}/commit`));
      expect(done).toContain(`Đã nhập kế hoạch ${code}: 3 nhiệm vụ mới`);
      expect(done).toContain('1 đơn vị/nhóm mới');
      const plan = await w.t.prisma.plan.findUniqueOrThrow({ where: { orgId_code: { orgId: w.orgId, code } } });
      const duties = await w.t.prisma.duty.findMany({
        where: { planId: plan.id },
        include: { schedule: true },
        orderBy: { position: 'asc' },
      });
      expect(duties.map((d) => [d.code, d.title, d.timeframe, d.schedule?.kind, d.schedule?.due])).toEqual([
        ['1', 'Rà soát <b>hệ thống</b> thông tin', 'Hàng năm', 'yearly', '11-15'],
        ['2', 'Diễn tập, ứng cứu sự cố', 'Trước ngày 30/6 hằng năm', 'yearly', '06-30'],
        ['3', 'Báo cáo quý', 'Hằng quý', 'every', '03-31'],
      ]);
      expect(duties[1]!.flags).toEqual([]);
      expect(
        await w.t.prisma.unit.findFirst({ where: { orgId: w.orgId, name: 'Sở Thử Nghiệm Mới', proposed: true } }),
      ).not.toBeNull();
      const audit = await w.t.prisma.auditEvent.findFirstOrThrow({
        where: { orgId: w.orgId, action: 'plan.import', entityId: plan.id },
      });
      expect(audit.actor).toBe(`web:${w.admin.email}`);
      expect(audit.data).toMatchObject({ code, format: 'csv', created: 3 });
    });
  });

  it('clears the flags of a row the administrator has looked at, and refuses a fix that changes nothing', async () => {
    const id = draftIdOf(await w.client.post('/admin/import', { text: PIPE_TABLE, planCode: '66/KH-CO' }));
    const nothing = await w.client.post(`/admin/import/${id}/fix`, { code: '1', timeframe: 'Hằng năm' });
    expect(nothing.status).toBe(400);
    expect(nothing.text).toContain('Không có gì để sửa');
    expect(rowOf((await w.client.get(`/admin/import/${id}`)).text, '2')).toContain('class="flag"');
    const flash = await flashAfter(
      w.client,
      await w.client.post(`/admin/import/${id}/fix`, { code: '2', timeframe: 'Khi có yêu cầu', clearFlags: '1' }),
    );
    expect(flash).toContain('Đã sửa nhiệm vụ 2: CHƯA HIỂU: «Khi có yêu cầu»');
    const row2 = rowOf((await w.client.get(`/admin/import/${id}`)).text, '2');
    expect(row2).not.toContain('class="flag"');
    expect(row2).toContain('CHƯA HIỂU');
    expect(JSON.parse((await redis.get(`${prefix}:import:${id}`))!).fixes).toEqual({ '2': { clearFlags: true } });
    expect(await flashAfter(w.client, await w.client.post(`/admin/import/${id}/discard`))).toContain(
      'không có gì được nhập',
    );
    expect(await w.t.prisma.plan.count({ where: { code: '66/KH-CO' } })).toBe(0);
  });

  it('reads an XLSX workbook', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Phụ lục');
    ws.addRow(['TT', 'Nhiệm vụ', 'Đơn vị chủ trì', 'Đơn vị phối hợp', 'Thời gian thực hiện']);
    ws.addRow([
      '1',
      'Kiểm tra an toàn thông tin',
      'Sở Y tế',
      'Sở Thông tin và Truyền thông',
      'Trước ngày 15/10 hằng năm',
    ]);
    ws.addRow(['2', 'Tập huấn', 'Sở Nội vụ', '', 'Quý IV/2026']);
    const data = Buffer.from(await wb.xlsx.writeBuffer());
    const id = draftIdOf(
      await w.client.upload(
        '/admin/import',
        { planCode: '88/KH-XLSX' },
        {
          field: 'file',
          name: 'phu-luc.xlsx',
          type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
          data,
        },
      ),
    );
    const page = await w.client.get(`/admin/import/${id}`);
    expect(page.text).toContain('Định dạng: tệp Excel (XLSX) · 2 nhiệm vụ · 0 cần xem lại · 0 tên mới');
    expect(rowOf(page.text, '1')).toContain('hằng năm, hạn 15/10');
    expect(rowOf(page.text, '2')).toContain('Quý IV/2026');
    const flash = await flashAfter(w.client, await w.client.post(`/admin/import/${id}/commit`));
    expect(flash).toContain('Đã nhập kế hoạch 88/KH-XLSX: 2 nhiệm vụ mới');
    const duties = await w.t.prisma.duty.findMany({
      where: { orgId: w.orgId, plan: { code: '88/KH-XLSX' } },
      include: { assignments: { include: { unit: true } } },
    });
    expect(duties.map((d) => d.assignments.filter((a) => a.role === 'lead').map((a) => a.unit?.name)).sort()).toEqual([
      ['Sở Nội vụ'],
      ['Sở Y tế'],
    ]);
  });

  describe('an upload read once, off the event loop', () => {
    /** A duty table of `rows` rows, as an XLSX. */
    async function workbook(rows: number): Promise<Buffer> {
      const wb = new ExcelJS.Workbook();
      const ws = wb.addWorksheet('Phụ lục');
      ws.addRow(['TT', 'Nhiệm vụ', 'Đơn vị chủ trì', 'Đơn vị phối hợp', 'Thời gian thực hiện']);
      for (let i = 1; i <= rows; i++)
        ws.addRow([
          String(i),
          `Rà soát, cập nhật hệ thống thông tin số ${i} theo cấp độ`,
          'Sở Y tế',
          'Sở Nội vụ',
          i % 2 ? 'Hằng năm' : 'Quý IV/2026',
        ]);
      return Buffer.from(await wb.xlsx.writeBuffer());
    }

    it('reads a large workbook without stalling the server: the event loop never waits 250 ms', async () => {
      const data = await workbook(2_500);
      const before = readings();
      const lag = monitorEventLoopDelay({ resolution: 10 });
      lag.enable();
      // The server runs in this process: a reading on its thread (seconds for this file) stalls this loop too.
      const res = await w.client.upload(
        '/admin/import',
        { planCode: '91/KH-LON' },
        { field: 'file', name: 'lon.xlsx', type: XLSX_TYPE, data },
      );
      lag.disable();
      const id = draftIdOf(res);
      expect(lag.max / 1e6).toBeLessThan(250);
      expect(readings()).toBe(before + 1);
      expect(logLines.filter((l) => l.msg === 'plan file read').at(-1)?.duties).toBe(2_500);
      expect(JSON.parse((await redis.get(`${prefix}:import:${id}`))!).draft.duties).toHaveLength(2_500);
      expect(await flashAfter(w.client, await w.client.post(`/admin/import/${id}/discard`))).toContain(
        'không có gì được nhập',
      );
    });

    it('shows, fixes and commits the review from the stored draft: the file is read once however often the page is viewed', async () => {
      const data = await workbook(3);
      const before = readings();
      const id = draftIdOf(
        await w.client.upload(
          '/admin/import',
          { planCode: '92/KH-MOT' },
          { field: 'file', name: 'mot.xlsx', type: XLSX_TYPE, data },
        ),
      );
      expect(readings()).toBe(before + 1);
      const pages = [];
      for (let i = 0; i < 5; i++)
        pages.push((await w.client.get(`/admin/import/${id}`)).text.replace(/name="_csrf" value="[^"]+"/g, ''));
      expect(pages[0]).toContain('Định dạng: tệp Excel (XLSX) · 3 nhiệm vụ');
      expect(new Set(pages).size).toBe(1);
      await flashAfter(
        w.client,
        await w.client.post(`/admin/import/${id}/fix`, { code: '2', timeframe: 'Trước ngày 30/6 hằng năm' }),
      );
      await flashAfter(w.client, await w.client.post(`/admin/import/${id}/horizon`, { horizon: '2030' }));
      expect(await flashAfter(w.client, await w.client.post(`/admin/import/${id}/commit`))).toContain(
        'Đã nhập kế hoạch 92/KH-MOT: 3 nhiệm vụ mới',
      );
      expect(readings()).toBe(before + 1);
    });

    it('refuses a zip bomb named .xlsx at once, with a message, keeping nothing', async () => {
      const sheet = Buffer.alloc(64 * 1024 * 1024, 0x20);
      const bomb = buildZip(workbookFiles(sheet, { compressed: deflateRawSync(sheet) }));
      const keys = await importKeys();
      const plans = await planCount(w.orgId);
      const started = performance.now();
      const res = await w.client.upload(
        '/admin/import',
        { planCode: '93/KH-BOM' },
        { field: 'file', name: 'ke-hoach.xlsx', type: XLSX_TYPE, data: bomb },
      );
      expect(performance.now() - started).toBeLessThan(5000);
      expect(res.status).toBe(400);
      expect(/<div class="error" role="alert">([^<]*)<\/div>/.exec(res.text)?.[1]).toMatch(
        /^Tệp Excel giải nén ra quá lớn \(hơn 50 MB\)/,
      );
      expect(await importKeys()).toEqual(keys);
      expect(await planCount(w.orgId)).toBe(plans);
    });
  });

  describe('the plan’s last year (horizon)', () => {
    /** An appendix pasted alone: one duty's own timeframe is "Đến năm 2025", others are due after it. */
    const APPENDIX = [
      'TT | Nhiệm vụ | Đơn vị chủ trì | Đơn vị phối hợp | Thời gian thực hiện |',
      '1 | Hoàn thiện quy chế bảo đảm an toàn thông tin | Sở Y tế | | Đến năm 2025 |',
      '2 | Diễn tập ứng cứu sự cố | Sở Nội vụ | | Quý I/2027 |',
      '3 | Báo cáo đánh giá | Sở Y tế | | Trước 15/11/2026 |',
      '4 | Kiểm tra định kỳ | Sở Nội vụ | | Hằng năm |',
    ].join('\n');
    const horizonOf = (page: string) =>
      /<form method="post" action="\/admin\/import\/[\w-]+\/horizon"[\s\S]*?<\/form>/.exec(page)?.[0] ?? '';

    it('is not taken from a duty’s row: the review shows none, and a duty due after a horizon set by hand keeps its date, flagged', async () => {
      const id = draftIdOf(await w.client.post('/admin/import', { text: APPENDIX, planCode: '94/KH-HOR' }));
      const page = (await w.client.get(`/admin/import/${id}`)).text;
      expect(horizonOf(page)).toContain('Năm kết thúc kế hoạch</strong></label>: không có');
      expect(horizonOf(page)).toContain('văn bản không ghi');
      expect(rowOf(page, '2')).not.toContain('vượt quá năm kết thúc');

      const bad = await w.client.post(`/admin/import/${id}/horizon`, { horizon: '20x5' });
      expect(bad.status).toBe(400);
      expect(bad.text).toContain('Năm kết thúc kế hoạch «20x5» không hợp lệ');

      expect(
        await flashAfter(w.client, await w.client.post(`/admin/import/${id}/horizon`, { horizon: '2025' })),
      ).toContain('Năm kết thúc kế hoạch: 2025');
      const set = (await w.client.get(`/admin/import/${id}`)).text;
      expect(horizonOf(set)).toContain('<span class="horizon-year">2025</span>');
      expect(horizonOf(set)).toContain('do anh/chị đặt; 2 nhiệm vụ có thời hạn sau năm này, được giữ nguyên thời hạn');
      expect(horizonOf(set)).toContain('value="2025"');
      for (const code of ['2', '3'])
        expect(rowOf(set, code)).toContain(
          'Thời hạn của nhiệm vụ vượt quá năm kết thúc của kế hoạch (2025): giữ thời hạn của nhiệm vụ',
        );
      for (const code of ['1', '4']) expect(rowOf(set, code)).not.toContain('vượt quá năm kết thúc');

      await flashAfter(w.client, await w.client.post(`/admin/import/${id}/commit`));
      const plan = await w.t.prisma.plan.findUniqueOrThrow({
        where: { orgId_code: { orgId: w.orgId, code: '94/KH-HOR' } },
      });
      expect(plan.horizonYear).toBe(2025);
      const duties = await w.t.prisma.duty.findMany({
        where: { planId: plan.id },
        include: { schedule: true },
        orderBy: { position: 'asc' },
      });
      expect(duties.map((d) => [d.code, d.schedule?.endsOn?.toISOString().slice(0, 10)])).toEqual([
        ['1', '2025-12-31'],
        ['2', '2027-03-31'],
        ['3', '2026-11-15'],
        ['4', '2025-12-31'],
      ]);
      expect(duties[1]!.flags.some((f) => f.includes('vượt quá năm kết thúc của kế hoạch (2025)'))).toBe(true);
    });
  });

  describe('input that is not a plan', () => {
    const cases: [string, { name: string; type: string; data: Buffer }, RegExp][] = [
      [
        'a PNG image',
        {
          name: 'anh.png',
          type: 'image/png',
          data: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), randomBytes(2000)]),
        },
        /không phải văn bản/,
      ],
      [
        'random bytes',
        {
          name: 'rac.bin',
          type: 'application/octet-stream',
          data: Buffer.concat([Buffer.from([0, 0, 0, 1, 0xff, 0]), randomBytes(4000)]),
        },
        /không phải văn bản|Không tìm thấy bảng nhiệm vụ/,
      ],
      ['an empty file', { name: 'trong.csv', type: 'text/csv', data: Buffer.alloc(0) }, /Không có gì để nhập/],
    ];
    for (const [what, file, message] of cases) {
      it(`refuses ${what} on the import page with 400, keeping nothing`, async () => {
        const keys = await importKeys();
        const plans = await planCount(w.orgId);
        const res = await w.client.upload('/admin/import', { planCode: '1/KH-X' }, { field: 'file', ...file });
        expect(res.status).toBe(400);
        expect(/<div class="error" role="alert">([^<]*)<\/div>/.exec(res.text)?.[1]).toMatch(message);
        // The import page again, to try another file.
        expect(res.text).toContain('<h1>Nhập kế hoạch</h1>');
        expect(await importKeys()).toEqual(keys);
        expect(await planCount(w.orgId)).toBe(plans);
      });
    }

    it('shows a CSV without a duty table for review with the plan flag, and never commits it', async () => {
      const keys = await importKeys();
      const plans = await planCount(w.orgId);
      const data = Buffer.from('Họ tên,Điện thoại\nNguyễn Văn A,0901234567\n');
      const res = await w.client.upload(
        '/admin/import',
        { planCode: '1/KH-X' },
        { field: 'file', name: 'bang.csv', type: 'text/csv', data },
      );
      const id = draftIdOf(res);
      const page = await w.client.get(`/admin/import/${id}`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('Không tìm thấy bảng nhiệm vụ');
      expect(page.text).toContain('Không có nhiệm vụ nào để nhập từ văn bản này.');
      expect(page.text).not.toContain(`action="/admin/import/${id}/commit"`);
      // Posted anyway: refused with why, the review kept, nothing written.
      const commit = await w.client.post(`/admin/import/${id}/commit`);
      expect(commit.status).toBe(400);
      expect(/<div class="error" role="alert">([^<]*)<\/div>/.exec(commit.text)?.[1]).toMatch(
        /Không có nhiệm vụ nào để nhập/,
      );
      expect(await planCount(w.orgId)).toBe(plans);
      await w.client.post(`/admin/import/${id}/discard`);
      expect(await importKeys()).toEqual(keys);
    });

    it('refuses a text with no plan code when none is given, naming the field', async () => {
      const keys = await importKeys();
      const res = await w.client.post('/admin/import', { text: PIPE_TABLE, planCode: '' });
      expect(res.status).toBe(400);
      expect(res.text).toContain('Không tìm thấy số hiệu kế hoạch');
      expect(res.text).toContain('Số hiệu kế hoạch');
      // The pasted text comes back, escaped, to be corrected.
      expect(res.text).toContain('1 | Rà soát hệ thống | Sở Y tế');
      expect(await importKeys()).toEqual(keys);
    });

    it('refuses an upload over 10 MB with 413', async () => {
      const plans = await planCount(w.orgId);
      const res = await w.client.upload(
        '/admin/import',
        { planCode: '2/KH-X' },
        { field: 'file', name: 'lon.csv', type: 'text/csv', data: Buffer.alloc(11 * 1024 * 1024, 0x61) },
      );
      expect(res.status).toBe(413);
      expect(res.text).toContain('Tệp quá lớn');
      expect(await planCount(w.orgId)).toBe(plans);
    });
  });

  describe('a review that is no longer there', () => {
    it('says it expired and asks to upload again, when Redis lost it', async () => {
      const id = draftIdOf(
        await w.client.upload(
          '/admin/import',
          { planCode: '99/KH-HET' },
          { field: 'file', name: 'x.csv', type: 'text/csv', data: Buffer.from(CSV) },
        ),
      );
      await redis.del(`${prefix}:import:${id}`);
      const page = await w.client.get(`/admin/import/${id}`);
      expect(page.status).toBe(410);
      expect(page.text).toContain('Bản xem lại đã hết hạn (sau 2 giờ) hoặc không còn; xin tải kế hoạch lên lại');
      expect(page.text).toContain('type="file" id="import-file"');
      const commit = await w.client.post(`/admin/import/${id}/commit`);
      expect(commit.status).toBe(410);
      const fix = await w.client.post(`/admin/import/${id}/fix`, { code: '2', timeframe: 'Hằng năm' });
      expect(fix.status).toBe(410);
      expect(await planCount(w.orgId)).toBe(
        await w.t.prisma.plan.count({ where: { orgId: w.orgId, code: { not: '99/KH-HET' } } }),
      );
    });

    it('is another organisation’s: not shown, not fixed, not committed', async () => {
      const id = draftIdOf(await fresh.client.post('/admin/import', { text: PIPE_TABLE, planCode: '55/KH-KHAC' }));
      const stored = await redis.get(`${prefix}:import:${id}`);
      expect((await w.client.get(`/admin/import/${id}`)).status).toBe(410);
      expect((await w.client.post(`/admin/import/${id}/fix`, { code: '2', timeframe: 'Hằng năm' })).status).toBe(410);
      expect((await w.client.post(`/admin/import/${id}/commit`)).status).toBe(410);
      expect((await w.client.post(`/admin/import/${id}/discard`)).status).toBe(410);
      expect(await redis.get(`${prefix}:import:${id}`)).toBe(stored);
      expect(await w.t.prisma.plan.count({ where: { code: '55/KH-KHAC' } })).toBe(0);
      // Its own administrator still has it, and can cancel it.
      expect((await fresh.client.get(`/admin/import/${id}`)).text).toContain('55/KH-KHAC');
      expect(await flashAfter(fresh.client, await fresh.client.post(`/admin/import/${id}/discard`))).toContain(
        'Đã hủy bản xem lại',
      );
      expect(await redis.exists(`${prefix}:import:${id}`)).toBe(0);
    });

    it('refuses a malformed id the same way', async () => {
      expect((await w.client.get('/admin/import/..%2F..%2Fetc')).status).toBe(410);
    });
  });
});
