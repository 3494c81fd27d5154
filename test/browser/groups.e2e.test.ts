import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { browserAvailable, browserRequired, launchBrowser, NO_BROWSER, screenshotPath } from '../helpers/browser.js';
import { startWebTest, type WebTest } from '../helpers/web.js';

// A browser test loads and screenshots several pages: seconds on a quiet machine, more than the
// default 30 s when it is busy (a sibling file timed out so in CI at load average 17).
vi.setConfig({ testTimeout: 180_000 });

const run = browserAvailable || browserRequired;
if (!run) console.warn(NO_BROWSER);

/**
 * A group's members edited in a real browser (issue 16, item 4), at a desktop's and a phone's
 * size: from the units list to the group's page, a unit added by typing its alias, a typo refused
 * beside the field with the text kept, a member removed after the question page.
 */
describe.runIf(run)('a unit group’s members in a browser', () => {
  let w: WebTest;
  let browser: Browser;

  beforeAll(async () => {
    if (!browserAvailable) throw new Error(NO_BROWSER);
    w = await startWebTest();
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await w?.stop();
  });

  const login = async (page: Page) => {
    await page.goto(`${w.base}/login`);
    await page.fill('input[name=email]', w.admin.email);
    await page.fill('input[name=password]', w.admin.password);
    await Promise.all([page.waitForURL(`${w.base}/admin`), page.click('button[type=submit]')]);
  };

  for (const [size, viewport, alias, unit] of [
    ['desktop', { width: 1440, height: 900 }, 'CATP', 'Công an Thành phố'],
    ['phone', { width: 390, height: 844 }, 'VP UBND TP', 'Văn phòng Ủy ban nhân dân Thành phố'],
  ] as const) {
    it(`adds a unit by its alias and removes it again (${size})`, async () => {
      const page = await browser.newPage({ viewport, locale: 'vi-VN' });
      await login(page);
      await page.goto(`${w.base}/admin/units`);
      await Promise.all([
        page.waitForURL(/\/admin\/groups\//),
        page.click('a:text-is("Ủy ban nhân dân quận, huyện, thành phố Thủ Đức")'),
      ]);
      const groupUrl = page.url();
      const members = async () => Number(/\((\d+)\)/.exec((await page.textContent('#members')) ?? '')?.[1]);
      const before = await members();

      await page.fill('input[name=unit]', 'Cơ quan không có');
      await page.click('button:text-is("Thêm vào nhóm")');
      await expect
        .poll(() => page.textContent('#member-error'))
        .toContain('Không có đơn vị nào tên «Cơ quan không có»');
      expect(await page.inputValue('input[name=unit]')).toBe('Cơ quan không có');
      await page.screenshot({ path: screenshotPath(`group-refused-${size}`), fullPage: true });

      await page.fill('input[name=unit]', alias);
      await Promise.all([page.waitForURL(groupUrl), page.click('button:text-is("Thêm vào nhóm")')]);
      await expect.poll(() => page.textContent('.flash')).toContain(`Đã thêm ${unit} vào nhóm`);
      expect(await members()).toBe(before + 1);
      await page.screenshot({ path: screenshotPath(`group-page-${size}`), fullPage: true });

      await Promise.all([
        page.waitForURL(/\/admin\/ask\?/),
        page.click(`li:has(a:text-is("${unit}")) button:text-is("Bỏ khỏi nhóm…")`),
      ]);
      expect(await page.textContent('main')).toContain('Bỏ đơn vị này khỏi nhóm?');
      await Promise.all([page.waitForURL(groupUrl), page.click('button:text-is("Bỏ khỏi nhóm")')]);
      await expect.poll(() => page.textContent('.flash')).toContain(`Đã bỏ ${unit} khỏi nhóm`);
      expect(await members()).toBe(before);
      // The history says both, in words.
      const history = (await page.textContent('ul.history')) ?? '';
      expect(history).toContain(`đã bỏ đơn vị khỏi nhóm Ủy ban nhân dân quận, huyện, thành phố Thủ Đức (${unit})`);
      expect(history).toContain(`đã thêm đơn vị vào nhóm Ủy ban nhân dân quận, huyện, thành phố Thủ Đức (${unit})`);
      // No page wider than the phone.
      expect(Number(await page.evaluate('document.documentElement.scrollWidth'))).toBeLessThanOrEqual(viewport.width);
      await page.close();
    });
  }
});
