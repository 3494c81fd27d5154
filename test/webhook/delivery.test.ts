import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchDue } from '#jobs/dispatch.js';
import { createSandboxChannel } from '#root/channels/sandbox/index.js';
import { webhookChannelFromConfig } from '#root/channels/webhook/from-config.js';
import type { WebhookPayload } from '#root/channels/webhook/payload.js';
import { openWebhookSecret } from '#root/channels/webhook/secret-box.js';
import { loadConfig } from '#root/config.js';
import { setContactAddress } from '#root/services/contacts.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { buildMiniOrg } from '../helpers/builders.js';
import { dueNextYear, wallClockStart } from '../helpers/clock.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/processes.js';
import { startReceiver, type Receiver } from './receiver.js';

const SECRET_KEY = randomBytes(32).toString('base64url');

/**
 * The webhook channel through the real worker (BullMQ, PostgreSQL): a contact whose receiver
 * answers 500 gets the message on the retry, once; one whose address is gone (410), redirects to
 * the metadata service, or does not answer gets it by the next channel — nothing retries forever.
 */
describe('sending the day’s message by webhook', () => {
  let t: TestDatabase;
  let rx: Receiver;
  let s: TestApp;
  let orgId: string;
  let next: ReturnType<typeof dueNextYear>;
  /** Each contact's secret, by the path of its address. */
  const secrets = new Map<string, string>();
  const people = new Map<string, { contactId: string; obligationId: string }>();
  const names = ['retry', 'gone', 'metadata', 'hang', 'busy'];

  beforeAll(async () => {
    t = await createTestDatabase();
    rx = await startReceiver((path) => secrets.get(path));
    const now = wallClockStart();
    next = dueNextYear(now);
    const mini = await buildMiniOrg(t.prisma, {
      units: names.length,
      duties: [{ code: 'A', due: next.due }],
      channels: ['webhook', 'sandbox'],
      now,
    });
    orgId = mini.org.id;
    await reconcileObligations(t.prisma, orgId, next.window, now);
    const config = { ...loadConfig({ WEBHOOK_ALLOW_HOSTS: `127.0.0.1:${rx.port}` }), SECRET_KEY };
    for (const [i, name] of names.entries()) {
      const contact = mini.contacts[i]!;
      const path = `/hook/${name}`;
      // As the unit page and `dondoc contacts address` set one: the contacts service, the spec's check.
      const set = await setContactAddress(t.prisma, orgId, contact.id, 'webhook', rx.url(path), 'test', {
        address: { config },
      });
      secrets.set(path, openWebhookSecret(set.contact.webhookSecret!, SECRET_KEY)!);
      people.set(name, {
        contactId: contact.id,
        obligationId: (await t.prisma.obligation.findFirstOrThrow({ where: { orgId, unitId: contact.unitId } })).id,
      });
    }
    s = await startTestApp(t, {
      start: now,
      roles: ['worker'],
      env: { SECRET_KEY },
      channels: {
        sandbox: createSandboxChannel(),
        // As the program builds it, from its configuration: this receiver's host:port allowed.
        webhook: webhookChannelFromConfig(
          {
            ...loadConfig({ WEBHOOK_ALLOW_HOSTS: `127.0.0.1:${rx.port}`, WEBHOOK_TIMEOUT_SECONDS: '2' }),
            SECRET_KEY,
          },
          t.prisma,
          undefined,
          { giveUpAfter: 2 },
        ),
      },
    });
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
  /** The reminder on the sandbox that took over a failed one, once it is sent. */
  async function fellBack(id: string) {
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
    return t.prisma.contact.findUniqueOrThrow({ where: { id: failed.contactId } });
  }

  it('keeps the secret encrypted, readable only with the deployment key', async () => {
    const { contactId } = people.get('retry')!;
    const stored = (await t.prisma.contact.findUniqueOrThrow({ where: { id: contactId } })).webhookSecret!;
    expect(stored).toMatch(/^v1\./);
    expect(stored).not.toContain(secrets.get('/hook/retry')!.slice(6));
    expect(openWebhookSecret(stored, SECRET_KEY)).toBe(secrets.get('/hook/retry'));
    expect(openWebhookSecret(stored, randomBytes(32).toString('base64url'))).toBeUndefined();
    const i = stored.length - 20;
    const tampered = stored.slice(0, i) + (stored[i] === 'A' ? 'B' : 'A') + stored.slice(i + 1);
    expect(openWebhookSecret(tampered, SECRET_KEY)).toBeUndefined();
  });

  it('delivers once after a 500, on the queue’s retry, signed each time', async () => {
    rx.answer({ status: 500 });
    const id = await remind('retry');
    await waitFor(async () => (await row(id)).status === 'sent', 120_000, 'the webhook reminder sent after a retry');
    const requests = requestsTo('retry');
    expect(requests).toHaveLength(2);
    expect(requests.every((r) => r.verified.ok)).toBe(true);
    const [first, second] = requests.map((r) => JSON.parse(r.body) as WebhookPayload);
    expect(second!.id).toBe(first!.id);
    const sent = await row(id);
    expect(sent.bundleId).toBe(second!.id);
    expect(second!.items).toEqual([{ obligationId: sent.obligationId, code: null, actions: true }]);
    expect(second!.text).toMatch(/^Quá hạn: nhiệm vụ A/);
    expect(second!.language).toBe('vi');
  }, 180_000);

  it('waits out a 429’s Retry-After before calling again, then delivers', async () => {
    // Longer than the queue's first backoff (2 s): the retry waits, before its claim, for the rest.
    rx.answer({ status: 429, headers: { 'retry-after': '4' } });
    const id = await remind('busy');
    await waitFor(async () => (await row(id)).status === 'sent', 120_000, 'the webhook reminder sent after the wait');
    const [first, second] = requestsTo('busy');
    expect(requestsTo('busy')).toHaveLength(2);
    const gap =
      Date.parse((JSON.parse(second!.body) as WebhookPayload).sentAt) -
      Date.parse((JSON.parse(first!.body) as WebhookPayload).sentAt);
    expect(gap).toBeGreaterThanOrEqual(3_900);
    expect(
      (await t.prisma.contact.findUniqueOrThrow({ where: { id: people.get('busy')!.contactId } })).disabledChannels,
    ).toEqual([]);
  }, 180_000);

  it('gives a 410 up at once, disables the address and sends by the next channel', async () => {
    rx.answer({ status: 410 });
    const id = await remind('gone');
    await waitFor(async () => (await row(id)).status === 'failed', 120_000, 'the webhook reminder failed');
    expect((await row(id)).lastError).toMatch(/^Webhook 410/);
    const contact = await fellBack(id);
    expect(contact.disabledChannels).toEqual(['webhook']);
    expect(requestsTo('gone')).toHaveLength(1);
  }, 180_000);

  it('refuses a redirect to the metadata service for good, and sends by the next channel', async () => {
    rx.answer({ redirect: 'http://169.254.169.254/latest/meta-data/' });
    const id = await remind('metadata');
    await waitFor(async () => (await row(id)).status === 'failed', 120_000, 'the webhook reminder failed');
    expect((await row(id)).lastError).toMatch(/^Webhook refused: redirect to 169\.254\.169\.254.*link-local/);
    const contact = await fellBack(id);
    expect(contact.disabledChannels).toEqual(['webhook']);
  }, 180_000);

  it('retries a receiver that does not answer, then gives the message to the next channel, address kept', async () => {
    rx.answer({ hang: true }, { hang: true });
    const id = await remind('hang');
    await waitFor(async () => (await row(id)).status === 'failed', 120_000, 'the webhook reminder given up');
    expect((await row(id)).lastError).toMatch(/no answer within 2000 ms; failed 2 times in a row/);
    const contact = await fellBack(id);
    // A message given up, not the address: tomorrow's goes by webhook again.
    expect(contact.disabledChannels).toEqual([]);
    expect(requestsTo('hang')).toHaveLength(2);
    expect(await t.prisma.auditEvent.count({ where: { action: 'reminder.failed', entityId: id } })).toBe(1);
  }, 180_000);

  it('changes nothing for an address refused, and re-enables the channel with a new secret for a good one', async () => {
    const { contactId } = people.get('gone')!;
    const before = await t.prisma.contact.findUniqueOrThrow({ where: { id: contactId } });
    expect(before.disabledChannels).toEqual(['webhook']);
    const config = { ...loadConfig({}), SECRET_KEY };
    await expect(
      setContactAddress(t.prisma, orgId, contactId, 'webhook', 'http://169.254.169.254/latest/meta-data/', 'test', {
        address: { config },
      }),
    ).rejects.toThrow(/169\.254\.169\.254/);
    expect(await t.prisma.contact.findUniqueOrThrow({ where: { id: contactId } })).toEqual(before);

    const set = await setContactAddress(
      t.prisma,
      orgId,
      contactId,
      'webhook',
      'https://vanban.tinh.gov.vn/api/dondoc?key=bimat',
      'test',
      { address: { config } },
    );
    const after = await t.prisma.contact.findUniqueOrThrow({ where: { id: contactId } });
    expect(after.disabledChannels).toEqual([]);
    const secret = openWebhookSecret(after.webhookSecret!, SECRET_KEY)!;
    // Shown once, to whoever set it; a new secret, not the old one.
    expect(set.reveal).toContain(secret);
    expect(secret).not.toBe(secrets.get('/hook/gone'));
    const audits = await t.prisma.auditEvent.findMany({
      where: { action: 'contact.address', entityId: contactId },
      orderBy: { id: 'asc' },
    });
    // Set in beforeAll, then here: the address masked, never the query nor the secret.
    expect(audits.map((a) => a.data)).toEqual([
      { channel: 'webhook', address: expect.stringMatching(/^http:/) },
      { channel: 'webhook', address: 'https://vanban.tinh.gov.vn/…/dondoc?…' },
    ]);
    expect(JSON.stringify(audits.map((a) => a.data))).not.toContain('bimat');
    expect(JSON.stringify(audits.map((a) => a.data))).not.toContain(secret);

    // Left out, the address is removed.
    await setContactAddress(t.prisma, orgId, contactId, 'webhook', '', 'test', { address: { config } });
    const cleared = await t.prisma.contact.findUniqueOrThrow({ where: { id: contactId } });
    expect([cleared.webhookUrl, cleared.webhookSecret]).toEqual([null, null]);
  });
});
