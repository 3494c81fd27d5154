import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signLink } from '#root/services/links.js';
import { startWebTest, type WebResponse, type WebTest } from '../helpers/web.js';

/**
 * Issue 14, "Languages": the page of an email link that cannot be used is in one language — the
 * contact's when the link names one we know, else the one the browser prefers (Vietnamese unless
 * it prefers English) — and links to itself in the other language (`?lang=`), which wins over both.
 */
describe('the email link’s error pages, in one language', () => {
  let w: WebTest;
  /** An expired link whose contact is no longer known: the browser's language. */
  let expired: string;
  /** Expired links of a Vietnamese and of an English contact: their own language. */
  let expiredVi: string;
  let expiredEn: string;
  let otherUnits: string;

  const VIETNAMESE = /[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]/i;
  const ENGLISH = /\b(the|this|link|not|valid|expired|duty|nothing|changed|only|confirm)\b/i;
  /** The page's own words: no tags, no link to the other language, no unit's name. */
  const words = (res: WebResponse) =>
    res.text
      .replace(/<p class="lang">[\s\S]*?<\/p>/, '')
      .replace(/<title>[\s\S]*?<\/title>/, '')
      .replace(/<[^>]*>/g, ' ')
      .replace(/\([^)]*\)/g, ' ');
  const get = (path: string, acceptLanguage?: string) =>
    w.newClient().request('GET', path, acceptLanguage ? { headers: { 'accept-language': acceptLanguage } } : {});
  const expectVietnamese = (res: WebResponse, what: string) => {
    expect(res.text, what).toContain('<html lang="vi">');
    expect(words(res), what).not.toMatch(ENGLISH);
    expect(res.text, what).toMatch(
      /<p class="lang"><a href="[^"]*\?lang=en" hreflang="en" lang="en">English<\/a><\/p>/,
    );
  };
  const expectEnglish = (res: WebResponse, what: string) => {
    expect(res.text, what).toContain('<html lang="en">');
    expect(words(res), what).not.toMatch(VIETNAMESE);
    expect(res.text, what).toMatch(
      /<p class="lang"><a href="[^"]*\?lang=vi" hreflang="vi" lang="vi">Tiếng Việt<\/a><\/p>/,
    );
  };
  /** Where the page's link to the other language goes. */
  const switchOf = (res: WebResponse) => /<p class="lang"><a href="([^"]+)"/.exec(res.text)?.[1] ?? '';

  beforeAll(async () => {
    w = await startWebTest();
    const db = w.t.prisma;
    const obligation = await db.obligation.findFirstOrThrow({ where: { orgId: w.orgId, status: 'open' } });
    const own = await db.contact.findFirstOrThrow({ where: { unitId: obligation.unitId } });
    const stranger = await db.contact.findFirstOrThrow({
      where: { orgId: w.orgId, unitId: { not: obligation.unitId }, active: true },
    });
    await db.contact.update({ where: { id: stranger.id }, data: { locale: 'en' } });
    const now = Math.floor(w.s.clock.now().getTime() / 1000);
    const sign = (contactId: string, exp: number) =>
      signLink({ obligationId: obligation.id, contactId, exp }, w.s.config.SECRET_KEY);
    expired = sign('00000000-0000-4000-8000-000000000001', now - 60);
    expiredVi = sign(own.id, now - 60);
    expiredEn = sign(stranger.id, now - 60);
    otherUnits = signLink(
      { obligationId: obligation.id, contactId: stranger.id, exp: now + 3_600 },
      w.s.config.SECRET_KEY,
    );
  }, 120_000);
  afterAll(async () => w?.stop());

  it('speaks Vietnamese by default and when the browser prefers it', async () => {
    for (const header of [undefined, 'vi-VN,vi;q=0.9,en-US;q=0.8,en;q=0.7', 'fr-FR,fr;q=0.9', '*']) {
      const bad = await get('/c/not-a-token', header);
      expect(bad.status).toBe(400);
      expect(bad.text).toContain('<h1>Liên kết không hợp lệ</h1>');
      expectVietnamese(bad, `malformed, ${header}`);
      const old = await get(`/c/${expired}`, header);
      expect(old.status).toBe(410);
      expect(old.text).toContain('<h1>Liên kết đã hết hạn</h1>');
      expectVietnamese(old, `expired, ${header}`);
    }
  });

  it('speaks English when the browser prefers English to Vietnamese', async () => {
    for (const header of ['en-US,en;q=0.9', 'en-GB,en;q=0.9,vi;q=0.8', 'fr;q=1,en;q=0.5']) {
      const bad = await get('/c/not-a-token', header);
      expect(bad.status).toBe(400);
      expect(bad.text).toContain('<h1>This link is not valid</h1>');
      expectEnglish(bad, `malformed, ${header}`);
      const old = await get(`/c/${expired}`, header);
      expect(old.status).toBe(410);
      expect(old.text).toContain('<h1>This link has expired</h1>');
      expectEnglish(old, `expired, ${header}`);
      expect(old.headers.get('vary')).toMatch(/accept-language/i);
    }
    // A forged link (another key's signature) likewise.
    const forged = `${expired.split('.')[0]}.${'A'.repeat(22)}`;
    const res = await get(`/c/${forged}`, 'en');
    expect(res.status).toBe(400);
    expectEnglish(res, 'forged');
  });

  it('offers the other language, whose link wins over the browser’s', async () => {
    const vi = await get(`/c/${expired}`, 'vi');
    expect(switchOf(vi)).toBe(`/c/${expired}?lang=en`);
    const en = await get(switchOf(vi), 'vi');
    expect(en.status).toBe(410);
    expectEnglish(en, '?lang=en over a Vietnamese browser');
    expect(switchOf(en)).toBe(`/c/${expired}?lang=vi`);
    const back = await get(switchOf(en), 'en-US,en;q=0.9');
    expectVietnamese(back, '?lang=vi over an English browser');
    // Something else in ?lang= is no language: the browser's is used.
    expectEnglish(await get(`/c/${expired}?lang=fr`, 'en'), '?lang=fr');
  });

  it('speaks the contact’s own language when the link names a contact it knows', async () => {
    // A contact (English) of another unit opening a link to a duty not theirs: refused, in English,
    // whatever the browser says.
    const res = await get(`/c/${otherUnits}`, 'vi-VN,vi');
    expect(res.status).toBe(403);
    expect(res.text).toContain('<h1>You cannot confirm this duty</h1>');
    expect(res.text).toMatch(/Only the contacts of the lead unit \(.+\) can confirm this duty\. Nothing was changed\./);
    expectEnglish(res, 'not allowed');
    const vi = await get(`${`/c/${otherUnits}`}?lang=vi`);
    expect(vi.status).toBe(403);
    expect(vi.text).toContain('<h1>Anh/chị không xác nhận được nhiệm vụ này</h1>');
    expectVietnamese(vi, 'not allowed, ?lang=vi');
    // An expired link names its contact too (its signature holds): their language, not the browser's.
    const oldEn = await get(`/c/${expiredEn}`, 'vi-VN,vi');
    expect(oldEn.status).toBe(410);
    expect(oldEn.text).toContain('<h1>This link has expired</h1>');
    expectEnglish(oldEn, 'expired, an English contact');
    const oldVi = await get(`/c/${expiredVi}`, 'en-US,en;q=0.9');
    expect(oldVi.text).toContain('<h1>Liên kết đã hết hạn</h1>');
    expectVietnamese(oldVi, 'expired, a Vietnamese contact');
    expectEnglish(await get(`/c/${expiredVi}?lang=en`, 'vi'), 'expired, a Vietnamese contact, ?lang=en');
  });
});
