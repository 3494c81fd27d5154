import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signLink, verifyLink } from '#root/services/links.js';
import { createLogger } from '#root/logger.js';
import { createAdmin } from '#root/services/admins.js';
import { createInvite } from '#root/services/contacts.js';
import { seedDemo } from '#root/services/demo.js';
import { testPrefix } from '../helpers/app.js';
import { wallClockStart } from '../helpers/clock.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startProgram, waitFor, type ProgramProcess } from '../helpers/processes.js';
import { runCli } from '../helpers/run-cli.js';
import { startSmtp } from '../helpers/smtp.js';
import { startFakeTelegram, type FakeTelegram } from '../helpers/telegram-server.js';
import { WebClient } from '../helpers/web.js';
import { startZaloServer, type FakeZalo } from '../helpers/zalo-server.js';

/** Secrets known to this test: none of them may reach a log line, whatever happens. */
const SECRET_KEY = 'known-secret-key-0123456789-abcdefghijklmnop';
const TG_SECRET = 'TgSecretPart_abcdefghijklmnopqrstu';
const TG_TOKEN = `424242:${TG_SECRET}`;
const ZL_SECRET = 'ZaloSecretPart-abcdefghijklmnop';
const ZL_TOKEN = `987654321:${ZL_SECRET}`;
const DB_PASSWORD = 'DbPassw0rd-known-to-the-test';
const SMTP_PASSWORD = 'SmtpPassw0rd-known-to-the-test';
const ADMIN = { email: 'quantri-log@sotttt.example.vn', password: 'AdminPassw0rd-known-to-the-test' };
const METRICS_TOKEN = 'MetricsToken-known-to-the-test-0123456789';

/**
 * Runs the whole program (every role, logging at `trace`, the most it can say) with secrets the
 * test knows, drives it through onboarding, commands, a wrong invite, API faults, signed links, an
 * administrator's login and a file uploaded through the web pages (multipart, whose parser logs the
 * request's headers at trace) and a scrape with the metrics token, and then searches everything
 * it printed for those secrets, the session cookie and the CSRF tokens. Also: signed links expire, cannot be re-targeted, and a replay changes
 * nothing.
 */
