import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { obligationCode } from '#root/domain/obligation-code.js';
import { bundlePending } from '#root/services/bundles.js';
import { evidenceTarget, evidenceTargetAmong } from '#root/services/chat.js';
import { recordSent, claimBundles } from '#root/services/delivery/claims.js';
import { buildTelegramReminders } from '../helpers/builders.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

/**
 * A file sent in Telegram as a reply to a reminder message is evidence of that message's
 * obligation. A message is a bundle of a contact's items: a reply to one of several obligations
 * must say which by its caption (the item's code); without it, nothing is filed under a guess and
 * the codes to choose from are given.
 */
describe('the obligation a file replying to a bundled reminder is evidence of', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t?.close();
  });

  /** One contact's message of `items` obligations, sent as Telegram message `messageId`. */
  async function sentMessage(code: string, items: number, chat: number, messageId: number) {
    const now = new Date();
    const { orgId, reminders } = await buildTelegramReminders(t.prisma, {
      code,
      chats: 1,
      perChat: items,
      firstChat: chat - 1,
      now,
    });
    await bundlePending(t.prisma, orgId, now);
    const bundle = await t.prisma.bundle.findFirstOrThrow({ where: { orgId } });
    const itemIds = reminders.map((r) => r.id);
    const [won] = await claimBundles(t.prisma, [{ bundleId: bundle.id, itemIds }], 'claimed', 'test', now);
    expect(won).toHaveLength(items);
    const externalId = `${chat}:${messageId}`;
    expect(
      await recordSent(t.prisma, [{ bundleId: bundle.id, claimedBy: 'test', itemIds, externalId, layout: [] }], now),
    ).toBe(1);
    const contact = await t.prisma.contact.findFirstOrThrow({ where: { orgId } });
    const obligations = await t.prisma.obligation.findMany({
      where: { id: { in: reminders.map((r) => r.obligationId) } },
      include: { duty: true },
      orderBy: { duty: { code: 'asc' } },
    });
    const codes = obligations.map((o) => obligationCode(o.duty.code, o.periodKey));
    const ask = (caption?: string, reply = messageId) =>
      evidenceTarget(t.prisma, {
        contactId: contact.id,
        unitId: contact.unitId,
        chatId: BigInt(chat),
        replyToMessageId: reply,
        ...(caption !== undefined ? { caption } : {}),
        now,
      });
    return { contact, obligations, codes, ask };
  }

  it('takes the only obligation of a one-item message, caption or not', async () => {
    const m = await sentMessage('ev-one', 1, 610_000_001, 11);
    expect(await m.ask()).toMatchObject({ contactId: m.contact.id, obligation: { id: m.obligations[0]!.id } });
    expect(await m.ask('anything at all')).toMatchObject({ obligation: { id: m.obligations[0]!.id } });
  });

  it('asks which of a message of several, naming their codes, when the caption names none', async () => {
    const m = await sentMessage('ev-many', 3, 620_000_001, 21);
    expect(m.codes).toEqual(['D1', 'D2', 'D3'].map((d, i) => obligationCode(d, m.obligations[i]!.periodKey)));
    const none = await m.ask();
    expect(none).toEqual({ among: m.codes, contactId: m.contact.id });
    expect(await m.ask('Báo cáo quý')).toEqual({ among: m.codes, contactId: m.contact.id });
    // Two codes in one caption name no single one either.
    expect(await m.ask(`${m.codes[0]} và ${m.codes[2]}`)).toEqual({ among: m.codes, contactId: m.contact.id });
  });

  it("takes the one the caption names by its code, the duty's code alone or with its period", async () => {
    const m = await sentMessage('ev-named', 3, 630_000_001, 31);
    expect(await m.ask(`Báo cáo ${m.codes[1]}`)).toMatchObject({ obligation: { id: m.obligations[1]!.id } });
    expect(await m.ask('d3 kèm theo')).toMatchObject({ obligation: { id: m.obligations[2]!.id } });
  });

  it('finds nothing for a reply to another message, and the multi-organisation lookup says the same', async () => {
    const m = await sentMessage('ev-other', 2, 640_000_001, 41);
    // No confirmation within the hour either: nothing.
    expect(await m.ask(undefined, 42)).toBeNull();
    const among = await evidenceTargetAmong(t.prisma, {
      contacts: [{ id: m.contact.id, unitId: m.contact.unitId }],
      chatId: 640_000_001n,
      replyToMessageId: 41,
      now: new Date(),
    });
    expect(among).toEqual({ among: m.codes, contactId: m.contact.id });
  });
});
