import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchDue } from '#jobs/dispatch.js';
import { createSandboxChannel } from '#root/channels/sandbox/index.js';
import { createTelegramChannel } from '#root/channels/telegram/index.js';
import { dueInstant } from '#root/domain/obligation-state.js';
import { stageId } from '#root/domain/stages.js';
import { zonedDay } from '#root/domain/zoned-day.js';
import { confirmObligation } from '#root/services/confirmations.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { buildMiniOrg } from '../helpers/builders.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/processes.js';
import { startFakeTelegram, type FakeTelegram, type SentMessage } from '../helpers/telegram-server.js';

const TOKEN = '123456:TEST-token_abcdefghijklmnop';
const ZONE = 'Asia/Ho_Chi_Minh';
/** One unit (one contact) per case, each on its own private chat. */
const CHATS = { many: 8101, early: 8102, none: 8103 } as const;
type Case = keyof typeof CHATS;

type Keyboard = { inline_keyboard: { text: string; callback_data?: string }[][] };
const rows = (m: SentMessage) => (m.reply_markup as Keyboard | undefined)?.inline_keyboard ?? [];

/**
 * One message a day per person, by Telegram through the real worker and bot (BullMQ, PostgreSQL,
 * the Bot API test server keeping Telegram's limits): the contact's items of the day as one message,
 * built when it leaves (what was confirmed before is not in it), each item with its own ✅ / 📅,
 * and a press on one item edits that message in place.
 */
