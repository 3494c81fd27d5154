import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandboxChannel } from '#root/channels/sandbox/index.js';
import { createTelegramChannel } from '#root/channels/telegram/index.js';
import { requestExtension } from '#root/services/chat.js';
import { waitFor } from '../helpers/processes.js';
import { startFakeTelegram, type FakeTelegram } from '../helpers/telegram-server.js';
import { startWebTest, type WebTest } from '../helpers/web.js';

const TOKEN = '123456:TEST-token_abcdefghijklmnop';
const YTE = 7001; // Sở Y tế's contact
const YTE_2 = 7002; // a second person of Sở Y tế
const TU_PHAP = 7003; // another unit's contact

// An administrator acting on the web page for a unit: the unit's people hear of it in Telegram, as
// they would of a decision taken in chat, and the reminder they were sent stops offering buttons.
describe('what an administrator does on the web reaches the unit in chat', () => {
  let tg: FakeTelegram;
  let w: WebTest;
  const db = () => w.t.prisma;
  const texts = (chat: number) => tg.sent(chat).map((m) => m.text ?? '');
  const obligationOf = (unit: string, duty: string) =>
    db().obligation.findFirstOrThrow({
      where: { orgId: w.orgId, unit: { name: unit }, duty: { code: duty } },
      orderBy: { dueAt: 'asc' },
    });

  beforeAll(async () => {
    tg = await startFakeTelegram({ limits: true });
    w = await startWebTest({
      roles: ['web', 'worker'],
      env: { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: tg.apiRoot },
      channels: {
        sandbox: createSandboxChannel(),
        telegram: createTelegramChannel({ token: TOKEN, apiRoot: tg.apiRoot }),
      },
    });
    const link = async (unit: string, chat: number, name?: string) => {
      const u = await db().unit.findFirstOrThrow({ where: { orgId: w.orgId, name: unit } });
      const existing = await db().contact.findFirst({
        where: { unitId: u.id, role: 'contact' },
        orderBy: { createdAt: 'asc' },
      });
      if (existing && !name)
        await db().contact.update({
          where: { id: existing.id },
          data: { telegramChatId: BigInt(chat), channels: ['telegram'] },
        });
      else
        await db().contact.create({
          data: {
            orgId: w.orgId,
            unitId: u.id,
            name: name ?? `Đầu mối ${unit}`,
            telegramChatId: BigInt(chat),
            channels: ['telegram'],
          },
        });
    };
    await link('Sở Y tế', YTE);
    await link('Sở Y tế', YTE_2, 'Anh Hai Sở Y tế');
    await link('Sở Tư pháp', TU_PHAP);
  }, 90_000);
  afterAll(async () => {
    await w?.stop();
    await tg?.close();
  });

  it('a confirmation on the unit’s behalf: its people are told who and why, and the reminder’s buttons go', async () => {
    const o = await obligationOf('Sở Y tế', 'BC-15/11');
    // The reminder the unit got: a nudge from the page, sent by the worker through Telegram.
    const nudge = await w.client.post(`/admin/obligations/${o.id}/nudge`, { reason: 'Quá hạn báo cáo năm' });
    expect(nudge.status).toBe(303);
    await waitFor(
      async () => tg.sent(YTE).some((m) => m.reply_markup !== undefined),
      20_000,
      'the reminder in Telegram',
    );
    const reminder = tg.sent(YTE).find((m) => m.reply_markup !== undefined)!;
    expect(JSON.stringify(reminder.reply_markup)).toContain('Đã hoàn thành');

    const res = await w.client.post(`/admin/obligations/${o.id}/confirm`, {
      reason: 'Đơn vị đã gửi báo cáo bằng văn bản giấy',
    });
    expect(res.status).toBe(303);
    for (const chat of [YTE, YTE_2]) {
      await waitFor(
        async () => texts(chat).some((t) => t.includes('đã xác nhận thay')),
        10_000,
        `the notice in chat ${chat}`,
      );
      const notice = texts(chat).find((t) => t.includes('đã xác nhận thay'))!;
      expect(notice).toContain('Quản trị viên Chị Quản Trị đã xác nhận thay Sở Y tế hoàn thành nhiệm vụ BC-15/11');
      expect(notice).toContain('Lý do: Đơn vị đã gửi báo cáo bằng văn bản giấy');
      // In the person's language only: no English gloss after the Vietnamese.
      expect(notice).not.toContain('(An administrator');
    }
    await waitFor(
      async () => tg.sent(YTE).find((m) => m.message_id === reminder.message_id)?.edited === true,
      10_000,
      'the reminder marked done',
    );
    const marked = JSON.stringify(tg.sent(YTE).find((m) => m.message_id === reminder.message_id)!.reply_markup);
    expect(marked).toContain('Đã hoàn thành bởi Chị Quản Trị (quản trị viên) lúc 09:00 ngày 16/11/2026');
    expect(marked).not.toContain('Xin gia hạn');
  });

  it('an extension decided on the page: the unit hears the verdict, and the reason of a refusal', async () => {
    // Two open obligations of the unit due before 20/12 (the first already overdue).
    const [report, other] = await db().obligation.findMany({
      where: {
        orgId: w.orgId,
        unit: { name: 'Sở Y tế' },
        status: 'open',
        dueAt: { lt: new Date('2026-12-19T17:00:00Z') },
      },
      include: { duty: true },
      orderBy: [{ dueAt: 'asc' }, { id: 'asc' }],
      take: 2,
    });
    const contact = await db().contact.findFirstOrThrow({ where: { telegramChatId: BigInt(YTE) } });
    const asked = await requestExtension(db(), {
      contactId: contact.id,
      unitId: report!.unitId,
      obligationId: report!.id,
      toDay: '2026-12-20',
      dueAt: new Date('2026-12-20T16:59:59Z'),
      reason: 'chờ số liệu',
    });
    const approve = await w.client.post(`/admin/extensions/${asked.request.id}/decide`, {
      decision: 'approve',
      reason: 'Số liệu của Bộ về muộn',
    });
    expect(approve.status).toBe(303);
    await waitFor(async () => texts(YTE).some((t) => t.includes('Đã duyệt gia hạn')), 10_000, 'the approval in chat');
    expect(texts(YTE).find((t) => t.includes('Đã duyệt gia hạn'))).toContain(
      `Đã duyệt gia hạn nhiệm vụ ${report!.duty.code}`,
    );
    expect(texts(YTE).find((t) => t.includes('Đã duyệt gia hạn'))).toContain(
      'đến Chủ nhật, 20/12/2026 (quản trị viên Chị Quản Trị)',
    );

    const again = await requestExtension(db(), {
      contactId: contact.id,
      unitId: report!.unitId,
      obligationId: other!.id,
      toDay: '2026-12-31',
      dueAt: new Date('2026-12-31T16:59:59Z'),
      reason: 'thiếu người',
    });
    const refuse = await w.client.post(`/admin/extensions/${again.request.id}/decide`, {
      decision: 'refuse',
      reason: 'Hạn đã được Thành phố ấn định',
    });
    expect(refuse.status).toBe(303);
    await waitFor(async () => texts(YTE).some((t) => t.includes('Không duyệt gia hạn')), 10_000, 'the refusal in chat');
    const refusal = texts(YTE).find((t) => t.includes('Không duyệt gia hạn'))!;
    expect(refusal).toContain(`Không duyệt gia hạn nhiệm vụ ${other!.duty.code}`);
    expect(refusal).toContain('Lý do: Hạn đã được Thành phố ấn định');
  });

  it('a waiver: the unit is told it has nothing more to do; another unit hears nothing of all this', async () => {
    const o = await db().obligation.findFirstOrThrow({
      where: { orgId: w.orgId, unit: { name: 'Sở Y tế' }, status: 'open' },
      include: { duty: true },
    });
    const res = await w.client.post(`/admin/obligations/${o.id}/waive`, {
      reason: 'Nhiệm vụ không áp dụng cho đơn vị',
    });
    expect(res.status).toBe(303);
    await waitFor(
      async () => texts(YTE_2).some((t) => t.includes('đã miễn cho Sở Y tế')),
      10_000,
      'the waiver in chat',
    );
    const waiver = texts(YTE_2).find((t) => t.includes('đã miễn cho Sở Y tế'))!;
    expect(waiver).toContain(`nhiệm vụ ${o.duty.code}`);
    expect(waiver).toContain('không cần thực hiện nữa');
    expect(waiver).toContain('Lý do: Nhiệm vụ không áp dụng cho đơn vị');
    expect(texts(TU_PHAP)).toEqual([]);
  });
});
