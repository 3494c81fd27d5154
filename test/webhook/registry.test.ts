import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChannels } from '#root/channels/index.js';
import type { WebhookPayload } from '#root/channels/webhook/payload.js';
import { openWebhookSecret } from '#root/channels/webhook/secret-box.js';
import { createLogger } from '#root/logger.js';
import { addContact } from '#root/services/contacts.js';
import { waitFor } from '../helpers/processes.js';
import { webhookWorld, type WebhookWorld } from './world.js';

/**
 * The webhook as the registry makes it, end to end: a contact added with a webhook address as the
 * web page and the CLI add one (the contacts service, the channel's spec parsing and sealing it),
 * the channels built by `createChannels` from the configuration, the worker delivering the day's
 * message signed to the receiver, and a receiver that answers 410 losing the message to the
 * contact's next channel.
 */
describe('the webhook channel through the registry', () => {
  let w: WebhookWorld;

  beforeAll(async () => {
    w = await webhookWorld({ units: 2 });
    const config = w.config({ WEBHOOK_TIMEOUT_SECONDS: '2' });
    for (const [i, name] of ['ok', 'gone'].entries()) {
      const unit = w.mini.units[i]!;
      const added = await addContact(
        w.t.prisma,
        w.orgId,
        { unitId: unit.id, name: `Hệ thống ${name}`, addresses: { webhook: w.rx.url(`/hook/${name}`) } },
        'test',
        { address: { config }, lang: 'vi' },
      );
      // The channel of the address typed comes first; the sandbox takes what it refuses.
      await w.t.prisma.contact.update({ where: { id: added.id }, data: { channels: ['webhook', 'sandbox'] } });
      const secret = openWebhookSecret(added.webhookSecret!, w.secretKey)!;
      // Shown once to whoever set it, in their language.
      expect(added.reveal).toContain(secret);
      await w.person(name, added.id, unit.id, `/hook/${name}`, secret);
    }
    const channels = await createChannels(config, createLogger({ level: 'silent' }));
    expect(Object.keys(channels)).toContain('webhook');
    await w.startWorker(channels);
  }, 180_000);
  afterAll(() => w?.close());

  it('delivers the message as signed JSON, with the address and secret the contact was given', async () => {
    const id = await w.remind('ok');
    await waitFor(async () => (await w.row(id)).status === 'sent', 120_000, 'the webhook reminder sent');
    const [request] = w.requestsTo('ok');
    expect(w.requestsTo('ok')).toHaveLength(1);
    expect(request!.verified.ok).toBe(true);
    const payload = JSON.parse(request!.body) as WebhookPayload;
    expect(payload.contact).toEqual({ id: w.people.get('ok')!.contactId, name: 'Hệ thống ok' });
    expect(payload.text).toMatch(/nhiệm vụ A/);
  }, 180_000);

  it('falls back to the contact’s next channel when the webhook fails for good, disabling it', async () => {
    w.rx.answer({ status: 410 });
    const id = await w.remind('gone');
    await waitFor(async () => (await w.row(id)).status === 'failed', 120_000, 'the webhook reminder failed');
    const contact = await w.fellBack(id);
    expect(contact.disabledChannels).toEqual(['webhook']);
    expect(await w.t.prisma.outboxMessage.count({ where: { contactId: contact.id } })).toBe(1);
  }, 180_000);
});