describe('the day’s message by Telegram', () => {
  let t: TestDatabase;
  let tg: FakeTelegram;
  let s: TestApp;
  let orgId: string;
  const units = new Map<Case, { contactId: string; obligations: string[] }>();

  beforeAll(async () => {
    t = await createTestDatabase();
    const now = new Date();
    const names = Object.keys(CHATS) as Case[];
    const mini = await buildMiniOrg(t.prisma, {
      units: names.length,
      duties: Array.from({ length: 12 }, (_, i) => ({ code: `D${i + 1}`, due: '2027-06-30' })),
      channels: ['telegram', 'sandbox'],
      now,
    });
    orgId = mini.org.id;
    await reconcileObligations(t.prisma, orgId, { from: '2027-01-01', to: '2027-12-31' }, now);
    for (const [i, name] of names.entries()) {
      const contact = await t.prisma.contact.update({
        where: { id: mini.contacts[i]!.id },
        data: { telegramChatId: BigInt(CHATS[name]) },
      });
      const obligations = await t.prisma.obligation.findMany({
        where: { orgId, unitId: contact.unitId },
        include: { duty: true },
        orderBy: { duty: { position: 'asc' } },
      });
      units.set(name, { contactId: contact.id, obligations: obligations.map((o) => o.id) });
    }
    tg = await startFakeTelegram({ limits: true });
    s = await startTestApp(t, {
      start: now,
      roles: ['worker', 'bot'],
      channels: {
        sandbox: createSandboxChannel(),
        telegram: createTelegramChannel({ token: TOKEN, apiRoot: tg.apiRoot }),
      },
      env: { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: tg.apiRoot },
    });
  }, 60_000);
  afterAll(async () => {
    await s?.stop();
    await tg?.close();
    await t?.close();
  });

  /** The unit's first `count` obligations to be reminded at `at` (now by default), in one nudge of its own. */
  async function remind(name: Case, count: number, at = new Date(Date.now() - 1_000)) {
    const u = units.get(name)!;
    const obligations = await t.prisma.obligation.findMany({ where: { id: { in: u.obligations.slice(0, count) } } });
    await t.prisma.reminder.createMany({
      data: obligations.map((o) => ({
        orgId,
        obligationId: o.id,
        contactId: u.contactId,
        channel: 'telegram' as const,
        kind: 'overdue' as const,
        stage: stageId(`nudge-${name}`, zonedDay(dueInstant(o), ZONE)),
        scheduledAt: at,
      })),
    });
  }
  const bundleOf = (name: Case) =>
    t.prisma.bundle.findFirstOrThrow({ where: { contactId: units.get(name)!.contactId } });

  it('sends a contact’s items as one message, ten with buttons and the rest by /viec, then edits it in place on a press', async () => {
    await remind('many', 12);
    await dispatchDue(t.prisma, s.app.sendQueue(), orgId, new Date(), 0);
    await waitFor(async () => (await bundleOf('many')).status === 'sent', 20_000, 'the day’s message sent');
    const sent = tg.sent(CHATS.many);
    expect(sent).toHaveLength(1);
    const message = sent[0]!;
    expect(message.text!.length).toBeLessThanOrEqual(4_096);
    expect(message.text).toContain('Còn 2 việc khác của anh/chị: gõ /viec để xem tất cả.');
    expect(rows(message)).toHaveLength(10);
    expect(rows(message)[0]!.map((b) => b.text)).toEqual(['✅ D1', '📅 D1']);
    // Every item went out in this message, once.
    const items = await t.prisma.reminder.findMany({ where: { contactId: units.get('many')!.contactId } });
    const bundle = await bundleOf('many');
    expect(items.map((i) => [i.status, i.bundleId])).toEqual(items.map(() => ['sent', bundle.id]));

    // ✅ on the second item: it is marked done in this message, the other items keep their buttons.
    const before = tg.callbackAnswers.length;
    tg.userPresses(CHATS.many, message.message_id, rows(message)[1]![0]!.callback_data!);
    await waitFor(async () => tg.callbackAnswers.length > before, 10_000, 'the answer to the press');
    await waitFor(async () => tg.sent(CHATS.many)[0]!.edited === true, 10_000, 'the message edited');
    const edited = tg.sent(CHATS.many)[0]!;
    expect(edited.text).toBe(message.text);
    const after = rows(edited);
    expect(after).toHaveLength(10);
    expect(after[1]!).toHaveLength(1);
    expect(after[1]![0]!.text).toMatch(/^D2: ✅ Đã hoàn thành bởi /);
    expect(after.filter((r) => r.length === 2)).toHaveLength(9);
    expect(after[0]!.map((b) => b.text)).toEqual(['✅ D1', '📅 D1']);
    const done = await t.prisma.obligation.findUniqueOrThrow({ where: { id: units.get('many')!.obligations[1]! } });
    expect(done.status).toBe('done');
  }, 60_000);

  it('leaves out an item confirmed before the message leaves, and sends nothing when nothing is left', async () => {
    // Bundled and queued now, to leave later: built only when it leaves.
    const later = new Date(Date.now() + 10 * 60_000);
    await remind('early', 3, later);
    await remind('none', 2, later);
    await dispatchDue(t.prisma, s.app.sendQueue(), orgId, new Date(), 20 * 60_000);
    const early = units.get('early')!;
    const none = units.get('none')!;
    const [earlyBundle, noneBundle] = [await bundleOf('early'), await bundleOf('none')];
    expect([earlyBundle.status, noneBundle.status]).toEqual(['pending', 'pending']);
    for (const obligationId of [early.obligations[0]!, ...none.obligations.slice(0, 2)])
      await confirmObligation(t.prisma, {
        obligationId,
        contactId: null,
        actor: 'test',
        via: 'web',
        note: null,
        now: new Date(),
      });
    // The moment comes (the worker's own delivery, without waiting ten minutes).
    expect((await s.app.delivery.deliverBundle(earlyBundle.id)).outcome).toBe('sent');
    const message = tg.sent(CHATS.early)[0]!;
    expect(rows(message).map((r) => r[0]!.text)).toEqual(['✅ D2', '✅ D3']);
    expect(message.text).not.toContain('D1');
    expect(await s.app.delivery.deliverBundle(noneBundle.id)).toEqual({ outcome: 'cancelled', reason: 'nothing left' });
    expect(tg.sent(CHATS.none)).toEqual([]);
    expect((await bundleOf('none')).status).toBe('cancelled');
  }, 60_000);
});
