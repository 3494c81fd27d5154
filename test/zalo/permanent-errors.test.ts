import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchDue } from '#jobs/dispatch.js';
import { createSandboxChannel } from '#root/channels/sandbox/index.js';
import { createZaloChannel } from '#root/channels/zalo/index.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { buildMiniOrg } from '../helpers/builders.js';
import { dueNextYear, wallClockStart } from '../helpers/clock.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/processes.js';
import { startZaloServer, type FakeZalo } from '../helpers/zalo-server.js';

const TOKEN = '1459232241454765289:ZtestSecretTokenForDondocFake-abc';

/**
 * Zalo's 400 about a message (a text it refuses) through the real worker: the reminder fails once,
 * goes by the next channel, and Zalo stays enabled for the contact; Zalo's 403 (its internal error)
 * is retried and delivered.
 */
describe('sending a reminder by Zalo', () => {
  let t: TestDatabase;
  let zl: FakeZalo;
  let s: TestApp;
  let orgId: string;
  /** The duty's due date: next year, whatever day this runs. */
  let next: ReturnType<typeof dueNextYear>;
  /** Per Zalo user: the contact and the obligation of its unit. */
  const users = new Map<string, { contactId: string; obligationId: string }>();

  beforeAll(async () => {
    t = await createTestDatabase();
    // The worker runs on BullMQ and PostgreSQL's real time: the test's clock starts at it.
    const now = wallClockStart();
    next = dueNextYear(now);
    const mini = await buildMiniOrg(t.prisma, {
      units: 2,
      duties: [{ code: 'A', due: next.due }],
      channels: ['zalo', 'sandbox'],
      now,
    });
    orgId = mini.org.id;
    await reconcileObligations(t.prisma, orgId, next.window, now);
    for (const [i, user] of ['u-text', 'u-internal'].entries()) {
      const c = await t.prisma.contact.update({ where: { id: mini.contacts[i]!.id }, data: { zaloUserId: user } });
      users.set(user, {
        contactId: c.id,
        obligationId: (await t.prisma.obligation.findFirstOrThrow({ where: { orgId, unitId: c.unitId } })).id,
      });
    }
    zl = await startZaloServer({ token: TOKEN, limits: false });
    s = await startTestApp(t, {
      start: now,
      roles: ['worker'],
      channels: { sandbox: createSandboxChannel(), zalo: createZaloChannel({ token: TOKEN, apiRoot: zl.apiRoot }) },
      env: { ZALO_BOT_TOKEN: TOKEN, ZALO_API_ROOT: zl.apiRoot },
    });
  }, 60_000);
  afterAll(async () => {
    await s?.stop();
    await zl?.close();
    await t?.close();
  });

  async function remind(user: string, tag: string): Promise<string> {
    const { contactId, obligationId } = users.get(user)!;
    const r = await t.prisma.reminder.create({
      data: {
        orgId,
        obligationId,
        contactId,
        channel: 'zalo',
        kind: 'overdue',
        stage: `nudge-${tag}@${next.stageDay}`,
        scheduledAt: new Date(s.clock.now().getTime() - 1_000),
      },
    });
    await dispatchDue(t.prisma, s.app.sendQueue(), orgId, s.clock.now(), 0);
    return r.id;
  }
  const row = (id: string) => t.prisma.reminder.findUniqueOrThrow({ where: { id } });

  describe('when Zalo refuses the message with a 400', () => {
    it('fails it once, sends it by the next channel and keeps Zalo enabled for the contact', async () => {
      zl.fail('sendMessage', {
        status: 400,
        description: 'Bad request: text must be from 1 to 2000 characters',
        chatId: 'u-text',
        times: 100,
      });
      const id = await remind('u-text', 'text');
      const { contactId, obligationId } = users.get('u-text')!;
      await waitFor(async () => (await row(id)).status === 'failed', 15_000, 'the Zalo reminder failed');
      const failed = await row(id);
      expect(failed.attempts).toBe(1);
      expect(failed.lastError).toMatch(/^Zalo 400: /);
      const fallback = await t.prisma.reminder.findFirstOrThrow({
        where: { obligationId, contactId, channel: 'sandbox', stage: failed.stage },
      });
      await waitFor(async () => (await row(fallback.id)).status === 'sent', 15_000, 'the fallback sent');
      expect((await t.prisma.contact.findUniqueOrThrow({ where: { id: contactId } })).disabledChannels).toEqual([]);
      expect(await t.prisma.auditEvent.count({ where: { action: 'reminder.failed', entityId: id } })).toBe(1);
    }, 40_000);
  });

  describe('when Zalo answers its internal-error 403', () => {
    it('retries and delivers, disabling nothing', async () => {
      zl.fail('sendMessage', { status: 403, description: 'Internal server error', chatId: 'u-internal' });
      const id = await remind('u-internal', 'internal');
      const { contactId } = users.get('u-internal')!;
      await waitFor(async () => (await row(id)).status === 'sent', 20_000, 'the Zalo reminder sent after a retry');
      expect((await row(id)).attempts).toBe(2);
      expect((await t.prisma.contact.findUniqueOrThrow({ where: { id: contactId } })).disabledChannels).toEqual([]);
    }, 40_000);
  });
});
