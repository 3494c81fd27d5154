import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandboxChannel } from '#root/channels/sandbox/index.js';
import { webhookChannelFromConfig } from '#root/channels/webhook/from-config.js';
import type { WebhookPayload } from '#root/channels/webhook/payload.js';
import { openWebhookSecret } from '#root/channels/webhook/secret-box.js';
import { loadConfig } from '#root/config.js';
import { setContactAddress } from '#root/services/contacts.js';
import { waitFor } from '../helpers/processes.js';
import { webhookWorld, type WebhookWorld } from './world.js';

/**
 * The webhook channel through the real worker (BullMQ, PostgreSQL): a contact whose receiver
 * answers 500 gets the message on the retry, once; one whose address is gone (410), redirects to
 * the metadata service, or does not answer gets it by the next channel — nothing retries forever.
 */
describe('sending the day’s message by webhook', () => {
  let w: WebhookWorld;
  const names = ['retry', 'gone', 'metadata', 'hang', 'busy'];

  beforeAll(async () => {
    w = await webhookWorld({ units: names.length, channels: ['webhook', 'sandbox'] });
    const config = w.config();
    for (const [i, name] of names.entries()) {
      const contact = w.mini.contacts[i]!;
      const path = `/hook/${name}`;
      // As the unit page and `dondoc contacts address` set one: the contacts service, the spec's check.
      const set = await setContactAddress(w.t.prisma, w.orgId, contact.id, 'webhook', w.rx.url(path), 'test', {
        address: { config },
      });
      await w.person(
        name,
        contact.id,
        contact.unitId,
        path,
        openWebhookSecret(set.contact.webhookSecret!, w.secretKey)!,
      );
    }
    await w.startWorker({
      sandbox: createSandboxChannel(),
      // As the program builds it, from its configuration: this receiver's host:port allowed.
      webhook: webhookChannelFromConfig(w.config({ WEBHOOK_TIMEOUT_SECONDS: '2' }), w.t.prisma, undefined, {
        giveUpAfter: 2,
      }),
    });
  }, 180_000);
  afterAll(() => w?.close());

  it('keeps the secret encrypted, readable only with the deployment key', async () => {
    const { contactId } = w.people.get('retry')!;
    const stored = (await w.t.prisma.contact.findUniqueOrThrow({ where: { id: contactId } })).webhookSecret!;
    expect(stored).toMatch(/^v1\./);
    expect(stored).not.toContain(w.secrets.get('/hook/retry')!.slice(6));
    expect(openWebhookSecret(stored, w.secretKey)).toBe(w.secrets.get('/hook/retry'));
    expect(openWebhookSecret(stored, randomBytes(32).toString('base64url'))).toBeUndefined();
    const i = stored.length - 20;
    const tampered = stored.slice(0, i) + (stored[i] === 'A' ? 'B' : 'A') + stored.slice(i + 1);
    expect(openWebhookSecret(tampered, w.secretKey)).toBeUndefined();
  });

  it('delivers once after a 500, on the queue’s retry, signed each time', async () => {
    w.rx.answer({ status: 500 });
    const id = await w.remind('retry');
    await waitFor(async () => (await w.row(id)).status === 'sent', 120_000, 'the webhook reminder sent after a retry');
    const requests = w.requestsTo('retry');
    expect(requests).toHaveLength(2);
    expect(requests.every((r) => r.verified.ok)).toBe(true);
    const [first, second] = requests.map((r) => JSON.parse(r.body) as WebhookPayload);
    expect(second!.id).toBe(first!.id);
    const sent = await w.row(id);
    expect(sent.bundleId).toBe(second!.id);
    expect(second!.items).toEqual([{ obligationId: sent.obligationId, code: null, actions: true }]);
    expect(second!.text).toMatch(/^Quá hạn: nhiệm vụ A/);
    expect(second!.language).toBe('vi');
  }, 180_000);

  it('waits out a 429’s Retry-After before calling again, then delivers', async () => {
    // Longer than the queue’s first backoff (2 s): the retry waits out the rest (the channel’s pace).
    w.rx.answer({ status: 429, headers: { 'retry-after': '4' } });
    const id = await w.remind('busy');
    await waitFor(async () => (await w.row(id)).status === 'sent', 120_000, 'the webhook reminder sent after the wait');
    const [first, second] = w.requestsTo('busy');
    expect(w.requestsTo('busy')).toHaveLength(2);
    const gap =
      Date.parse((JSON.parse(second!.body) as WebhookPayload).sentAt) -
      Date.parse((JSON.parse(first!.body) as WebhookPayload).sentAt);
    expect(gap).toBeGreaterThanOrEqual(3_900);
    expect(
      (await w.t.prisma.contact.findUniqueOrThrow({ where: { id: w.people.get('busy')!.contactId } })).disabledChannels,
    ).toEqual([]);
  }, 180_000);

  it('gives a 410 up at once, disables the address and sends by the next channel', async () => {
    w.rx.answer({ status: 410 });
    const id = await w.remind('gone');
    await waitFor(async () => (await w.row(id)).status === 'failed', 120_000, 'the webhook reminder failed');
    expect((await w.row(id)).lastError).toMatch(/^Webhook 410/);
    const contact = await w.fellBack(id);
    expect(contact.disabledChannels).toEqual(['webhook']);
    expect(w.requestsTo('gone')).toHaveLength(1);
  }, 180_000);

  it('refuses a redirect to the metadata service for good, and sends by the next channel', async () => {
    w.rx.answer({ redirect: 'http://169.254.169.254/latest/meta-data/' });
    const id = await w.remind('metadata');
    await waitFor(async () => (await w.row(id)).status === 'failed', 120_000, 'the webhook reminder failed');
    expect((await w.row(id)).lastError).toMatch(/^Webhook refused: redirect to 169\.254\.169\.254.*link-local/);
    const contact = await w.fellBack(id);
    expect(contact.disabledChannels).toEqual(['webhook']);
  }, 180_000);

  it('retries a receiver that does not answer, then gives the message to the next channel, address kept', async () => {
    w.rx.answer({ hang: true }, { hang: true });
    const id = await w.remind('hang');
    await waitFor(async () => (await w.row(id)).status === 'failed', 120_000, 'the webhook reminder given up');
    expect((await w.row(id)).lastError).toMatch(/no answer within 2000 ms; failed 2 times in a row/);
    const contact = await w.fellBack(id);
    // A message given up, not the address: tomorrow's goes by webhook again.
    expect(contact.disabledChannels).toEqual([]);
    expect(w.requestsTo('hang')).toHaveLength(2);
    expect(await w.t.prisma.auditEvent.count({ where: { action: 'reminder.failed', entityId: id } })).toBe(1);
  }, 180_000);

  it('changes nothing for an address refused, and re-enables the channel with a new secret for a good one', async () => {
    const { contactId } = w.people.get('gone')!;
    const before = await w.t.prisma.contact.findUniqueOrThrow({ where: { id: contactId } });
    expect(before.disabledChannels).toEqual(['webhook']);
    const config = { ...loadConfig({}), SECRET_KEY: w.secretKey };
    await expect(
      setContactAddress(w.t.prisma, w.orgId, contactId, 'webhook', 'http://169.254.169.254/latest/meta-data/', 'test', {
        address: { config },
      }),
    ).rejects.toThrow(/169\.254\.169\.254/);
    expect(await w.t.prisma.contact.findUniqueOrThrow({ where: { id: contactId } })).toEqual(before);

    const set = await setContactAddress(
      w.t.prisma,
      w.orgId,
      contactId,
      'webhook',
      'https://vanban.tinh.gov.vn/api/dondoc?key=bimat',
      'test',
      { address: { config } },
    );
    const after = await w.t.prisma.contact.findUniqueOrThrow({ where: { id: contactId } });
    expect(after.disabledChannels).toEqual([]);
    const secret = openWebhookSecret(after.webhookSecret!, w.secretKey)!;
    // Shown once, to whoever set it; a new secret, not the old one.
    expect(set.reveal).toContain(secret);
    expect(secret).not.toBe(w.secrets.get('/hook/gone'));
    const audits = await w.t.prisma.auditEvent.findMany({
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
    await setContactAddress(w.t.prisma, w.orgId, contactId, 'webhook', '', 'test', { address: { config } });
    const cleared = await w.t.prisma.contact.findUniqueOrThrow({ where: { id: contactId } });
    expect([cleared.webhookUrl, cleared.webhookSecret]).toEqual([null, null]);
  });
});
