import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchDue } from '#jobs/dispatch.js';
import { createChannels } from '#root/channels/index.js';
import type { WebhookPayload } from '#root/channels/webhook/payload.js';
import { openWebhookSecret } from '#root/channels/webhook/secret-box.js';
import { loadConfig } from '#root/config.js';
import { createLogger } from '#root/logger.js';
import { addContact } from '#root/services/contacts.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { buildMiniOrg } from '../helpers/builders.js';
import { dueNextYear, wallClockStart } from '../helpers/clock.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/processes.js';
import { startReceiver, type Receiver } from './receiver.js';

const SECRET_KEY = randomBytes(32).toString('base64url');

/**
 * The webhook as the registry makes it, end to end: a contact added with a webhook address as the
 * web page and the CLI add one (the contacts service, the channel's spec parsing and sealing it),
 * the channels built by `createChannels` from the configuration, the worker delivering the day's
 * message signed to the receiver, and a receiver that answers 410 losing the message to the
 * contact's next channel.
 */
describe('the webhook channel through the registry', () => {
  let t: TestDatabase;
  let rx: Receiver;
  let s: TestApp;
  let orgId: string;
  let next: ReturnType<typeof dueNextYear>;
  const secrets = new Map<string, string>();
  const people = new Map<string, { contactId: string; obligationId: string }>();

  beforeAll(async () => {
    t = await createTestDatabase();
    rx = await startReceiver((path) => secrets.get(path));
    const now = wallClockStart();
    next = dueNextYear(now);
    const mini = await buildMiniOrg(t.prisma, { units: 2, duties: [{ code: 'A', due: next.due }], now });
    orgId = mini.org.id;
    await reconcileObligations(t.prisma, orgId, next.window, now);
    const config = {
      ...loadConfig({ WEBHOOK_ALLOW_HOSTS: `127.0.0.1:${rx.port}`, WEBHOOK_TIMEOUT_SECONDS: '2' }),
      SECRET_KEY,
    };
    for (const [i, name] of ['ok', 'gone'].entries()) {
      const unit = mini.units[i]!;
      const added = await addContact(
        t.prisma,
        orgId,
        { unitId: unit.id, name: `Hệ thống ${name}`, addresses: { webhook: rx.url(`/hook/${name}`) } },
        'test',
        { address: { config }, lang: 'vi' },
      );
      // The channel of the address typed comes first; the sandbox takes what it refuses.
      await t.prisma.contact.update({ where: { id: added.id }, data: { channels: ['webhook', 'sandbox'] } });
      const secret = openWebhookSecret(added.webhookSecret!, SECRET_KEY)!;
      // Shown once to whoever set it, in their language.
      expect(added.reveal).toContain(secret);
      secrets.set(`/hook/${name}`, secret);
      people.set(name, {
        contactId: added.id,
        obligationId: (await t.prisma.obligation.findFirstOrThrow({ where: { orgId, unitId: unit.id } })).id,
      });
    }
    const channels = await createChannels(config, createLogger({ level: 'silent' }));
    expect(Object.keys(channels)).toContain('webhook');
    s = await startTestApp(t, { start: now, roles: ['worker'], env: { SECRET_KEY }, channels });
  }, 180_000);
  afterAll(async () => {
    await s?.stop();
    await rx?.close();
    await t?.close();
  });

  async function remind(name: string): Promise<string> {
    const { contactId, obligationId } = people.get(name)!;
    const r = await t.prisma.reminder.create({
      data: {
        orgId,
        obligationId,
        contactId,
        channel: 'webhook',
        kind: 'overdue',
        stage: `nudge-${name}@${next.stageDay}`,
        scheduledAt: new Date(s.clock.now().getTime() - 1_000),
      },
    });
    await dispatchDue(t.prisma, s.app.sendQueue(), orgId, s.clock.now(), 0);
    return r.id;
  }
  const row = (id: string) => t.prisma.reminder.findUniqueOrThrow({ where: { id } });
  const requestsTo = (name: string) => rx.received.filter((r) => r.path === `/hook/${name}`);

  it('delivers the message as signed JSON, with the address and secret the contact was given', async () => {
    const id = await remind('ok');
    await waitFor(async () => (await row(id)).status === 'sent', 120_000, 'the webhook reminder sent');
    const [request] = requestsTo('ok');
    expect(requestsTo('ok')).toHaveLength(1);
    expect(request!.verified.ok).toBe(true);
    const payload = JSON.parse(request!.body) as WebhookPayload;
    expect(payload.contact).toEqual({ id: people.get('ok')!.contactId, name: 'Hệ thống ok' });
    expect(payload.text).toMatch(/nhiệm vụ A/);
  }, 180_000);

  it('falls back to the contact’s next channel when the webhook fails for good, disabling it', async () => {
    rx.answer({ status: 410 });
    const id = await remind('gone');
    await waitFor(async () => (await row(id)).status === 'failed', 120_000, 'the webhook reminder failed');
    const failed = await row(id);
    const fallback = await t.prisma.reminder.findFirstOrThrow({
      where: {
        obligationId: failed.obligationId,
        contactId: failed.contactId,
        channel: 'sandbox',
        stage: failed.stage,
      },
    });
    await waitFor(async () => (await row(fallback.id)).status === 'sent', 120_000, 'the fallback sent');
    const contact = await t.prisma.contact.findUniqueOrThrow({ where: { id: failed.contactId } });
    expect(contact.disabledChannels).toEqual(['webhook']);
    expect(await t.prisma.outboxMessage.count({ where: { contactId: contact.id } })).toBe(1);
  }, 180_000);
});
