import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fromZonedTime } from 'date-fns-tz';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchDue } from '#jobs/dispatch.js';
import { createSandboxChannel } from '#root/channels/sandbox/index.js';
import { createTelegramChannel } from '#root/channels/telegram/index.js';
import { obligationCode } from '#root/domain/obligation-code.js';
import { zonedYear } from '#root/domain/zoned-day.js';
import { createInvite } from '#root/services/contacts.js';
import { claimDigest, claimToken, reclaimDigests, workerOfClaim } from '#root/services/delivery/claims.js';
import { seedDemo } from '#root/services/demo.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { nudge } from '#root/services/nudge.js';
import { createDelivery } from '#root/services/delivery.js';
import { createLogger } from '#root/logger.js';
import { loadTemplates } from '#root/messages/templates.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { buildMiniOrg } from '../helpers/builders.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { dueNextYear, nextDigestDay, wallClockStart } from '../helpers/clock.js';
import { waitFor } from '../helpers/processes.js';
import { startFakeTelegram, type FakeTelegram, type SentMessage } from '../helpers/telegram-server.js';

const TOKEN = '123456:TEST-token_abcdefghijklmnop';
const YTE_CHAT = 5001;
const TAICHINH_CHAT = 5002;

type Keyboard = { inline_keyboard: { text: string; callback_data?: string }[][] };
const buttons = (m: SentMessage) => ((m.reply_markup as Keyboard | undefined)?.inline_keyboard ?? []).flat();

/**
 * The whole path through grammY and a Bot API server that keeps Telegram's limits: invite →
 * /start → a reminder with its button → the press → the confirmation stored, pending reminders
 * cancelled, the message marked done. And a contact of one unit can confirm nothing of another.
 */
