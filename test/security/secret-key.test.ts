import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCliContext, type CliContext } from '#root/cli/context.js';
import { createLogger } from '#root/logger.js';
import { createSandboxChannel } from '#root/channels/sandbox/index.js';
import { seedDemo } from '#root/services/demo.js';
import { signLink } from '#root/services/links.js';
import { resolveSecretKey } from '#root/services/secret-key.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startFakeTelegram, type FakeTelegram } from '../helpers/telegram-server.js';

/** The key every deployment without SECRET_KEY used to share: it was in the source. */
const OLD_CONSTANT = 'dondoc-development-key-not-for-production-use';
const TOKEN = '123456:TEST-token_abcdefghijklmnop';
/** The test's clock: 09:00 on Monday 16/11/2026 in Hanoi (the web and bot roles here queue no job). */
const START = new Date('2026-11-16T02:00:00Z');

/**
 * Without SECRET_KEY, the key that signs links and derives the webhooks' secrets is the
 * deployment's own: made at random by the first process, kept in PostgreSQL, the same for every
 * process — never a constant from the source.
 */
describe('the signing key without SECRET_KEY', () => {
  let t: TestDatabase;
  let tg: FakeTelegram;
  let s: TestApp;
  const contexts: CliContext[] = [];
  beforeAll(async () => {
    t = await createTestDatabase();
    await seedDemo(t.prisma, { orgCode: 'hcm', timeZone: 'Asia/Ho_Chi_Minh', now: START, actor: 'test' });
    tg = await startFakeTelegram({ limits: false });
  }, 60_000);
  afterAll(async () => {
    await s?.stop();
    await Promise.all(contexts.map((c) => c.close()));
    await tg?.close();
    await t?.close();
  });

  it('is made once, at random, by whichever of several processes asks first, and every one reads the same', async () => {
    expect(await t.prisma.deploymentSecret.count()).toBe(0);
    // Two command lines and two more connections asking at the same moment on a fresh database.
    for (let i = 0; i < 2; i++) contexts.push(createCliContext({ DATABASE_URL: t.url, LOG_LEVEL: 'silent' }));
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
    const keys = await Promise.all([
      contexts[0]!.secretKey(),
      contexts[1]!.secretKey(),
      resolveSecretKey(t.prisma, undefined, logger),
      resolveSecretKey(t.prisma, undefined, logger),
    ]);
    expect(new Set(keys).size).toBe(1);
    const key = keys[0]!;
    expect(key).not.toBe(OLD_CONSTANT);
    expect(Buffer.from(key, 'base64url')).toHaveLength(32);
    expect(await t.prisma.deploymentSecret.count()).toBe(1);
    // The log says where the key comes from, never the key.
    expect(lines.join('\n')).toContain('SECRET_KEY not set');
    expect(lines.join('\n')).not.toContain(key);
    // SECRET_KEY, when set, wins.
    expect(await resolveSecretKey(t.prisma, 'x'.repeat(40))).toBe('x'.repeat(40));
  });

  it('signs the links and the webhook secret of the running program, which refuses what the old constant signed', async () => {
    const stored = (await t.prisma.deploymentSecret.findFirstOrThrow()).value;
    s = await startTestApp(t, {
      start: START,
      roles: ['web', 'bot'],
      channels: { sandbox: createSandboxChannel() },
      env: { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: tg.apiRoot, PUBLIC_URL: 'https://dondoc.example/' },
    });
    expect(s.config.SECRET_KEY).toBe(stored);
    const base = s.app.address()!;

    const obligation = await t.prisma.obligation.findFirstOrThrow({ where: { status: 'open' } });
    const contact = await t.prisma.contact.findFirstOrThrow({ where: { unitId: obligation.unitId } });
    const claims = {
      obligationId: obligation.id,
      contactId: contact.id,
      exp: Math.floor(s.clock.now().getTime() / 1000) + 3_600,
    };
    expect((await fetch(`${base}/c/${signLink(claims, stored)}`)).status).toBe(200);
    const forged = signLink(claims, OLD_CONSTANT);
    expect((await fetch(`${base}/c/${forged}`)).status).toBe(400);
    expect((await fetch(`${base}/c/${forged}`, { method: 'POST' })).status).toBe(400);
    expect((await t.prisma.obligation.findUniqueOrThrow({ where: { id: obligation.id } })).status).toBe('open');

    // The webhook's secret comes from the stored key; the one the old constant gave is refused.
    const derive = (key: string) =>
      createHmac('sha256', key).update('telegram-webhook').digest('base64url').slice(0, 64);
    expect(tg.webhook()?.secret_token).toBe(derive(stored));
    const update = tg.userSends(4545, '/trogiup');
    const answer = await fetch(`${base}/telegram/webhook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': derive(OLD_CONSTANT) },
      body: JSON.stringify(update),
    });
    expect(answer.status).toBe(401);
  }, 60_000);
});
