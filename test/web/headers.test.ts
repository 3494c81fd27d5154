import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureOrganisation } from '#root/services/orgs.js';
import { signLink } from '#root/services/links.js';
import { NAV } from '#root/web/html.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startWebTest, type WebTest } from '../helpers/web.js';

const CSP =
  "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/**
 * Security headers: a strict Content-Security-Policy on every page (no script, styles from this
 * site only), HSTS when PUBLIC_URL is https, no framing of the login page nor of the signed
 * links' pages, no MIME sniffing, a referrer policy.
 */
describe('security headers', () => {
  let w: WebTest;
  beforeAll(async () => {
    w = await startWebTest({ env: { PUBLIC_URL: 'https://dondoc.example.gov.vn/' } });
  }, 60_000);
  afterAll(async () => w?.stop());

  const expectStrict = (headers: Headers, what: string) => {
    expect(headers.get('content-security-policy'), what).toBe(CSP);
    expect(headers.get('x-frame-options'), what).toBe('DENY');
    expect(headers.get('x-content-type-options'), what).toBe('nosniff');
    expect(headers.get('referrer-policy'), what).toMatch(/^(same-origin|no-referrer)$/);
    expect(headers.get('strict-transport-security'), what).toBe('max-age=31536000');
  };

  it('puts them on the login page and on every administrator page, which carry no inline style or script', async () => {
    const login = await w.newClient().get('/login');
    expectStrict(login.headers, '/login');
    const pages = [
      '/login',
      ...NAV.map((n) => n.href).filter((h) => h !== '/admin/queues'),
      '/admin/units/new',
      '/admin/nothing-here',
    ];
    for (const path of pages) {
      const res = path === '/login' ? login : await w.client.get(path);
      expect(res.status, path).toBeLessThan(500);
      if (path !== '/login' && path !== '/admin/templates') expectStrict(res.headers, path);
      // What the policy would refuse: the page must not need it.
      expect(res.text, path).not.toMatch(/<script|<style|\sstyle="|\son[a-z]+="|javascript:/i);
      const sheet = /<link rel="stylesheet" href="([^"]+)">/.exec(res.text)?.[1];
      expect(sheet, path).toMatch(/^\/static\/dondoc\.css\?v=[\w-]{10}$/);
    }
    const css = await w.client.get('/static/dondoc.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toContain('text/css');
    expect(css.text).toContain('.matrix');
  });

  it('puts them on the signed link’s pages, which are never framed nor give their address away', async () => {
    const obligation = await w.t.prisma.obligation.findFirstOrThrow({ where: { orgId: w.orgId, status: 'open' } });
    const contact = await w.t.prisma.contact.findFirstOrThrow({ where: { unitId: obligation.unitId } });
    const token = signLink(
      { obligationId: obligation.id, contactId: contact.id, exp: Math.floor(w.s.clock.now().getTime() / 1000) + 3_600 },
      w.s.config.SECRET_KEY,
    );
    for (const path of [`/c/${token}`, '/c/not-a-token']) {
      const res = await w.newClient().get(path);
      expect(res.status, path).toBeLessThan(500);
      expectStrict(res.headers, path);
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.text).not.toMatch(/<script|<style|\sstyle="/i);
      expect(res.text).toContain('href="/static/confirm.css"');
    }
    expect((await w.newClient().get('/static/confirm.css')).headers.get('content-type')).toContain('text/css');
  });

  it('allows inline styles on the templates’ pages only, for the email preview’s frame, and still no script', async () => {
    const res = await w.client.get('/admin/templates');
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("style-src 'self' 'unsafe-inline'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
  });
});

describe('security headers without an https PUBLIC_URL', () => {
  let t: TestDatabase;
  let s: TestApp;
  beforeAll(async () => {
    t = await createTestDatabase();
    await ensureOrganisation(t.prisma, { code: 'hcm', name: 'Sở TT&TT', timeZone: 'Asia/Ho_Chi_Minh' }, 'test');
    s = await startTestApp(t, {
      start: new Date('2026-11-16T02:00:00Z'),
      roles: ['web'],
      env: { PUBLIC_URL: 'http://dondoc.lan/' },
    });
  }, 30_000);
  afterAll(async () => {
    await s?.stop();
    await t?.close();
  });

  it('sends no HSTS (a browser would refuse plain HTTP to the host for a year), the rest as always', async () => {
    const res = await fetch(`${s.app.address()}/login`);
    expect(res.headers.get('strict-transport-security')).toBeNull();
    expect(res.headers.get('content-security-policy')).toBe(CSP);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });
});
