import { randomBytes, scryptSync } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createRedis, type Redis } from '#root/redis.js';
import { createAdmin, SCRYPT_COST, verifyPassword } from '#root/services/admins.js';
import { LOGIN_MAX_FAILURES, LOGIN_MAX_FAILURES_PER_ADDRESS, SESSION_COOKIE } from '#root/web/admin.js';
import { startWebTest, type WebClient, type WebTest } from '../helpers/web.js';

/** Password hashes computed so far by the web role (every login's scrypt, the decoy's included). */
async function passwordChecks(w: WebTest): Promise<number> {
  return (await w.s.app.metrics.passwordChecks.get()).values.reduce((n, v) => n + v.value, 0);
}

/** The login form's token for this client (its cookie is set by the same page). */
async function loginToken(c: WebClient): Promise<string> {
  const page = await c.get('/login');
  return /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
}

/**
 * The login limits under concurrency: each attempt is counted (atomically, per email and per
 * address) before its password is hashed, so that guesses sent at once cannot all pass a check made
 * before any of them was counted. What is measured is the number of scrypt evaluations the web role
 * made (the `dondoc_password_checks_total` counter, incremented where scrypt is called), not only
 * the answers.
 */
describe('login limits under concurrent guesses', () => {
  let w: WebTest;
  let redis: Redis;
  beforeAll(async () => {
    w = await startWebTest();
    redis = createRedis('redis://127.0.0.1:6379');
  }, 60_000);
  afterAll(async () => {
    await redis?.quit();
    await w?.stop();
  });
  // Each test starts with no attempt counted (they all come from 127.0.0.1).
  beforeEach(async () => {
    const keys = await redis.keys(`${w.s.config.REDIS_PREFIX}:login-fail:*`);
    if (keys.length) await redis.del(...keys);
  });

  it(`evaluates at most ${LOGIN_MAX_FAILURES} of 40 wrong passwords sent at once for one email, and then not even the right one`, async () => {
    const email = 'dong-thoi@sotttt.example.vn';
    const right = 'mật khẩu đúng của tài khoản';
    await createAdmin(w.t.prisma, w.orgId, { email, password: right }, 'test');
    const c = w.newClient();
    const token = await loginToken(c);
    // Every answer renews the login form's cookie: the right password comes from a page of its own.
    const d = w.newClient();
    const tokenD = await loginToken(d);
    const before = await passwordChecks(w);

    const wrong = Array.from({ length: 40 }, (_, i) =>
      c.post('/login', { _csrf: token, email, password: `đoán sai lần ${i}` }),
    );
    // The right password goes out while the 40 are still being answered, once all 40 are counted.
    const emailKey = `${w.s.config.REDIS_PREFIX}:login-fail:email:${email}`;
    await expect.poll(async () => Number(await redis.get(emailKey)), { timeout: 30_000, interval: 20 }).toBe(40);
    const rightOne = d.post('/login', { _csrf: tokenD, email, password: right });
    const answers = await Promise.all([...wrong, rightOne]);

    const evaluated = (await passwordChecks(w)) - before;
    const statuses = answers.map((a) => a.status);
    console.info(
      `40 wrong + the right password at once: ${evaluated} scrypt evaluations; answers ${JSON.stringify(Object.fromEntries(['401', '429', '303'].map((s) => [s, statuses.filter((x) => String(x) === s).length])))}`,
    );
    expect(evaluated, JSON.stringify(statuses)).toBe(LOGIN_MAX_FAILURES);
    expect(statuses.filter((s) => s === 401)).toHaveLength(LOGIN_MAX_FAILURES);
    expect(statuses.filter((s) => s === 429)).toHaveLength(41 - LOGIN_MAX_FAILURES);
    expect(answers.at(-1)!.status).toBe(429);
    expect(d.cookies.has(SESSION_COOKIE)).toBe(false);
  }, 120_000);

  it(`evaluates at most ${LOGIN_MAX_FAILURES_PER_ADDRESS} of 120 guesses sent at once from one address, across many emails`, async () => {
    const c = w.newClient();
    const token = await loginToken(c);
    const before = await passwordChecks(w);
    // The web role runs in this process: how long its event loop waits while 50 hashes of 128 MiB
    // run (on libuv's threads, not the loop). Reported, not bounded: the machine's load decides it.
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    // Unknown emails, ten guesses each: no email reaches its own limit, the address does.
    const answers = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        c.post('/login', { _csrf: token, email: `khong-co-${i % 12}@example.vn`, password: `đoán ${i}` }),
      ),
    );
    const evaluated = (await passwordChecks(w)) - before;
    const statuses = answers.map((a) => a.status);
    loop.disable();
    console.info(
      `120 guesses at once from one address: ${evaluated} scrypt evaluations; event loop delay p99 ${(loop.percentile(99) / 1e6).toFixed(0)} ms, max ${(loop.max / 1e6).toFixed(0)} ms`,
    );
    expect(evaluated).toBe(LOGIN_MAX_FAILURES_PER_ADDRESS);
    expect(statuses.filter((s) => s === 401)).toHaveLength(LOGIN_MAX_FAILURES_PER_ADDRESS);
    expect(statuses.filter((s) => s === 429)).toHaveLength(120 - LOGIN_MAX_FAILURES_PER_ADDRESS);
  }, 180_000);

  it('gives a successful login its attempt back: the limits count failures, one after another as before', async () => {
    const c = w.newClient();
    for (let i = 0; i < 2; i++) expect((await c.login(w.admin.email, w.admin.password)).status).toBe(303);
    expect(Number(await redis.get(`${w.s.config.REDIS_PREFIX}:login-fail:ip:127.0.0.1`))).toBe(0);
  }, 60_000);
});