describe('secrets and signed links', () => {
  let t: TestDatabase;
  let tg: FakeTelegram;
  let zl: FakeZalo;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let program: ProgramProcess;
  let orgId: string;
  let inviteCode: string;
  let zaloCode: string;
  let port = 0;
  const freePort = () =>
    new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
  let env: Record<string, string>;
  /** When the test began, by the wall clock the program under test also runs on. */
  let start: Date;

  beforeAll(async () => {
    t = await createTestDatabase();
    // The program runs as another process, on the wall clock: what is seeded starts from it.
    start = wallClockStart();
    await seedDemo(t.prisma, { orgCode: 'hcm', timeZone: 'Asia/Ho_Chi_Minh', now: start, actor: 'test' });
    orgId = (await t.prisma.organisation.findUniqueOrThrow({ where: { code: 'hcm' } })).id;
    const contacts = await t.prisma.contact.findMany({
      where: { orgId, role: 'contact' },
      take: 2,
      orderBy: { name: 'asc' },
    });
    inviteCode = (await createInvite(t.prisma, orgId, contacts[0]!.id, { ttlHours: 72, now: start }, 'test')).code;
    zaloCode = (await createInvite(t.prisma, orgId, contacts[1]!.id, { ttlHours: 72, now: start }, 'test')).code;
    await createAdmin(t.prisma, orgId, { email: ADMIN.email, name: 'Quản trị', password: ADMIN.password }, 'test');
    tg = await startFakeTelegram({ limits: false });
    zl = await startZaloServer({ token: ZL_TOKEN, limits: false });
    smtp = await startSmtp();
    const dbUrl = new URL(t.url);
    dbUrl.username = 'postgres';
    dbUrl.password = DB_PASSWORD;
    const smtpUrl = new URL(smtp.url);
    smtpUrl.username = 'dondoc';
    smtpUrl.password = SMTP_PASSWORD;
    env = {
      DATABASE_URL: dbUrl.toString(),
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_PREFIX: testPrefix(),
      ROLES: 'all',
      LOG_LEVEL: 'trace',
      SECRET_KEY,
      METRICS_TOKEN,
      TELEGRAM_BOT_TOKEN: TG_TOKEN,
      TELEGRAM_API_ROOT: tg.apiRoot,
      ZALO_BOT_TOKEN: ZL_TOKEN,
      ZALO_API_ROOT: zl.apiRoot,
      SMTP_URL: smtpUrl.toString(),
      PLAN_EVERY_SECONDS: '1',
      PORT: String(port),
    };
    port = await freePort();
    env.PORT = String(port);
    program = startProgram(env);
    await waitFor(
      async () => tg.calls.some((c) => c.method === 'getUpdates') && zl.calls.some((c) => c.method === 'getUpdates'),
      60_000,
      `both bots polling:\n${program.output()}`,
    );
    await waitFor(
      async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok === true,
      30_000,
      'the web role',
    );
  }, 90_000);
  afterAll(async () => {
    if (program && program.child.exitCode === null) {
      program.child.kill('SIGTERM');
      await program.exited;
    }
    await tg?.close();
    await zl?.close();
    await smtp?.close();
    await t?.close();
  });

  it('keeps every secret out of the logs while the program works and fails', async () => {
    // Onboarding and commands on both chat channels, a wrong code, a failing API.
    tg.userSends(9101, `/start ${inviteCode}`);
    await waitFor(
      async () => tg.sent(9101).some((m) => (m.text ?? '').startsWith('Xin chào')),
      15_000,
      'the Telegram welcome',
    );
    tg.userSends(9101, '/xong 4.7 đã xong');
    tg.userSends(9102, '/start wrongWrongWrong123');
    zl.userSends('zl-9201', `/start ${zaloCode}`);
    await waitFor(
      async () => zl.sent('zl-9201').some((m) => (m.text ?? '').startsWith('Xin chào')),
      15_000,
      'the Zalo welcome',
    );
    zl.fail('sendMessage', { status: 401, description: 'Unauthorized', times: 2 });
    zl.userSends('zl-9201', '/viec');
    tg.fail({ method: 'sendMessage', status: 500, times: 2 });
    tg.userSends(9101, '/viec');
    // A nudge through the command line: reminders by every channel, email included.
    const nudged = await runCli(['nudge', '--unit', 'Sở Y tế'], {
      DATABASE_URL: env.DATABASE_URL!,
      REDIS_URL: env.REDIS_URL!,
      REDIS_PREFIX: env.REDIS_PREFIX!,
      SECRET_KEY,
      LOG_LEVEL: 'debug',
    });
    expect(nudged.code, nudged.stderr).toBe(0);
    // Signed links: a forged one and an expired one, at the web role.
    {
      const obligation = await t.prisma.obligation.findFirstOrThrow({ where: { orgId, status: 'open' } });
      const contact = await t.prisma.contact.findFirstOrThrow({ where: { unitId: obligation.unitId } });
      const expired = signLink(
        { obligationId: obligation.id, contactId: contact.id, exp: Math.floor(start.getTime() / 1000) - 60 },
        SECRET_KEY,
      );
      expect((await fetch(`http://127.0.0.1:${port}/c/${expired}`, { method: 'POST' })).status).toBe(410);
      expect((await fetch(`http://127.0.0.1:${port}/c/${expired.slice(0, -2)}xx`, { method: 'POST' })).status).toBe(
        400,
      );
    }
    // The web pages: a login, pages, a file uploaded (multipart), a form posted, a scrape.
    const web = new WebClient(`http://127.0.0.1:${port}`);
    const loginCsrf = /name="_csrf" value="([^"]+)"/.exec((await web.get('/login')).text)![1]!;
    expect(
      (await web.post('/login', { _csrf: loginCsrf, email: ADMIN.email, password: ADMIN.password, next: '/admin' }))
        .status,
    ).toBe(303);
    await web.get('/admin');
    const session = web.cookies.get('dondoc_session')!;
    expect(session).toMatch(/^[\w-]{40,}$/);
    const csrf = web.csrf;
    expect(csrf.length).toBeGreaterThan(20);
    const csv = [
      'TT,Nhiệm vụ,Đơn vị chủ trì,Đơn vị phối hợp,Thời gian thực hiện',
      '1,Báo cáo quý,Sở Tài chính,,Hằng quý',
    ].join('\r\n');
    const uploaded = await web.upload(
      '/admin/import',
      { planCode: '77/KH-LOG' },
      { field: 'file', name: 'ke-hoach.csv', type: 'text/csv', data: Buffer.from(csv) },
    );
    expect(uploaded.status, uploaded.text.slice(0, 300)).toBe(303);
    expect((await web.get(uploaded.location!)).status).toBe(200);
    expect((await web.post('/admin/import/00000000-0000-4000-8000-000000000000/discard')).status).toBeLessThan(500);
    expect(
      (await web.request('GET', '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status,
    ).toBe(200);
    expect(
      (await web.request('GET', '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}-wrong` } })).status,
    ).toBe(401);
    // The nudge's reminders sent (or failed for good), their retries and fallbacks logged.
    await waitFor(
      async () =>
        (await t.prisma.reminder.count({ where: { orgId, stage: { startsWith: 'nudge' } } })) > 0 &&
        (await t.prisma.reminder.count({
          where: { orgId, stage: { startsWith: 'nudge' }, status: { in: ['pending', 'claimed'] } },
        })) === 0,
      60_000,
      `the nudge's reminders settled:\n${program.output().slice(-2_000)}`,
    );
    program.child.kill('SIGTERM');
    await program.exited;

    const logs = `${program.output()}\n${nudged.stdout}\n${nudged.stderr}`;
    expect(logs.length).toBeGreaterThan(1_000);
    expect(logs).toMatch(/"level":30/); // info lines were written: the search below means something
    expect(logs).toMatch(/"level":10/); // and trace lines: the multipart parser's among them
    expect(logs).toContain('Providing options to busboy');
    for (const [name, secret] of Object.entries({
      SECRET_KEY,
      TG_TOKEN,
      TG_SECRET,
      ZL_TOKEN,
      ZL_SECRET,
      DB_PASSWORD,
      SMTP_PASSWORD,
      inviteCode,
      zaloCode,
      ADMIN_PASSWORD: ADMIN.password,
      METRICS_TOKEN,
      session,
      csrf,
      loginCsrf,
    })) {
      expect(secret.length, name).toBeGreaterThan(10);
      expect(logs.includes(secret), `${name} appears in the logs`).toBe(false);
    }
  }, 120_000);

  it('replaces credential headers wherever a line carries them, at trace', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'trace', destination: { write: (line: string) => void lines.push(line) } });
    const headers = {
      cookie: 'dondoc_session=SessionValue123',
      authorization: 'Bearer AuthValue123',
      'set-cookie': 'dondoc_session=SetCookieValue123',
      'x-telegram-bot-api-secret-token': 'TgHeaderValue123',
      'x-bot-api-secret-token': 'ZaloHeaderValue123',
      'x-csrf-token': 'CsrfValue123',
      'x-api-key': 'ApiKeyValue123',
      'content-type': 'multipart/form-data; boundary=KeptValue123',
    };
    logger.trace({ busboyOptions: { headers, limits: { files: 1 } } }, 'as @fastify/multipart logs');
    logger.trace({ headers }, 'headers');
    logger.debug({ req: { headers }, res: { headers } }, 'a request and a response');
    logger.info({ err: { config: { headers } } }, 'an HTTP client error');
    const out = lines.join('\n');
    expect(lines).toHaveLength(4);
    for (const value of [
      'SessionValue123',
      'AuthValue123',
      'SetCookieValue123',
      'TgHeaderValue123',
      'ZaloHeaderValue123',
      'CsrfValue123',
      'ApiKeyValue123',
    ])
      expect(out).not.toContain(value);
    expect(out).toContain('KeptValue123');
    expect(out).toContain('"files":1');
  });

  it('signs links that expire and cannot be re-targeted', () => {
    const claims = {
      obligationId: '11111111-2222-4333-8444-555555555555',
      contactId: '66666666-7777-4888-8999-aaaaaaaaaaaa',
      exp: 2_000_000_000,
    };
    const token = signLink(claims, SECRET_KEY);
    expect(verifyLink(token, SECRET_KEY, new Date(1_999_999_000_000))).toEqual({ ok: true, claims });
    // Expired, still ours: its claims name the contact (whose language the page speaks).
    expect(verifyLink(token, SECRET_KEY, new Date(2_000_000_001_000))).toEqual({
      ok: false,
      reason: 'expired',
      claims,
    });
    expect(verifyLink(token, `${SECRET_KEY}x`, new Date(0))).toEqual({ ok: false, reason: 'forged' });
    const [body, mac] = token.split('.');
    const other = Buffer.from(body!, 'base64url');
    other[20] = other[20]! ^ 0xff; // another contact, same signature
    expect(verifyLink(`${other.toString('base64url')}.${mac}`, SECRET_KEY, new Date(0))).toEqual({
      ok: false,
      reason: 'forged',
    });
    const later = Buffer.from(body!, 'base64url');
    later.writeUInt32BE(2_100_000_000, 32); // a later expiry, same signature
    expect(verifyLink(`${later.toString('base64url')}.${mac}`, SECRET_KEY, new Date(0))).toEqual({
      ok: false,
      reason: 'forged',
    });
  });
});
