import { randomBytes } from 'node:crypto';
import { dispatchDue } from '#jobs/dispatch.js';
import type { ChannelAdapter } from '#root/channels/types.js';
import { loadConfig, type Config } from '#root/config.js';
import type { Channel } from '#root/generated/prisma/client.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { buildMiniOrg } from '../helpers/builders.js';
import { dueNextYear, wallClockStart } from '../helpers/clock.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/processes.js';
import { startReceiver, type Receiver } from './receiver.js';

/**
 * What the webhook delivery tests share: a test database with a mini organisation (one duty due
 * next year, a contact per unit), a receiver on 127.0.0.1 that checks each request's signature
 * with the secret of its path, the real worker once the contacts are set up, and how to remind one
 * named contact by webhook and follow what became of it.
 */
export async function webhookWorld(org: { units: number; channels?: Channel[] }) {
  const secretKey = randomBytes(32).toString('base64url');
  /** Each contact's secret, by the path of its address. */
  const secrets = new Map<string, string>();
  /** By name: the contact and its unit's obligation. */
  const people = new Map<string, { contactId: string; obligationId: string }>();
  const t: TestDatabase = await createTestDatabase();
  const rx: Receiver = await startReceiver((path) => secrets.get(path));
  const now = wallClockStart();
  const next = dueNextYear(now);
  const mini = await buildMiniOrg(t.prisma, {
    units: org.units,
    duties: [{ code: 'A', due: next.due }],
    ...(org.channels ? { channels: org.channels } : {}),
    now,
  });
  const orgId = mini.org.id;
  await reconcileObligations(t.prisma, orgId, next.window, now);
  let s: TestApp | undefined;
  const app = () => {
    if (!s) throw new Error('the worker is not started');
    return s;
  };
  const row = (id: string) => t.prisma.reminder.findUniqueOrThrow({ where: { id } });

  return {
    t,
    rx,
    orgId,
    next,
    mini,
    secrets,
    people,
    secretKey,
    get s(): TestApp {
      return app();
    },
    /** The configuration of a deployment that lets this receiver's host:port through, with its key. */
    config(env: Record<string, string> = {}): Config {
      return { ...loadConfig({ WEBHOOK_ALLOW_HOSTS: `127.0.0.1:${rx.port}`, ...env }), SECRET_KEY: secretKey };
    },
    /** Names a contact: the tests remind it by name; its obligation is its unit's. */
    async person(name: string, contactId: string, unitId: string, path: string, secret: string) {
      secrets.set(path, secret);
      const o = await t.prisma.obligation.findFirstOrThrow({ where: { orgId, unitId } });
      people.set(name, { contactId, obligationId: o.id });
    },
    /** Starts the worker with these channels, once the contacts are set up. */
    async startWorker(channels: Partial<Record<Channel, ChannelAdapter>>) {
      s = await startTestApp(t, { start: now, roles: ['worker'], env: { SECRET_KEY: secretKey }, channels });
    },
    /** A reminder of the named contact's obligation by webhook, due now, handed to the queue; its id. */
    async remind(name: string): Promise<string> {
      const { contactId, obligationId } = people.get(name)!;
      const r = await t.prisma.reminder.create({
        data: {
          orgId,
          obligationId,
          contactId,
          channel: 'webhook',
          kind: 'overdue',
          stage: `nudge-${name}@${next.stageDay}`,
          scheduledAt: new Date(app().clock.now().getTime() - 1_000),
        },
      });
      await dispatchDue(t.prisma, app().app.sendQueue(), orgId, app().clock.now(), 0);
      return r.id;
    },
    row,
    requestsTo: (name: string) => rx.received.filter((r) => r.path === `/hook/${name}`),
    /** The contact of a failed reminder once the reminder on the sandbox that took it over is sent. */
    async fellBack(id: string) {
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
    },
    async close() {
      await s?.stop();
      await rx.close();
      await t.close();
    },
  };
}

export type WebhookWorld = Awaited<ReturnType<typeof webhookWorld>>;
