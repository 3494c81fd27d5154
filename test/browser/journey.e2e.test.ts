import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAdmin } from '#root/services/admins.js';
import { seedDemo } from '#root/services/demo.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { browserAvailable, browserRequired, launchBrowser, NO_BROWSER, screenshotPath } from '../helpers/browser.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

// A browser test loads and screenshots several pages: seconds on a quiet machine, more than the
// default 30 s when it is busy (a sibling file timed out so in CI at load average 17).
vi.setConfig({ testTimeout: 180_000 });

const ADMIN = { email: 'quantri16@sotttt.example.vn', password: 'mat-khau-hanh-trinh-16' };
const run = browserAvailable || browserRequired;
if (!run) console.warn(NO_BROWSER);

const SIZES = [
  { name: 'desktop', width: 1440, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;

/**
 * The administrator's 16 November on the demo data, at a fixed clock of 16/11 09:00 (Hà Nội), at a
 * desktop's and a phone's size: log in, read the BC-15/11 summary, open its late list (at most two
 * page loads from the login), remind every late unit with one reason and one click, and find the
 * messages in the sandbox outbox. What a person sees is asserted (texts, counts), and each page's
 * screenshot is left in test/artifacts/screenshots/ to be looked at.
 */
describe.runIf(run)('the administrator’s 16 November in a browser', () => {
  let t: TestDatabase;
  let s: TestApp;
  let browser: Browser;
  let base: string;
  let orgId: string;
  const cspViolations: string[] = [];

  beforeAll(async () => {
    if (!browserAvailable) throw new Error(NO_BROWSER);
    t = await createTestDatabase();
    await seedDemo(t.prisma, {
      orgCode: 'hcm',
      timeZone: 'Asia/Ho_Chi_Minh',
      now: new Date('2026-11-16T02:00:00Z'),
      actor: 'test',
    });
    orgId = (await t.prisma.organisation.findUniqueOrThrow({ where: { code: 'hcm' } })).id;
    await createAdmin(t.prisma, orgId, { email: ADMIN.email, name: 'Chị Quản Trị', password: ADMIN.password }, 'test');
    // The web pages and the worker that sends what they queue (to the sandbox outbox).
    s = await startTestApp(t, { start: new Date('2026-11-16T02:00:00Z'), roles: ['web', 'worker'] });
    base = s.app.address()!;
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await s?.stop();
    await t?.close();
  });

  /** The BC-15/11 deadline as the database has it: units required (not waived), not done, late. */
  async function bc1511() {
    const duty = await t.prisma.duty.findFirstOrThrow({ where: { orgId, code: 'BC-15/11' } });
    const all = await t.prisma.obligation.findMany({
      where: { orgId, dutyId: duty.id, current: true, status: { not: 'waived' } },
    });
    const notDone = all.filter((o) => o.status !== 'done');
    const late = notDone.filter((o) => (o.extendedTo ?? o.dueAt) < s.clock.now());
    return { duty, required: all.length, notDone: notDone.length, late };
  }

  async function newPage(size: (typeof SIZES)[number]): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: size.width, height: size.height }, locale: 'vi-VN' });
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text()))
        cspViolations.push(`${page.url()}: ${m.text()}`);
    });
    return page;
  }

  for (const size of SIZES) {
    describe(`at ${size.width}×${size.height}`, () => {
      let page: Page;
      /** The whole page, and its first screen as a person sees it on arrival. */
      const shot = async (name: string) => {
        await page.screenshot({ path: screenshotPath(`journey-${size.name}-${name}`), fullPage: true });
        await page.screenshot({ path: screenshotPath(`journey-${size.name}-${name}-screen`) });
      };
      /** How tall the page is, in screens of this size. */
      const screens = async () =>
        ((await page.evaluate('document.documentElement.scrollHeight')) as number) / size.height;

      beforeAll(async () => {
        // Each size its own nudge: a minute apart (a nudge at the same instant is the same nudge).
        if (size.name === 'phone') s.clock.advance(60_000);
        page = await newPage(size);
      });
      afterAll(async () => page?.close());

      it('logs in and lands on the summary: BC-15/11, how many units have not reported, with a bar', async () => {
        await page.goto(`${base}/admin`);
        expect(page.url()).toContain('/login');
        await page.fill('input[name=email]', ADMIN.email);
        await page.fill('input[name=password]', ADMIN.password);
        // Page loads from here on: the login's answer (the summary) is the first.
        const loads: string[] = [];
        page.on('load', () => loads.push(page.url()));
        await Promise.all([page.waitForURL(`${base}/admin`), page.click('button[type=submit]')]);
        const { required, notDone, late } = await bc1511();
        expect(late.length).toBeGreaterThan(10);
        const card = page.locator('li.deadline').filter({ hasText: 'BC-15/11' });
        expect(await card.count()).toBe(1);
        const text = (await card.innerText()).replace(/\s+/g, ' ');
        expect(text).toContain(`${notDone}/${required} đơn vị chưa báo cáo`);
        expect(text).toContain('hạn 15/11/2026');
        expect(text).toContain(`${late.length} đơn vị quá hạn`);
        expect(await card.locator('progress').isVisible()).toBe(true);
        expect(await page.locator('h1').innerText()).toBe('Tình hình ngày 16/11/2026');
        // The share done of what was due so far, per plan: a real percentage, not the year's 0 %.
        expect(await page.locator('.share').first().innerText()).toMatch(/\d+%/);
        await shot('01-summary');
        if (size.name === 'phone') {
          // The menu is folded behind one button; it opens without script.
          expect(await page.locator('header nav').isVisible()).toBe(false);
          await page.locator('label.menu-button').click();
          expect(await page.locator('header nav').isVisible()).toBe(true);
          await shot('01b-menu-open');
          await page.locator('label.menu-button').click();
        } else expect(await page.locator('header nav').isVisible()).toBe(true);
        expect(await screens()).toBeLessThanOrEqual(3.5);

        // One click on the deadline: the late list, the second page load since the login.
        await Promise.all([page.waitForURL(/\/admin\/late\//), card.locator('a').first().click()]);
        expect(loads.length).toBeLessThanOrEqual(2);
        expect(await page.locator('h1').innerText()).toBe('Đơn vị trễ hạn: BC-15/11');
        // Every late unit is due 15/11: the date is said once, above the list, not on each line.
        expect(await page.locator('p.big').innerText()).toBe(
          `${late.length}/${required} đơn vị quá hạn (hạn 15/11/2026)`,
        );
        const rows = page.locator('table.stack tbody tr');
        expect(await rows.count()).toBe(Math.min(late.length, 15));
        const first = (await rows.first().innerText()).replace(/\s+/g, ' ');
        expect(first).toMatch(/1 ngày làm việc/);
        expect(first).not.toContain('hạn 15/11/2026');
        expect(first).toContain('Đầu mối');
        expect(first).toContain('Hộp thư thử');
        await shot('02-late-list');
        expect(await screens()).toBeLessThanOrEqual(3.5);
      });

      it('reminds every late unit with one reason and one click, and the messages reach the outbox', async () => {
        const { late } = await bc1511();
        const lateUnits = new Set(late.map((o) => o.unitId));
        const before = await t.prisma.outboxMessage.count({ where: { orgId } });
        const button = page.getByRole('button', { name: /^Nhắc tất cả/ });
        expect(await button.innerText()).toBe(`Nhắc tất cả (${lateUnits.size} đơn vị)`);
        await page.fill('input[name=reason]', 'Quá hạn báo cáo năm 15/11, đề nghị gửi ngay');
        await Promise.all([page.waitForURL(/\/admin\/late\//), button.click()]);
        const flash = await page.locator('.flash').innerText();
        expect(flash).toContain(`Đã nhắc ${lateUnits.size} đơn vị trễ hạn BC-15/11`);
        // Audited: the whole action and each unit's nudge, with the reason.
        const row = await t.prisma.auditEvent.findFirstOrThrow({
          where: { orgId, action: 'duty.nudge-late', actor: `web:${ADMIN.email}` },
          orderBy: { id: 'desc' },
        });
        expect(row.data).toMatchObject({
          units: lateUnits.size,
          reason: 'Quá hạn báo cáo năm 15/11, đề nghị gửi ngay',
        });
        // Every late unit's contact receives a message (the worker sends them to the sandbox outbox).
        await expect
          .poll(
            async () =>
              new Set(
                (
                  await t.prisma.outboxMessage.findMany({
                    where: { orgId, id: { gt: before } },
                    select: { contact: { select: { unitId: true } } },
                  })
                ).map((m) => m.contact.unitId),
              ).size,
            { timeout: 60_000 },
          )
          .toBe(lateUnits.size);
        await page.goto(`${base}/admin/outbox`);
        // The newest message, on top at either size (a phone shows fewer a page): to a late unit's contact.
        const newest = await t.prisma.outboxMessage.findFirstOrThrow({
          where: { orgId },
          orderBy: { id: 'desc' },
          include: { contact: { include: { unit: true } } },
        });
        expect(lateUnits.has(newest.contact.unitId)).toBe(true);
        expect(await page.locator('main').innerText()).toContain(`Đầu mối ${newest.contact.unit.name}`);
        await shot('03-outbox');
      });

      it('shows the matrix, a unit, a duty, an obligation and the audit log readably', async () => {
        const { duty, late } = await bc1511();
        const unitId = late[0]!.unitId;
        for (const [name, path] of [
          ['04-matrix', '/admin/status?year=2026'],
          ['05-matrix-late-first', `/admin/status?year=2026&sort=late&duty=${duty.id}`],
          ['06-units', '/admin/units'],
          ['07-unit', `/admin/units/${unitId}`],
          ['08-duty', `/admin/duties/${duty.id}`],
          ['09-obligation', `/admin/obligations/${late[0]!.id}`],
          ['10-audit', '/admin/audit'],
          ['12-inbox', '/admin/inbox'],
        ] as const) {
          const res = await page.goto(`${base}${path}`);
          expect(res?.status(), path).toBe(200);
          await shot(name);
        }
        // The matrix: the header row and the first column stick; the nudge is in that first column.
        await page.goto(`${base}/admin/status?year=2026`);
        const wrap = page.locator('.matrix-wrap');
        await wrap.evaluate((el: { scrollTo(x: number, y: number): void }) => el.scrollTo(400, 600));
        const header = await page.locator('.matrix thead tr:nth-child(2) th').first().boundingBox();
        const box = await wrap.boundingBox();
        expect(Math.abs(header!.y - (box!.y + 27))).toBeLessThan(15);
        const nudge = page.locator('.matrix tbody th button').first();
        const nudgeBox = await nudge.boundingBox();
        expect(nudgeBox!.x + nudgeBox!.width).toBeLessThanOrEqual(size.width);
        await shot('11-matrix-scrolled');
      });

      it('breaks no rule of the content security policy', () => {
        expect(cspViolations).toEqual([]);
      });
    });
  }
});
