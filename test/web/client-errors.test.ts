import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkExpiry, signLink } from '#root/services/links.js';
import { startWebTest, type WebTest } from '../helpers/web.js';

const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

/**
 * Fastify's own 4xx answers outside the administrators' pages were English JSON, for a person in a
 * browser too: an unknown address, an email's link damaged when copied, a form too large or of a
 * kind the server does not read. A browser now gets a page in the person's language (the one they
 * chose on the pages, else their browser's, Vietnamese by default); a program keeps the JSON.
 */
describe('the server’s own refusals, as people see them', () => {
  let w: WebTest;
  /** A signed link of an existing obligation and contact, as an email carries it. */
  let link: string;

  beforeAll(async () => {
    w = await startWebTest();
    const o = await w.t.prisma.obligation.findFirstOrThrow({ where: { orgId: w.orgId, status: 'open' } });
    const c = await w.t.prisma.contact.findFirstOrThrow({ where: { unitId: o.unitId, active: true } });
    link = `/c/${signLink({ obligationId: o.id, contactId: c.id, exp: linkExpiry(w.s.clock.now()) }, w.s.config.SECRET_KEY)}`;
  }, 90_000);
  afterAll(async () => w?.stop());

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${w.base}${path}`, { headers: { accept: BROWSER, ...headers }, redirect: 'manual' });
  /** The heading and sentence of a page. */
  const words = async (res: Response) => {
    expect(res.headers.get('content-type')).toContain('text/html');
    const page = await res.text();
    expect(page).not.toMatch(/FST_|statusCode|Bad Request|Not Found|not a valid url/);
    return {
      lang: /<html lang="(\w+)"/.exec(page)?.[1],
      h1: /<h1>(.*?)<\/h1>/.exec(page)?.[1],
      text: /<\/h1><p>(.*?)<\/p>/.exec(page)?.[1],
      linkLook: page.includes('/static/confirm.css'),
    };
  };

  describe('an address nothing answers', () => {
    it('is a page in Vietnamese by default, in English when the browser prefers it', async () => {
      const vi = await get('/khong-co-trang-nay');
      expect(vi.status).toBe(404);
      expect(await words(vi)).toMatchObject({
        lang: 'vi',
        h1: 'Không tìm thấy trang này',
        text: expect.stringContaining('hãy mở lại liên kết ngay trong thư'),
        linkLook: false,
      });
      const en = await get('/khong-co-trang-nay', { 'accept-language': 'en-GB,en;q=0.9' });
      expect(en.status).toBe(404);
      expect(await words(en)).toMatchObject({ lang: 'en', h1: 'No such page' });
    });

    it('is in the language the person chose on the pages, over the browser’s', async () => {
      const chosen = await get('/khong-co', { 'accept-language': 'vi', cookie: 'lang=en' });
      expect(await words(chosen)).toMatchObject({ lang: 'en', h1: 'No such page' });
      const back = await get('/khong-co', { 'accept-language': 'en', cookie: 'lang=vi' });
      expect(await words(back)).toMatchObject({ lang: 'vi', h1: 'Không tìm thấy trang này' });
    });

    it('is in a logged-in administrator’s language', async () => {
      const c = w.newClient();
      c.cookies.set('lang', 'en');
      await c.login(w.admin.email, w.admin.password);
      const res = await c.request('GET', '/khong-co', { headers: { accept: BROWSER } });
      expect(res.status).toBe(404);
      expect(res.text).toContain('<h1>No such page</h1>');
    });

    it('is under /c/ a page in the link pages’ look', async () => {
      const res = await get(`${link}/thua`);
      expect(res.status).toBe(404);
      expect(await words(res)).toMatchObject({ h1: 'Không tìm thấy trang này', linkLook: true });
    });
  });

  describe('an email’s link damaged when copied', () => {
    it('with a broken %-escape, says the address is not valid and how to get a good one', async () => {
      const res = await get(`${link.slice(0, 20)}%E0%A4%A`);
      expect(res.status).toBe(400);
      // Refused before any route: the page has the site's security headers still.
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(await words(res)).toMatchObject({
        lang: 'vi',
        h1: 'Địa chỉ không hợp lệ',
        text: expect.stringContaining('Hãy mở lại liên kết ngay trong thư nhắc'),
        linkLook: true,
      });
      const en = await get(`${link.slice(0, 20)}%E0%A4%A`, { 'accept-language': 'en' });
      expect(await words(en)).toMatchObject({ lang: 'en', h1: 'This address is not valid' });
    });

    it('with text glued on past what an address may hold, says the same', async () => {
      const res = await get(`${link}${'x'.repeat(400)}`);
      expect(res.status).toBe(414);
      expect(await words(res)).toMatchObject({ h1: 'Địa chỉ không hợp lệ', linkLook: true });
    });
  });

  describe('a form the server does not take', () => {
    it('too large: says so, nothing changed', async () => {
      const res = await fetch(`${w.base}${link}`, {
        method: 'POST',
        headers: { accept: BROWSER, 'content-type': 'application/x-www-form-urlencoded' },
        body: `note=${'a'.repeat(3 * 1024 * 1024)}`,
      });
      expect(res.status).toBe(413);
      expect(await words(res)).toMatchObject({ h1: 'Nội dung gửi đi quá lớn', linkLook: true });
    });

    it('of a kind not read (a multipart form to the login): an invalid request, nothing changed', async () => {
      const form = new FormData();
      form.set('email', w.admin.email);
      const res = await fetch(`${w.base}/login`, {
        method: 'POST',
        headers: { accept: BROWSER, 'accept-language': 'en' },
        body: form,
      });
      expect(res.status).toBe(415);
      expect(await words(res)).toMatchObject({
        lang: 'en',
        h1: 'Invalid request',
        text: expect.stringContaining('Nothing was changed'),
        linkLook: false,
      });
    });
  });

  describe('a program (no HTML asked for)', () => {
    it('keeps Fastify’s JSON answers as they were', async () => {
      const bare = Fastify();
      await bare.ready();
      const expected = (await bare.inject({ method: 'GET', url: '/khong-co' })).json();
      await bare.close();
      const notFound = await fetch(`${w.base}/khong-co`);
      expect(notFound.status).toBe(404);
      expect(await notFound.json()).toEqual(expected);

      const badUrl = await fetch(`${w.base}/c/abc%E0%A4%A`);
      expect(badUrl.status).toBe(400);
      expect(await badUrl.json()).toEqual({
        statusCode: 400,
        code: 'FST_ERR_BAD_URL',
        error: 'Bad Request',
        message: "'/c/abc%E0%A4%A' is not a valid url component",
      });

      const form = new FormData();
      form.set('email', 'x');
      const media = await fetch(`${w.base}/login`, { method: 'POST', body: form });
      expect(media.status).toBe(415);
      expect(await media.json()).toMatchObject({ statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' });
    });
  });
});