describe('password hashes', () => {
  let w: WebTest;
  beforeAll(async () => {
    w = await startWebTest();
  }, 60_000);
  afterAll(async () => w?.stop());

  it('are made with OWASP’s minimum cost for scrypt (N = 2^17, r = 8, p = 1)', () => {
    expect(SCRYPT_COST).toEqual({ N: 131_072, r: 8, p: 1 });
  });

  it('made with an older, cheaper cost are made again at the next successful login, and the audit log says so', async () => {
    const email = 'hash-cu@sotttt.example.vn';
    const password = 'mật khẩu từ thời trước';
    // A hash as the previous version made them (N = 2^15).
    const salt = randomBytes(16);
    const key = scryptSync(password.normalize('NFC'), salt, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
    const old = `scrypt$32768$8$1$${salt.toString('base64url')}$${key.toString('base64url')}`;
    const account = await w.t.prisma.adminAccount.create({
      data: { orgId: w.orgId, email, name: 'Anh Cũ', passwordHash: old },
    });

    expect((await w.newClient().login(email, 'không phải mật khẩu')).status).toBe(401);
    expect((await w.t.prisma.adminAccount.findUniqueOrThrow({ where: { id: account.id } })).passwordHash).toBe(old);

    expect((await w.newClient().login(email, password)).status).toBe(303);
    const stored = (await w.t.prisma.adminAccount.findUniqueOrThrow({ where: { id: account.id } })).passwordHash;
    expect(stored).toMatch(/^scrypt\$131072\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(await verifyPassword(password, stored)).toBe(true);
    const rehashed = await w.t.prisma.auditEvent.findMany({
      where: { orgId: w.orgId, action: 'admin.rehash', entityId: account.id },
    });
    expect(rehashed).toHaveLength(1);
    expect(rehashed[0]!.data).toEqual({ from: 32_768, to: 131_072 });
    expect(rehashed[0]!.actor).toBe(`web:${email}`);

    // Once is enough.
    expect((await w.newClient().login(email, password)).status).toBe(303);
    expect(await w.t.prisma.auditEvent.count({ where: { action: 'admin.rehash', entityId: account.id } })).toBe(1);
  }, 60_000);
});
