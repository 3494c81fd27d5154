import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmin, hashPassword, verifyPassword } from '#root/services/admins.js';
import { LOGIN_MAX_FAILURES, SESSION_COOKIE, safeNext } from '#root/web/admin.js';
import { startWebTest, type WebTest } from '../helpers/web.js';

describe('administrator accounts and sessions', () => {
  let w: WebTest;
  beforeAll(async () => {
    w = await startWebTest();
  }, 60_000);
  afterAll(async () => w?.stop());

  it('hashes passwords with scrypt and a salt of their own, and checks them in constant time', async () => {
    const a = await hashPassword('một mật khẩu dài');
    const b = await hashPassword('một mật khẩu dài');
    expect(a).toMatch(/^scrypt\$131072\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('một mật khẩu dài', a)).toBe(true);
    // The same text in another Unicode form is the same password.
    expect(await verifyPassword('một mật khẩu dài'.normalize('NFD'), a)).toBe(true);
    expect(await verifyPassword('một mật khẩu dai', a)).toBe(false);
    expect(await verifyPassword('x', 'plain-text')).toBe(false);
  });

  it('refuses a short password, a bad email and a second account for one email, creating nothing', async () => {
    const before = await w.t.prisma.adminAccount.count();
    await expect(createAdmin(w.t.prisma, w.orgId, { email: 'a@b.vn', password: 'ngắn' }, 'test')).rejects.toThrow(
      /ít nhất 10 ký tự/,
    );
    await expect(
      createAdmin(w.t.prisma, w.orgId, { email: 'không-phải-email', password: 'đủ dài rồi đấy' }, 'test'),
    ).rejects.toThrow(/không hợp lệ/);
    await expect(
      createAdmin(w.t.prisma, w.orgId, { email: w.admin.email.toUpperCase(), password: 'đủ dài rồi đấy' }, 'test'),
    ).rejects.toThrow(/Đã có/);
    expect(await w.t.prisma.adminAccount.count()).toBe(before);
  });

  it('sends a visitor without a session to the login page, and back to where they were going after it', async () => {
    const c = w.newClient();
    const res = await c.get('/admin/audit?x=1');
    expect(res.status).toBe(303);
    expect(res.location).toBe('/login?next=%2Fadmin%2Faudit%3Fx%3D1');
    const page = await c.get(res.location!);
    expect(page.text).toContain('Đăng nhập quản trị');
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const ok = await c.post('/login', {
      _csrf: token,
      email: w.admin.email,
      password: w.admin.password,
      next: '/admin/audit?x=1',
    });
    expect(ok.status).toBe(303);
    expect(ok.location).toBe('/admin/audit?x=1');
    const cookie = ok.headers.getSetCookie().find((l) => l.startsWith(`${SESSION_COOKIE}=`))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    // The database keeps the token's hash, never the token.
    const token2 = c.cookies.get(SESSION_COOKIE)!;
    expect(await w.t.prisma.webSession.count({ where: { tokenHash: token2 } })).toBe(0);
    const audit = await w.t.prisma.auditEvent.findFirst({
      where: { orgId: w.orgId, action: 'admin.login' },
      orderBy: { id: 'desc' },
    });
    expect(audit?.actor).toBe(`web:${w.admin.email}`);
  });

  it('never redirects elsewhere after login', () => {
    for (const bad of [
      'https://evil.example',
      '//evil.example',
      '/\\evil.example',
      'javascript:alert(1)',
      '',
      undefined,
      42,
    ])
      expect(safeNext(bad)).toBe('/admin');
    expect(safeNext('/admin/units?q=1')).toBe('/admin/units?q=1');
  });

  it('answers a wrong password with 401 and the same page, and a stale login form with 403', async () => {
    const c = w.newClient();
    const page = await c.get('/login');
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const wrong = await c.post('/login', { _csrf: token, email: w.admin.email, password: 'sai mật khẩu rồi' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('Email hoặc mật khẩu không đúng');
    expect(c.cookies.has(SESSION_COOKIE)).toBe(false);
    const stale = await w
      .newClient()
      .post('/login', { _csrf: 'forged', email: w.admin.email, password: w.admin.password });
    expect(stale.status).toBe(403);
    expect(stale.headers.getSetCookie().some((l) => l.startsWith(`${SESSION_COOKIE}=`))).toBe(false);
  });

  it(`locks an email out after ${LOGIN_MAX_FAILURES} failures, even with the right password then`, async () => {
    const email = 'khoa@sotttt.example.vn';
    await createAdmin(w.t.prisma, w.orgId, { email, password: 'mật khẩu đúng đây' }, 'test');
    const c = w.newClient();
    for (let i = 0; i < LOGIN_MAX_FAILURES; i++) {
      const page = await c.get('/login');
      const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
      expect((await c.post('/login', { _csrf: token, email, password: `sai ${i} lần rồi` })).status).toBe(401);
    }
    const page = await c.get('/login');
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const locked = await c.post('/login', { _csrf: token, email, password: 'mật khẩu đúng đây' });
    expect(locked.status).toBe(429);
    expect(locked.text).toContain('Sai quá nhiều lần');
    expect(c.cookies.has(SESSION_COOKIE)).toBe(false);
  });

  it('refuses a change without the CSRF token or with another session’s, changing nothing', async () => {
    const other = w.newClient();
    await other.login(w.admin.email, w.admin.password);
    expect(other.csrf).not.toBe(w.client.csrf);
    const before = await w.t.prisma.auditEvent.count();
    for (const csrf of [null, '', other.csrf, 'x'.repeat(32)]) {
      const res = await w.client.post('/admin/outbox/anything/answer', { _csrf: csrf, answer: 'xong' });
      expect(res.status).toBe(403);
      expect(res.text).toContain('CSRF');
    }
    expect(await w.t.prisma.auditEvent.count()).toBe(before);
  });

  it('ends a session at logout and after eight idle hours; a form posted then says so and changes nothing', async () => {
    const c = w.newClient();
    await c.login(w.admin.email, w.admin.password);
    const token = c.cookies.get(SESSION_COOKIE)!;
    expect((await c.get('/admin/audit')).status).not.toBe(303);
    w.s.clock.advance(9 * 3_600_000);
    const expired = await c.post('/admin/outbox/x/answer', { answer: 'xong' });
    expect(expired.status).toBe(401);
    expect(expired.text).toContain('Phiên đăng nhập đã hết hạn');
    w.s.clock.advance(-9 * 3_600_000);
    const again = await c.get('/admin/audit');
    expect(again.status).not.toBe(303);
    const out = await c.post('/logout');
    expect(out.status).toBe(303);
    expect(c.cookies.has(SESSION_COOKIE)).toBe(false);
    c.cookies.set(SESSION_COOKIE, token);
    expect((await c.get('/admin/audit')).status).toBe(303);
  });

  it('switches the pages to English and back', async () => {
    const c = w.newClient();
    const res = await c.get('/lang/en?back=/login');
    expect(res.location).toBe('/login');
    expect((await c.get('/login')).text).toContain('Administrator login');
    await c.get('/lang/vi?back=https://evil.example');
    expect((await c.get('/login')).text).toContain('Đăng nhập quản trị');
  });
});