describe('the Telegram bot, end to end', () => {
  let t: TestDatabase;
  let tg: FakeTelegram;
  let s: TestApp;
  let orgId: string;
  let storage: string;

  beforeAll(async () => {
    storage = await mkdtemp(path.join(tmpdir(), 'dondoc-evidence-'));
    t = await createTestDatabase();
    // The worker and the bot run on BullMQ and PostgreSQL's real time: the test's clock starts at it.
    const now = wallClockStart();
    await seedDemo(t.prisma, { orgCode: 'hcm', timeZone: 'Asia/Ho_Chi_Minh', now, actor: 'test' });
    orgId = (await t.prisma.organisation.findUniqueOrThrow({ where: { code: 'hcm' } })).id;
    tg = await startFakeTelegram({ limits: true });
    s = await startTestApp(t, {
      start: now,
      roles: ['worker', 'bot'],
      channels: {
        sandbox: createSandboxChannel(),
        telegram: createTelegramChannel({ token: TOKEN, apiRoot: tg.apiRoot }),
      },
      env: { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: tg.apiRoot, STORAGE_DIR: storage },
    });
  });
  afterAll(async () => {
    await s?.stop();
    await tg?.close();
    await t?.close();
  });

  const contactOf = async (unit: string) =>
    t.prisma.contact.findFirstOrThrow({ where: { orgId, role: 'contact', unit: { name: unit } } });
  const replies = (chat: number) => tg.sent(chat).map((m) => m.text ?? '');

  async function link(unit: string, chat: number) {
    const contact = await contactOf(unit);
    const invite = await createInvite(t.prisma, orgId, contact.id, { ttlHours: 72, now: s.clock.now() }, 'test');
    tg.userSends(chat, `/start ${invite.code}`);
    await waitFor(
      async () => replies(chat).some((r) => r.startsWith('Xin chào')),
      10_000,
      `the welcome in chat ${chat}`,
    );
    return invite.code;
  }

  it('registers its commands in Vietnamese and English', () => {
    const set = tg.calls.filter((c) => c.method === 'setMyCommands');
    expect(set.map((c) => (c.params.commands as { command: string }[]).map((x) => x.command))).toEqual([
      ['viec', 'xong', 'giahan', 'hoantac', 'kenh', 'tonghop', 'nhac', 'trogiup'],
      ['tasks', 'done', 'extend', 'undo', 'channels', 'status', 'nudge', 'help'],
    ]);
    expect(set[1]!.params.language_code).toBe('en');
  });

  it('links a chat with a single-use invite, and refuses the code a second time', async () => {
    const code = await link('Sở Y tế', YTE_CHAT);
    const contact = await contactOf('Sở Y tế');
    expect(contact.telegramChatId).toBe(BigInt(YTE_CHAT));
    expect(contact.channels[0]).toBe('telegram');
    tg.userSends(7777, `/start ${code}`);
    await waitFor(async () => replies(7777).length > 0, 10_000, 'the answer to a used code');
    expect(replies(7777)[0]).toMatch(/Mã mời này đã được dùng/);
    expect((await contactOf('Sở Y tế')).telegramChatId).toBe(BigInt(YTE_CHAT));
  });

  it('sends a reminder with a ✅ button; another unit’s contact pressing it changes nothing', async () => {
    await link('Sở Tài chính', TAICHINH_CHAT);
    const yte = await contactOf('Sở Y tế');
    const now = s.clock.now();
    await nudge(t.prisma, orgId, { unitId: yte.unitId, dutyCode: '4.7', actor: 'test', now });
    await dispatchDue(t.prisma, s.app.sendQueue(), orgId, now, 0);
    await waitFor(async () => tg.sent(YTE_CHAT).some((m) => buttons(m).length > 0), 15_000, 'the reminder in Telegram');
    const reminder = tg.sent(YTE_CHAT).find((m) => buttons(m).length > 0)!;
    expect(reminder.text).toContain('4.7');
    const button = buttons(reminder)[0]!;
    expect(buttons(reminder).map((b) => b.text)).toEqual(['✅ Đã hoàn thành', '📅 Xin gia hạn']);
    expect(Buffer.byteLength(button.callback_data!)).toBeLessThanOrEqual(64);

    const answered = tg.callbackAnswers.length;
    tg.userPresses(TAICHINH_CHAT, reminder.message_id, button.callback_data!, YTE_CHAT);
    await waitFor(async () => tg.callbackAnswers.length > answered, 10_000, 'the answer to a foreign press');
    expect(String(tg.callbackAnswers.at(-1)!.text)).toMatch(/chỉ xác nhận được nhiệm vụ của đơn vị mình/);
    const obligation = await t.prisma.obligation.findFirstOrThrow({
      where: { unitId: yte.unitId, status: 'open', duty: { code: '4.7' } },
      orderBy: { dueAt: 'asc' },
    });
    expect(obligation.status).toBe('open');

    tg.userPresses(TAICHINH_CHAT, reminder.message_id, 'x:AAAAAAAAAAAAAAAAAAAAAA', YTE_CHAT);
    await waitFor(async () => tg.callbackAnswers.length > answered + 1, 10_000, 'the answer to made-up data');
    expect(await t.prisma.confirmation.count({ where: { orgId } })).toBe(0);
  });

  it('confirms for the unit on a press: stored once, pending reminders cancelled, the message marked done', async () => {
    const yte = await contactOf('Sở Y tế');
    const reminder = tg.sent(YTE_CHAT).find((m) => buttons(m).some((b) => b.text === '✅ Đã hoàn thành'))!;
    const data = buttons(reminder)[0]!.callback_data!;
    const before = tg.callbackAnswers.length;
    tg.userPresses(YTE_CHAT, reminder.message_id, data);
    await waitFor(async () => tg.callbackAnswers.length > before, 10_000, 'the answer to the press');
    expect(String(tg.callbackAnswers.at(-1)!.text)).toMatch(/Đã ghi nhận: Sở Y tế hoàn thành nhiệm vụ 4\.7/);
    const confirmations = await t.prisma.confirmation.findMany({ where: { orgId }, include: { obligation: true } });
    expect(confirmations).toHaveLength(1);
    expect(confirmations[0]!.contactId).toBe(yte.id);
    expect(confirmations[0]!.obligation.status).toBe('done');
    expect(
      await t.prisma.reminder.count({ where: { obligationId: confirmations[0]!.obligationId, status: 'pending' } }),
    ).toBe(0);
    await waitFor(
      async () =>
        buttons(tg.sent(YTE_CHAT).find((m) => m.message_id === reminder.message_id)!)[0]!.text.startsWith(
          '✅ Đã hoàn thành bởi',
        ),
      10_000,
      'the message marked done',
    );

    // Pressing again, or typing /xong 4.7 for the same period, confirms nothing twice.
    tg.userPresses(YTE_CHAT, reminder.message_id, data);
    await waitFor(async () => tg.callbackAnswers.length > before + 1, 10_000, 'the answer to a second press');
    expect(await t.prisma.confirmation.count({ where: { orgId } })).toBe(1);
  });

  it('keeps a file sent in reply to a reminder as evidence of that obligation, and refuses other types', async () => {
    const reminder = tg.sent(YTE_CHAT).find((m) => buttons(m).length > 0)!;
    const bytes = Buffer.from('%PDF-1.4 báo cáo diễn tập');
    tg.addFile('doc-1', bytes, 'documents/bao-cao.pdf');
    tg.userSends(YTE_CHAT, '', {
      replyTo: reminder.message_id,
      document: {
        file_id: 'doc-1',
        file_name: 'Báo cáo 4.7.pdf',
        file_size: bytes.length,
        mime_type: 'application/pdf',
      },
    });
    await waitFor(
      async () =>
        replies(YTE_CHAT).some((r) => r.startsWith('📎 Đã lưu minh chứng «Báo cáo 4.7.pdf» cho nhiệm vụ 4.7')),
      10_000,
      'the evidence',
    );
    const [evidence] = await t.prisma.evidence.findMany({ where: { orgId } });
    expect(evidence).toMatchObject({
      fileId: 'doc-1',
      fileName: 'Báo cáo 4.7.pdf',
      size: bytes.length,
      via: 'telegram',
      contactId: (await contactOf('Sở Y tế')).id,
    });
    expect(await readFile(path.join(storage, evidence!.storagePath!))).toEqual(bytes);

    tg.addFile('exe-1', Buffer.from('MZ'), 'documents/x.exe');
    tg.userSends(YTE_CHAT, '', {
      replyTo: reminder.message_id,
      document: { file_id: 'exe-1', file_name: 'setup.exe', file_size: 2 },
    });
    await waitFor(
      async () => replies(YTE_CHAT).some((r) => r.startsWith('Không nhận loại tệp «setup.exe»')),
      10_000,
      'the refusal',
    );
    expect(await t.prisma.evidence.count({ where: { orgId } })).toBe(1);
  });

  it('keeps a photo sent in reply to a reminder too, and ignores edited messages', async () => {
    const reminder = tg.sent(YTE_CHAT).find((m) => buttons(m).length > 0)!;
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    tg.addFile('photo-big', jpeg, 'photos/p.jpg');
    const chat = { id: YTE_CHAT, type: 'private' };
    const from = { id: YTE_CHAT, is_bot: false, first_name: 'Y tế' };
    tg.inject({
      message: {
        message_id: 9001,
        date: Math.floor(s.clock.now().getTime() / 1000),
        chat,
        from,
        photo: [
          { file_id: 'photo-small', file_unique_id: 'ps', width: 90, height: 90, file_size: 3 },
          { file_id: 'photo-big', file_unique_id: 'pb', width: 1280, height: 960, file_size: jpeg.length },
        ],
        reply_to_message: { message_id: reminder.message_id, date: reminder.date, chat, text: reminder.text },
      },
    });
    await waitFor(
      async () => replies(YTE_CHAT).some((r) => r.startsWith('📎 Đã lưu minh chứng «anh-pb.jpg»')),
      10_000,
      'the photo evidence',
    );
    const photo = await t.prisma.evidence.findFirstOrThrow({ where: { orgId, fileId: 'photo-big' } });
    expect(photo).toMatchObject({ mimeType: 'image/jpeg', size: jpeg.length });

    const before = { replies: replies(YTE_CHAT).length, confirmations: await t.prisma.confirmation.count() };
    tg.inject({
      edited_message: {
        message_id: 9002,
        date: Math.floor(s.clock.now().getTime() / 1000),
        edit_date: Math.floor(s.clock.now().getTime() / 1000),
        chat,
        from,
        text: '/xong 4.1',
      },
    });
    // A message after it, answered: one chat's updates are handled in order.
    tg.userSends(YTE_CHAT, '/trogiup');
    await waitFor(async () => replies(YTE_CHAT).length > before.replies, 10_000, 'the help after it');
    expect(replies(YTE_CHAT).slice(before.replies)).toEqual([expect.stringContaining('/hoantac')]);
    expect(await t.prisma.confirmation.count()).toBe(before.confirmations);
  });

  it('takes back a confirmation with /hoantac within 24 h, reopening the obligation', async () => {
    const yte = await contactOf('Sở Y tế');
    tg.userSends(YTE_CHAT, '/hoantac 4.7');
    await waitFor(
      async () => replies(YTE_CHAT).some((r) => r.startsWith('↩️ Đã rút lại xác nhận nhiệm vụ 4.7')),
      10_000,
      'the undo',
    );
    const c = await t.prisma.confirmation.findFirstOrThrow({ where: { orgId } });
    expect(c.withdrawnAt).not.toBeNull();
    expect((await t.prisma.obligation.findUniqueOrThrow({ where: { id: c.obligationId } })).status).toBe('open');
    expect(yte.unitId).toBe((await t.prisma.obligation.findUniqueOrThrow({ where: { id: c.obligationId } })).unitId);
    tg.userSends(YTE_CHAT, '/hoantac 4.7');
    await waitFor(
      async () => replies(YTE_CHAT).some((r) => r.startsWith('Không có xác nhận nào')),
      10_000,
      'nothing more to undo',
    );
  });

  it('asks for an extension with the 📅 button; an administrator approves it with a button, and the due date moves', async () => {
    const ADMIN_CHAT = 6001;
    const admin = await t.prisma.contact.findFirstOrThrow({ where: { orgId, role: 'admin' } });
    const invite = await createInvite(t.prisma, orgId, admin.id, { ttlHours: 72, now: s.clock.now() }, 'test');
    tg.userSends(ADMIN_CHAT, `/start ${invite.code}`);
    await waitFor(async () => replies(ADMIN_CHAT).some((r) => r.startsWith('Xin chào')), 10_000, 'the admin welcome');

    // The reopened obligation is reminded again, with both buttons.
    const yte = await contactOf('Sở Y tế');
    // A nudge of its own: a second after the first one (the same stage id otherwise).
    s.clock.advance(1_000);
    const now = s.clock.now();
    const seen = tg.sent(YTE_CHAT).length;
    await nudge(t.prisma, orgId, { unitId: yte.unitId, dutyCode: '4.7', actor: 'test', now });
    await dispatchDue(t.prisma, s.app.sendQueue(), orgId, now, 0);
    await waitFor(
      async () =>
        tg
          .sent(YTE_CHAT)
          .slice(seen)
          .some((m) => buttons(m).some((b) => b.text === '📅 Xin gia hạn')),
      15_000,
      'a new reminder',
    );
    const reminder = tg
      .sent(YTE_CHAT)
      .slice(seen)
      .find((m) => buttons(m).some((b) => b.text === '📅 Xin gia hạn'));
    const obligation = await t.prisma.obligation.findFirstOrThrow({
      where: { unitId: yte.unitId, status: 'open', duty: { code: '4.7' } },
      orderBy: { dueAt: 'asc' },
    });
    const data = reminder ? buttons(reminder).find((b) => b.text === '📅 Xin gia hạn')!.callback_data! : '';
    expect(data).not.toBe('');
    tg.userPresses(YTE_CHAT, reminder!.message_id, data);
    await waitFor(
      async () => tg.sent(YTE_CHAT).some((m) => (m.text ?? '').startsWith('📅 Gia hạn nhiệm vụ 4.7')),
      10_000,
      'the prompt',
    );
    const prompt = tg.sent(YTE_CHAT).find((m) => (m.text ?? '').startsWith('📅 Gia hạn nhiệm vụ 4.7'))!;
    const year = zonedYear(s.clock.now(), 'Asia/Ho_Chi_Minh') + 1;
    tg.userSends(YTE_CHAT, `31/01/${year} chờ số liệu quý IV`, { replyTo: prompt.message_id });
    await waitFor(
      async () => tg.sent(ADMIN_CHAT).some((m) => buttons(m).some((b) => b.text === '✅ Duyệt')),
      10_000,
      'the request at the administrator',
    );
    const ask = tg.sent(ADMIN_CHAT).find((m) => buttons(m).some((b) => b.text === '✅ Duyệt'))!;
    expect(ask.text).toContain('Sở Y tế');
    expect(ask.text).toContain('chờ số liệu quý IV');

    // The unit's own contact cannot approve its request.
    const before = tg.callbackAnswers.length;
    tg.userPresses(YTE_CHAT, ask.message_id, buttons(ask)[0]!.callback_data!, ADMIN_CHAT);
    await waitFor(async () => tg.callbackAnswers.length > before, 10_000, 'the refusal of a non-admin');
    expect(String(tg.callbackAnswers.at(-1)!.text)).toMatch(/Chỉ quản trị viên duyệt được/);

    tg.userPresses(ADMIN_CHAT, ask.message_id, buttons(ask)[0]!.callback_data!);
    await waitFor(
      async () => (await t.prisma.obligation.findUniqueOrThrow({ where: { id: obligation.id } })).extendedTo !== null,
      10_000,
      'the extension',
    );
    const extended = await t.prisma.obligation.findUniqueOrThrow({ where: { id: obligation.id } });
    expect(extended.extendedTo!.toISOString()).toBe(`${year}-01-31T16:59:59.000Z`);
    await waitFor(
      async () => replies(YTE_CHAT).some((r) => r.startsWith('✅ Đã duyệt gia hạn 4.7')),
      10_000,
      'the unit told',
    );
    expect(await t.prisma.extensionRequest.count({ where: { obligationId: obligation.id, status: 'approved' } })).toBe(
      1,
    );
  });

  it('shows the administrator who is late with /tonghop, and refuses it to a unit contact', async () => {
    tg.userSends(6001, '/tonghop');
    await waitFor(
      async () => replies(6001).some((r) => r.startsWith('Đơn vị trễ hạn') || r.startsWith('Không đơn vị nào')),
      10_000,
      'the status',
    );
    tg.userSends(TAICHINH_CHAT, '/tonghop');
    await waitFor(
      async () => replies(TAICHINH_CHAT).some((r) => r.startsWith('Lệnh này dành cho quản trị viên')),
      10_000,
      'the refusal',
    );
  });

  it('links a group chat to a unit: anyone in it confirms for that unit, and only that unit', async () => {
    const GROUP = -100777;
    const unit = await t.prisma.unit.findFirstOrThrow({ where: { orgId, name: 'Sở Nội vụ' } });
    const groupContact = await t.prisma.contact.create({
      data: { orgId, unitId: unit.id, name: 'Nhóm Sở Nội vụ', channels: ['sandbox'] },
    });
    const invite = await createInvite(
      t.prisma,
      orgId,
      groupContact.id,
      { ttlHours: 72, now: s.clock.now(), botUsername: 'dondoc_test_bot' },
      'test',
    );
    expect(invite.telegramGroupLink).toBe(`https://t.me/dondoc_test_bot?startgroup=${invite.code}`);
    tg.inject({
      message: {
        message_id: 1,
        date: Math.floor(s.clock.now().getTime() / 1000),
        from: { id: 31337, is_bot: false, first_name: 'Lan' },
        chat: { id: GROUP, type: 'group', title: 'Sở Nội vụ' },
        text: `/start ${invite.code}`,
        entities: [{ type: 'bot_command', offset: 0, length: 6 }],
      },
    });
    await waitFor(
      async () => replies(GROUP).some((r) => r.startsWith('Xin chào Nhóm Sở Nội vụ')),
      10_000,
      'the group welcome',
    );
    expect((await t.prisma.contact.findUniqueOrThrow({ where: { id: groupContact.id } })).telegramChatId).toBe(
      BigInt(GROUP),
    );
    tg.inject({
      message: {
        message_id: 2,
        date: Math.floor(s.clock.now().getTime() / 1000),
        from: { id: 31337, is_bot: false, first_name: 'Lan' },
        chat: { id: GROUP, type: 'group', title: 'Sở Nội vụ' },
        text: '/xong 4.7 đã gửi',
        entities: [{ type: 'bot_command', offset: 0, length: 5 }],
      },
    });
    await waitFor(
      async () => replies(GROUP).some((r) => r.startsWith('✅ Đã ghi nhận: Sở Nội vụ hoàn thành nhiệm vụ 4.7')),
      10_000,
      'the group confirmation',
    );
  });

  it('stops a chat guessing invite codes after five wrong ones', async () => {
    for (let i = 0; i < 6; i++) tg.userSends(8888, `/start wrongcode${i}xxxxxxxx`);
    await waitFor(async () => replies(8888).length >= 6, 20_000, 'six answers');
    expect(
      replies(8888)
        .slice(0, 5)
        .every((r) => r.startsWith('Mã mời không đúng')),
    ).toBe(true);
    expect(replies(8888)[5]).toMatch(/Đã nhập sai mã quá nhiều lần/);
  });

  it('answers bad input clearly and changes nothing: an impossible date, a very long emoji and RTL text, a refused request', async () => {
    const requests = await t.prisma.extensionRequest.count();
    tg.userSends(YTE_CHAT, '/giahan 4.7 31/02/2027 chờ số liệu');
    await waitFor(
      async () => replies(YTE_CHAT).some((r) => r.startsWith('Ngày «31/02/2027» không hợp lệ')),
      10_000,
      'the date refusal',
    );
    tg.userSends(YTE_CHAT, `${'🙂'.repeat(1_000)} مرحبا ${'x'.repeat(2_000)}`);
    await waitFor(
      async () => replies(YTE_CHAT).some((r) => r.startsWith('Gõ /viec để xem nhiệm vụ')),
      10_000,
      'the hint',
    );
    expect(await t.prisma.extensionRequest.count()).toBe(requests);

    // A request the administrator refuses: the due date stays, the unit is told.
    const yte = await contactOf('Sở Y tế');
    const open = await t.prisma.obligation.findFirstOrThrow({
      where: { unitId: yte.unitId, status: 'open', extendedTo: null },
      include: { duty: true },
      orderBy: { dueAt: 'asc' },
    });
    const year = zonedYear(s.clock.now(), 'Asia/Ho_Chi_Minh') + 1;
    // The code names the period ("4.7-2026"): with several periods open, the duty's code alone asks which.
    tg.userSends(YTE_CHAT, `/giahan ${obligationCode(open.duty.code, open.periodKey)} 15/02/${year} thiếu nhân sự`);
    await waitFor(
      async () =>
        tg
          .sent(6001)
          .some((m) => buttons(m).some((b) => b.text === '❌ Từ chối') && (m.text ?? '').includes('thiếu nhân sự')),
      10_000,
      'the request',
    );
    const ask = tg.sent(6001).find((m) => (m.text ?? '').includes('thiếu nhân sự'))!;
    tg.userPresses(6001, ask.message_id, buttons(ask).find((b) => b.text === '❌ Từ chối')!.callback_data!);
    await waitFor(
      async () => replies(YTE_CHAT).some((r) => r.startsWith(`❌ Không duyệt gia hạn ${open.duty.code}`)),
      10_000,
      'the unit told',
    );
    expect((await t.prisma.obligation.findUniqueOrThrow({ where: { id: open.id } })).extendedTo).toBeNull();
    expect(await t.prisma.extensionRequest.count({ where: { obligationId: open.id, status: 'refused' } })).toBe(1);
  });

  it('lists the confirmations in the administrator’s digest of the next working day, in Telegram', async () => {
    const zone = 'Asia/Ho_Chi_Minh';
    const day = nextDigestDay(s.clock.now(), zone);
    const admin = await t.prisma.contact.findFirstOrThrow({ where: { orgId, role: 'admin' } });
    const digest = await t.prisma.digest.create({
      data: {
        orgId,
        contactId: admin.id,
        day: new Date(`${day}T00:00:00Z`),
        channel: 'telegram',
        scheduledAt: fromZonedTime(`${day}T08:00:00`, zone),
      },
    });
    s.clock.set(fromZonedTime(`${day}T08:00:05`, zone));
    const outcome = await s.app.delivery.deliverDigest(digest.id);
    expect(outcome.outcome).toBe('sent');
    const message = tg.sent(6001).at(-1)!;
    expect(message.text).toMatch(/Đã hoàn thành:/);
    expect(message.text).toContain('Sở Nội vụ: <b>4.7</b>');
    expect(message.parse_mode).toBe('HTML');
  });

  it('drops a digest’s late outcome when its claim lapsed and another send holds it', async () => {
    // The digest above, to be sent again. Its send's call is held at the Bot API server while the
    // lease lapses: the digest is reclaimed and claimed by another send. The held call is then
    // answered — accepted, or a 500 — and the first send's record, or release, must not land.
    const admin = await t.prisma.contact.findFirstOrThrow({ where: { orgId, role: 'admin' } });
    const digest = await t.prisma.digest.findFirstOrThrow({
      where: { orgId, contactId: admin.id, channel: 'telegram', status: 'sent' },
    });
    for (const fault of [null, 500] as const) {
      await t.prisma.digest.update({ where: { id: digest.id }, data: { status: 'pending', externalId: null } });
      if (fault) tg.fail({ status: fault, method: 'sendMessage', chatId: 6001 });
      const call = tg.hold((c) => c.method === 'sendMessage' && c.chatId === '6001');
      const sending = s.app.delivery.deliverDigest(digest.id);
      await call.received;
      const first = await t.prisma.digest.findUniqueOrThrow({ where: { id: digest.id } });
      expect(first.status).toBe('claimed');
      // A token of the send's own, which starts with the worker's id (as the bundles' do).
      expect(workerOfClaim(first.claimedBy!)).toBe(s.deps.workerId);
      expect(
        (await reclaimDigests(t.prisma, orgId, new Date(first.claimedAt!.getTime() + 1))).map((d) => d.id),
      ).toEqual([digest.id]);
      const other = claimToken('another-worker');
      expect(await claimDigest(t.prisma, digest.id, 'claimed', other, new Date())).toBe(true);
      call.release();
      expect(await sending).toEqual({ outcome: 'skipped', reason: 'claim lost' });
      expect(await t.prisma.digest.findUniqueOrThrow({ where: { id: digest.id } })).toMatchObject({
        status: 'claimed',
        claimedBy: other,
        externalId: null,
      });
    }
    await t.prisma.digest.update({ where: { id: digest.id }, data: { status: 'sent' } });
  });

  it('counts a digest whose call had no answer as of unknown outcome, as a bundle, and sends it again', async () => {
    // The digest above once more. The Bot API server never answers its call: the channel gives up
    // (its timeout), the message may have arrived; the digest goes back to pending, counted and said
    // as a bundle's would be, and its next send goes out.
    const admin = await t.prisma.contact.findFirstOrThrow({ where: { orgId, role: 'admin' } });
    const digest = await t.prisma.digest.findFirstOrThrow({
      where: { orgId, contactId: admin.id, channel: 'telegram', status: 'sent' },
    });
    await t.prisma.digest.update({ where: { id: digest.id }, data: { status: 'pending', externalId: null } });
    const said: { msg: string; digest?: string }[] = [];
    // A channel that gives a call up after a few seconds (the app's waits 30 s), in a delivery of its own.
    const telegram = createTelegramChannel({ token: TOKEN, apiRoot: tg.apiRoot, timeoutSeconds: 3 });
    const delivery = createDelivery({
      db: t.prisma,
      config: s.config,
      templates: loadTemplates(),
      channels: { telegram },
      clock: s.clock,
      logger: createLogger({
        level: 'warn',
        destination: { write: (line: string) => void said.push(JSON.parse(line) as (typeof said)[number]) },
      }),
      metrics: s.app.metrics,
      workerId: 'digest-timeout',
    });
    const unknown = async () =>
      Number(
        /\{channel="telegram"\} (\d+)/.exec(
          await s.app.metrics.registry.getSingleMetricAsString('dondoc_reminders_unknown_outcome_total'),
        )?.[1] ?? 0,
      );
    try {
      const before = await unknown();
      tg.fail({ status: 'timeout', method: 'sendMessage', chatId: 6001 });
      await expect(delivery.deliverDigest(digest.id)).rejects.toMatchObject({ outcomeUnknown: true });
      expect(await unknown()).toBe(before + 1);
      expect(said.filter((l) => l.digest === digest.id).map((l) => l.msg)).toEqual([
        'no answer from the channel: outcome unknown, will retry (possibly delivered twice)',
      ]);
      expect(await t.prisma.digest.findUniqueOrThrow({ where: { id: digest.id } })).toMatchObject({
        status: 'pending',
        attempts: digest.attempts + 1,
      });
      // Sent again; counted once.
      expect((await delivery.deliverDigest(digest.id)).outcome).toBe('sent');
      expect(await unknown()).toBe(before + 1);
    } finally {
      await telegram.close?.();
    }
  });

  it('answers /xong without a code with buttons, and unknown commands and strangers clearly', async () => {
    tg.userSends(YTE_CHAT, '/xong');
    await waitFor(
      async () => replies(YTE_CHAT).some((r) => r.startsWith('Anh/chị xác nhận nhiệm vụ nào?')),
      10_000,
      'the question',
    );
    tg.userSends(YTE_CHAT, '/khongco');
    await waitFor(
      async () => replies(YTE_CHAT).some((r) => r.startsWith('Lệnh không rõ')),
      10_000,
      'the unknown command answer',
    );
    tg.userSends(9999, '/viec');
    await waitFor(async () => replies(9999).length > 0, 10_000, 'the stranger answer');
    expect(replies(9999)[0]).toMatch(/Chat này chưa được liên kết/);
  });

  it('in a chat linked in two organisations, keeps a file replying to a reminder for that reminder’s organisation, and refuses one without a reply', async () => {
    // The Sở Y tế person's chat, linked later to a contact of a second organisation too.
    const now = s.clock.now();
    const next = dueNextYear(now);
    const other = await buildMiniOrg(t.prisma, {
      code: 'hn2',
      units: 1,
      duties: [{ code: '9.1', due: next.due }],
      channels: ['telegram'],
      now,
    });
    await reconcileObligations(t.prisma, other.org.id, next.window, now);
    const second = await t.prisma.contact.update({
      where: { id: other.contacts[0]!.id },
      data: { telegramChatId: BigInt(YTE_CHAT) },
    });
    try {
      const obligation = await t.prisma.obligation.findFirstOrThrow({ where: { orgId: other.org.id } });
      const r = await t.prisma.reminder.create({
        data: {
          orgId: other.org.id,
          obligationId: obligation.id,
          contactId: second.id,
          channel: 'telegram',
          kind: 'overdue',
          stage: `nudge-two-orgs@${next.stageDay}`,
          scheduledAt: new Date(now.getTime() - 1_000),
        },
      });
      await dispatchDue(t.prisma, s.app.sendQueue(), other.org.id, now, 0);
      await waitFor(
        async () => (await t.prisma.reminder.findUniqueOrThrow({ where: { id: r.id } })).status === 'sent',
        15_000,
        'the second organisation’s reminder',
      );
      const messageId = Number(
        (await t.prisma.reminder.findUniqueOrThrow({ where: { id: r.id } })).externalId!.split(':')[1],
      );
      const stored = await t.prisma.evidence.count();

      // Without a reply: refused, the organisations listed, nothing stored.
      tg.addFile('doc-two', Buffer.from('%PDF-1.4 hai tổ chức'), 'documents/hai.pdf');
      tg.userSends(YTE_CHAT, '', {
        document: { file_id: 'doc-two', file_name: 'Hai.pdf', file_size: 20, mime_type: 'application/pdf' },
      });
      await waitFor(
        async () => replies(YTE_CHAT).some((x) => x.startsWith('Chat này liên kết với đầu mối ở 2 tổ chức:')),
        10_000,
        'the refusal',
      );
      const refusal = replies(YTE_CHAT).find((x) => x.startsWith('Chat này liên kết với đầu mối ở 2 tổ chức:'))!;
      expect(refusal).toContain('(mã hcm)');
      expect(refusal).toContain('Tổ chức thử (mã hn2)');
      expect(refusal).toContain('hãy gửi lại tệp bằng cách trả lời tin nhắc');
      expect(await t.prisma.evidence.count()).toBe(stored);

      // In reply to the second organisation's reminder: kept there, and the answer names it.
      tg.userSends(YTE_CHAT, '', {
        replyTo: messageId,
        document: { file_id: 'doc-two', file_name: 'Hai.pdf', file_size: 20, mime_type: 'application/pdf' },
      });
      await waitFor(
        async () =>
          replies(YTE_CHAT).some((x) => x.startsWith('[Tổ chức thử] 📎 Đã lưu minh chứng «Hai.pdf» cho nhiệm vụ 9.1')),
        10_000,
        'the evidence',
      );
      const evidence = await t.prisma.evidence.findFirstOrThrow({ where: { fileId: 'doc-two' } });
      expect(evidence).toMatchObject({ orgId: other.org.id, obligationId: obligation.id, contactId: second.id });
      expect(await t.prisma.evidence.count()).toBe(stored + 1);

      // /start without a code says where the chat is linked.
      tg.userSends(YTE_CHAT, '/start');
      await waitFor(
        async () => replies(YTE_CHAT).some((x) => x.startsWith('Chat này liên kết với 2 đầu mối ở 2 tổ chức:')),
        10_000,
        'the /start answer',
      );
    } finally {
      await t.prisma.contact.update({ where: { id: second.id }, data: { active: false } });
    }
  });
});
