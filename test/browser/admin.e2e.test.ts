import { readFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAdmin } from '#root/services/admins.js';
import { samplePlanPath, seedDemo } from '#root/services/demo.js';
import { obligationKey } from '#root/services/matrix.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { browserAvailable, browserRequired, launchBrowser, NO_BROWSER, screenshotPath } from '../helpers/browser.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

// A browser test loads and screenshots several pages: seconds on a quiet machine, more than the
// default 30 s when it is busy (a sibling file timed out so in CI at load average 17).
vi.setConfig({ testTimeout: 180_000 });

const ADMIN = { email: 'quantri@sotttt.example.vn', password: 'mat-khau-trinh-duyet-1' };
const run = browserAvailable || browserRequired;
if (!run) console.warn(NO_BROWSER);

/**
 * The administrator's 16 November in a real browser (Debian's Chromium through playwright-core):
 * log in, import the HCMC plan, fix a flagged row, commit, see the matrix, confirm for a unit with
 * a reason, download the consolidated status and read it back, fetch a unit's calendar feed. Every
 * step through the pages only; every change checked in PostgreSQL and in the audit log.
 */
describe.runIf(run)('the administrators’ pages in a browser', () => {
  let t: TestDatabase;
  let s: TestApp;
  let browser: Browser;
  let page: Page;
  let base: string;
  let orgId: string;
  /** The unit confirmed on its behalf. */
  let confirmed: { unit: string } = { unit: '' };
  const cspViolations: string[] = [];

  const audits = (action: string) =>
    t.prisma.auditEvent.count({ where: { orgId, action, actor: `web:${ADMIN.email}` } });
  const shot = (name: string) => page.screenshot({ path: screenshotPath(name), fullPage: true });

  beforeAll(async () => {
    if (!browserAvailable) throw new Error(NO_BROWSER);
    t = await createTestDatabase();
    // The province's units, groups and contacts as the demo has them, but not yet the plan.
    await seedDemo(t.prisma, {
      orgCode: 'hcm',
      timeZone: 'Asia/Ho_Chi_Minh',
      now: new Date('2026-11-16T02:00:00Z'),
      actor: 'test',
    });
    const org = await t.prisma.organisation.findUniqueOrThrow({ where: { code: 'hcm' } });
    await t.prisma.plan.deleteMany({ where: { orgId: org.id } });
    await t.prisma.auditEvent.deleteMany({ where: { orgId: org.id } });
    orgId = org.id;
    // The deployment's operator too: the tour ends at the queue dashboard.
    await createAdmin(
      t.prisma,
      org.id,
      { email: ADMIN.email, name: 'Chị Quản Trị', password: ADMIN.password, operator: true },
      'test',
    );
    s = await startTestApp(t, { start: new Date('2026-11-16T02:00:00Z'), roles: ['web'] });
    base = s.app.address()!;
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1366, height: 900 }, acceptDownloads: true, locale: 'vi-VN' });
    // Whatever the pages' Content-Security-Policy refuses is an error of the console (bull-board's
    // Google Fonts stylesheet is refused on purpose: src/web/pages/queues.ts).
    page.on('console', (m) => {
      if (
        m.type() === 'error' &&
        /Content Security Policy|Refused to/i.test(m.text()) &&
        !/fonts\.googleapis\.com/.test(m.text())
      )
        cspViolations.push(`${page.url()}: ${m.text()}`);
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await s?.stop();
    await t?.close();
  });

  it('logs in, and refuses a wrong password first', async () => {
    await page.goto(`${base}/admin`);
    expect(page.url()).toContain('/login');
    await page.fill('input[name=email]', ADMIN.email);
    await page.fill('input[name=password]', 'không phải mật khẩu');
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('body')).toContain('Email hoặc mật khẩu không đúng');
    await page.fill('input[name=email]', ADMIN.email);
    await page.fill('input[name=password]', ADMIN.password);
    await Promise.all([page.waitForURL(`${base}/admin`), page.click('button[type=submit]')]);
    await shot('01-empty-status');
    expect(await audits('admin.login')).toBe(1);
  });

  it('imports the plan: paste, review with its flags, fix a flagged row, commit', async () => {
    await page.goto(`${base}/admin/import`);
    await shot('02-import');
    // The plan as pasted, but with duty 1.1's timeframe ("Thường xuyên") as a clerk might have
    // typed it: a phrase the parser cannot turn into a schedule, so the review flags the row.
    const plan = readFileSync(samplePlanPath(), 'utf8').replace('Thường xuyên', 'Sau khi có hướng dẫn của Bộ');
    await page.fill('textarea[name=text]', plan);
    await Promise.all([
      page.waitForURL(/\/admin\/import\/[\w-]+$/),
      page.click('form[action="/admin/import"]:not([enctype]) button[type=submit]'),
    ]);
    expect(await page.textContent('body')).toContain('3131');
    await shot('03-import-review');
    expect(await page.locator('tr.flag').count()).toBeGreaterThan(0);
    // The row flagged for its timeframe: the administrator writes the plan's real one, and clears
    // the parser's flag (flags for unit names stay until those units are accepted).
    const row = page.locator('tr.flag').filter({ hasText: 'Không hiểu thời hạn' });
    expect(await row.count()).toBe(1);
    const code = await row.locator('input[name=code]').getAttribute('value');
    expect(code).toBe('1.1');
    const rowFlags = () => page.locator(`tr:has(input[name=code][value="${code}"]) li`).count();
    const before = await rowFlags();
    await row.locator('input[name=timeframe]').fill('Thường xuyên');
    await row.locator('input[name=clearFlags]').check();
    await row.locator('button[type=submit]').click();
    await page.locator('.flash').waitFor();
    expect(await page.textContent('.flash')).toContain(`Đã sửa nhiệm vụ ${code}`);
    expect(await rowFlags()).toBeLessThan(before);
    expect(await page.locator('tr.flag').filter({ hasText: 'Không hiểu thời hạn' }).count()).toBe(0);
    await Promise.all([
      page.waitForURL(`${base}/admin/import`),
      page.locator('form[action$="/commit"] button[type=submit]').click(),
    ]);
    expect(await page.textContent('.flash')).toContain('Đã nhập kế hoạch');
    expect(await t.prisma.plan.count({ where: { orgId } })).toBe(1);
    expect(await t.prisma.duty.count({ where: { orgId } })).toBeGreaterThan(20);
    const fixed = await t.prisma.duty.findFirstOrThrow({ where: { orgId, code: code! }, include: { schedule: true } });
    expect(fixed.schedule?.kind).toBe('ongoing');
    expect(await audits('plan.import')).toBe(1);
  });

  it('shows the matrix of units and duties, coloured, with totals', async () => {
    await page.goto(`${base}/admin?year=2026`);
    const cells = page.locator('table.matrix td a[href^="/admin/o/"]');
    const obligations = await t.prisma.obligation.count({
      where: {
        orgId,
        current: true,
        dueAt: { gte: new Date('2025-12-31T17:00:00Z'), lt: new Date('2026-12-31T17:00:00Z') },
      },
    });
    expect(obligations).toBeGreaterThan(0);
    expect(await cells.count()).toBeGreaterThan(0);
    expect(await page.locator('table.matrix td.s-overdue a').count()).toBeGreaterThan(0);
    expect(await page.textContent('body')).toMatch(/\d+\/\d+ đơn vị/);
    await shot('04-status-matrix');
  });

  it('confirms an overdue obligation on the unit’s behalf, with a reason, audited', async () => {
    // The yearly report due 15/11, one obligation a year per unit: overdue on the 16th.
    const due = await t.prisma.obligation.findFirstOrThrow({
      where: { orgId, status: 'open', duty: { code: 'BC-15/11' } },
      include: { unit: true },
      orderBy: { unit: { name: 'asc' } },
    });
    confirmed = { unit: due.unit.name };
    await page.goto(`${base}/admin?year=2026`);
    const id = due.id;
    const href = `/admin/o/${obligationKey(id)}`;
    const cell = page.locator(`table.matrix td.s-overdue a[href="${href}"]`);
    await Promise.all([page.waitForURL(`${base}${href}`), cell.click()]);
    await shot('05-obligation');
    const form = page.locator('form[action$="/confirm"]');
    // The browser itself refuses the form without a reason (required); the server would too.
    await form.locator('input[name=reason]').fill('Đơn vị đã gửi báo cáo bằng văn bản giấy ngày 14/11');
    await Promise.all([page.waitForLoadState('load'), form.locator('button[type=submit]').click()]);
    await expect.poll(async () => (await t.prisma.obligation.findUniqueOrThrow({ where: { id } })).status).toBe('done');
    expect(await page.textContent('.flash')).toBeTruthy();
    const row = await t.prisma.auditEvent.findFirstOrThrow({
      where: { orgId, entityId: id, actor: `web:${ADMIN.email}` },
      orderBy: { id: 'desc' },
    });
    expect(JSON.stringify(row.data)).toContain('văn bản giấy');
  });

  it('downloads the consolidated status as XLSX and reads it back', async () => {
    await page.goto(`${base}/admin/exports`);
    await shot('06-exports');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.click('a[href="/admin/exports/status.xlsx?year=2026"]'),
    ]);
    const file = await download.path();
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    expect(wb.worksheets.length).toBe(1);
    const sheet = wb.worksheets[0]!;
    const header = sheet.getRows(1, sheet.rowCount)!.find((r) => r.getCell(1).text === 'TT')!;
    expect([1, 2, 3, 4, 5, 6].map((i) => header.getCell(i).text)).toEqual([
      'TT',
      'Nhiệm vụ',
      'Đơn vị chủ trì',
      'Trạng thái',
      'Ngày hoàn thành',
      'Ghi chú',
    ]);
    const rows: string[][] = [];
    const doneCells: ExcelJS.Cell[] = [];
    sheet.eachRow((r) => {
      rows.push([1, 2, 3, 4, 5, 6].map((i) => r.getCell(i).text));
      if (r.getCell(3).text === confirmed.unit && r.getCell(1).text === 'BC-15/11') doneCells.push(r.getCell(5));
    });
    const report = rows.filter((r) => r[0] === 'BC-15/11');
    expect(report.length).toBeGreaterThan(10);
    const done = report.find((r) => r[2] === confirmed.unit)!;
    expect(done[3]).toBe('Đã hoàn thành');
    // A real date for Excel, shown the Vietnamese way.
    expect(doneCells[0]!.value).toEqual(new Date('2026-11-16T00:00:00Z'));
    expect(doneCells[0]!.numFmt).toBe('dd/mm/yyyy');
    expect(done[5]).toContain('văn bản giấy');
    expect(report.filter((r) => r[3] === 'Quá hạn').length).toBe(report.length - 1);
  });

  it('gives a unit a calendar feed that a calendar program can read', async () => {
    const unit = await t.prisma.unit.findFirstOrThrow({
      where: { orgId, obligations: { some: {} } },
      orderBy: { name: 'asc' },
    });
    await page.goto(`${base}/admin/units/${unit.id}`);
    // The address is made on request (viewing a page writes nothing).
    // Folded on the unit's page behind its summary; open again, with the address, after it is made.
    await page.locator('#calendar > summary').click();
    await page.getByRole('button', { name: 'Tạo địa chỉ lịch' }).click();
    await page.waitForURL(`${base}/admin/units/${unit.id}?open=calendar#calendar`);
    expect(await page.locator('input[readonly][value*="/ical/"]').isVisible()).toBe(true);
    await shot('07-unit');
    const url = await page.locator('input[readonly][value*="/ical/"]').getAttribute('value');
    expect(url).toMatch(/\/ical\/[\w-]{43}\.ics$/);
    const res = await page.request.get(url!);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toContain('text/calendar');
    const ics = (await res.text()).replace(/\r\n[ \t]/g, '');
    expect(ics.startsWith('BEGIN:VCALENDAR')).toBe(true);
    const events = ics.split('BEGIN:VEVENT').slice(1);
    // Open periods before the plan was tracked from are history, outside the feed.
    expect(events.length).toBe(
      await t.prisma.obligation.count({
        where: { unitId: unit.id, current: true, NOT: { history: true, status: 'open' } },
      }),
    );
    for (const e of events) {
      expect(e).toMatch(/\r\nUID:[\w-]+@dondoc\r\n/);
      expect(e).toMatch(/\r\nDTSTART;VALUE=DATE:\d{8}\r\n/);
      expect(e).toMatch(/\r\nSUMMARY:[^\r]*\[TT [^\]]+\]/);
    }
    expect((await page.request.get(url!.replace(/\/ical\/.{5}/, '/ical/xxxxx'))).status()).toBe(404);
  });

  it('shows the other pages readably, each with the menu', async () => {
    for (const [name, path] of [
      ['08-units', '/admin/units'],
      ['09-duties', '/admin/duties'],
      ['10-policies', '/admin/policies'],
      ['11-templates', '/admin/templates'],
      ['12-outbox', '/admin/outbox'],
      ['13-preview', '/admin/preview'],
      ['14-audit', '/admin/audit'],
      ['15-queues', '/admin/queues'],
    ] as const) {
      const res = await page.goto(`${base}${path}`);
      expect(res?.status(), path).toBe(200);
      await page.waitForLoadState('load');
      await shot(name);
    }
    // A phone's width: the matrix scrolls inside the page, the menu wraps.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base}/admin?year=2026`);
    await shot('16-status-phone');
  });

  it('breaks no rule of the pages’ content security policy on any page it went through', () => {
    expect(cspViolations).toEqual([]);
  });
});
