import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fromZonedTime } from 'date-fns-tz';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchDue } from '#jobs/dispatch.js';
import { createEmailChannel } from '#root/channels/email/index.js';
import { createSandboxChannel } from '#root/channels/sandbox/index.js';
import { createTelegramChannel } from '#root/channels/telegram/index.js';
import { createZaloChannel } from '#root/channels/zalo/index.js';
import { addContact, createInvite } from '#root/services/contacts.js';
import { seedDemo } from '#root/services/demo.js';
import { nudge } from '#root/services/nudge.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { drained, startTestApp, type TestApp } from '../helpers/app.js';
import { buildMiniOrg } from '../helpers/builders.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { dueNextYear, nextDigestDay, wallClockStart } from '../helpers/clock.js';
import { waitFor } from '../helpers/processes.js';
import { startSmtp } from '../helpers/smtp.js';
import { startFakeTelegram, type FakeTelegram } from '../helpers/telegram-server.js';
import { startZaloServer, type FakeZalo } from '../helpers/zalo-server.js';

const TG_TOKEN = '123456:TEST-token_abcdefghijklmnop';
const ZL_TOKEN = '1459232241454765289:ZtestSecretTokenForDondocFake-abc';
const LAN_ZALO = 'zl-lan-0001';
const BINH_CHAT = 7001;
const CUONG_CHAT = 7002;
const CUONG_ZALO = 'zl-cuong-0002';

/**
 * Zalo end to end, through the Zalo and Telegram test servers and a real SMTP server: a contact
 * links Zalo with an invite, receives a reminder that says what to type, confirms with
 * `/xong 4.7 <ghi chú>`, and the unit's Telegram contact is told. And a contact whose Telegram
 * blocked the bot gets the reminder by Zalo, once, then by email once Zalo fails too.
 */
describe('the Zalo bot, end to end', () => {
  let t: TestDatabase;
  let tg: FakeTelegram;
  let zl: FakeZalo;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let s: TestApp;
  let orgId: string;
  let storage: string;
  let photos: http.Server;
  let photoUrl: string;

  beforeAll(async () => {
    storage = await mkdtemp(path.join(tmpdir(), 'dondoc-zalo-evidence-'));
    t = await createTestDatabase();
    // The worker and the bot run on BullMQ and PostgreSQL's real time: the test's clock starts at it.
    const start = wallClockStart();
    await seedDemo(t.prisma, { orgCode: 'hcm', timeZone: 'Asia/Ho_Chi_Minh', now: start, actor: 'test' });
    orgId = (await t.prisma.organisation.findUniqueOrThrow({ where: { code: 'hcm' } })).id;
    tg = await startFakeTelegram({ limits: true });
    zl = await startZaloServer({ token: ZL_TOKEN });
    smtp = await startSmtp();
    // Zalo hands images over as URLs: a server of ours plays its CDN.
    photos = http.createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'image/jpeg' }).end(Buffer.from('JPEG-bytes-of-the-report')),
    );
    await new Promise<void>((r) => photos.listen(0, '127.0.0.1', r));
    photoUrl = `http://127.0.0.1:${(photos.address() as AddressInfo).port}/photo.jpg`;
    s = await startTestApp(t, {
      start,
      roles: ['worker', 'bot'],
      channels: {
        sandbox: createSandboxChannel(),
        telegram: createTelegramChannel({ token: TG_TOKEN, apiRoot: tg.apiRoot }),
        zalo: createZaloChannel({ token: ZL_TOKEN, apiRoot: zl.apiRoot }),
        email: createEmailChannel({ url: smtp.url, from: 'dondoc <dondoc@test>', ratePerMinute: 6_000 }),
      },
      env: {
        TELEGRAM_BOT_TOKEN: TG_TOKEN,
        TELEGRAM_API_ROOT: tg.apiRoot,
        ZALO_BOT_TOKEN: ZL_TOKEN,
        ZALO_API_ROOT: zl.apiRoot,
        STORAGE_DIR: storage,
      },
    });
  });
  afterAll(async () => {
    await s?.stop();
    await tg?.close();
    await zl?.close();
    await smtp?.close();
    await new Promise((r) => photos?.close(r));
    await t?.close();
  });

  const zaloTexts = (user: string) => zl.sent(user).map((m) => m.text ?? '');
  const tgTexts = (chat: number) => tg.sent(chat).map((m) => m.text ?? '');
  async function zaloSays(user: string, text: string, expect: RegExp, what: string) {
    const before = zl.sent(user).length;
    zl.userSends(user, text);
    await waitFor(
      async () =>
        zaloTexts(user)
          .slice(before)
          .some((x) => expect.test(x)),
      15_000,
      what,
    );
    return zaloTexts(user).slice(before).join('\n');
  }
  async function addAndInvite(unit: string, name: string, channels: string[], email?: string) {
    const c = await addContact(t.prisma, orgId, { unit, name, channels, addresses: { email } }, 'test');
    const invite = await createInvite(t.prisma, orgId, c.id, { ttlHours: 72, now: s.clock.now() }, 'test');
    return { contact: c, code: invite.code };
  }
  const reminderOf = (unitName: string, code: string) =>
    t.prisma.obligation.findFirstOrThrow({
      where: { orgId, status: 'open', unit: { name: unitName }, duty: { code } },
      orderBy: { dueAt: 'asc' },
    });

  it('links a Zalo account with a single-use invite typed to the bot, and answers strangers clearly', async () => {
    const { contact, code } = await addAndInvite('Sở Y tế', 'Nguyễn Thị Lan', ['sandbox']);
    expect(await zaloSays('zl-stranger', '/viec', /chưa được liên kết/, 'the stranger told')).toMatch(
      /\/start <mã mời>/,
    );
    expect(await zaloSays(LAN_ZALO, `/start ${code}`, /Xin chào Nguyễn Thị Lan/, 'the welcome')).toMatch(/\/xong <mã>/);
    const linked = await t.prisma.contact.findUniqueOrThrow({ where: { id: contact.id } });
    expect(linked.zaloUserId).toBe(LAN_ZALO);
    expect(linked.channels[0]).toBe('zalo');
    expect(await zaloSays('zl-other', `/start ${code}`, /đã được dùng/, 'the used code refused')).toMatch(
      /^Mã mời này đã được dùng\. Xin quản trị viên một mã mới\.$/,
    );
    expect((await t.prisma.contact.findUniqueOrThrow({ where: { id: contact.id } })).zaloUserId).toBe(LAN_ZALO);
  });

  it('sends the reminder by Zalo saying what to type; /xong 4.7 with a note confirms for the unit and tells its Telegram contact', async () => {
    const { code } = await addAndInvite('Sở Y tế', 'Trần Văn Bình', ['telegram']);
    tg.userSends(BINH_CHAT, `/start ${code}`);
    await waitFor(
      async () => tgTexts(BINH_CHAT).some((x) => x.startsWith('Xin chào Trần Văn Bình')),
      10_000,
      'Bình linked on Telegram',
    );

    const unit = await t.prisma.unit.findFirstOrThrow({ where: { orgId, name: 'Sở Y tế' } });
    const now = s.clock.now();
    await nudge(t.prisma, orgId, { unitId: unit.id, dutyCode: '4.7', actor: 'test', now });
    await dispatchDue(t.prisma, s.app.sendQueue(), orgId, now, 0);
    await waitFor(
      async () => zaloTexts(LAN_ZALO).some((x) => x.includes('gõ: /xong 4.7')),
      15_000,
      'the reminder in Zalo',
    );
    const reminder = zaloTexts(LAN_ZALO).find((x) => x.includes('gõ: /xong 4.7'))!;
    expect(reminder).toContain('Kính gửi Nguyễn Thị Lan');
    expect(reminder).not.toMatch(/bấm|✅/i);
    await waitFor(
      async () => tg.sent(BINH_CHAT).some((m) => (m.text ?? '').includes('4.7') && m.reply_markup),
      15_000,
      'the reminder in Telegram',
    );

    const answer = await zaloSays(LAN_ZALO, '/xong 4.7 đã gửi báo cáo qua Zalo', /Đã ghi nhận/, 'the confirmation');
    expect(answer).toMatch(/Sở Y tế hoàn thành nhiệm vụ 4\.7/);
    const obligation = await t.prisma.obligation.findFirstOrThrow({
      where: { orgId, unitId: unit.id, duty: { code: '4.7' }, status: 'done' },
      include: { confirmations: true },
    });
    expect(obligation.confirmations).toHaveLength(1);
    expect(obligation.confirmations[0]!).toMatchObject({
      note: 'đã gửi báo cáo qua Zalo',
      actor: `zalo:${LAN_ZALO}`,
      via: 'chat',
    });
    expect(await t.prisma.reminder.count({ where: { obligationId: obligation.id, status: 'pending' } })).toBe(0);
    // Bình is told on Telegram, and his reminder message shows who confirmed instead of its buttons.
    await waitFor(
      async () =>
        tgTexts(BINH_CHAT).some((x) => x.includes('Nguyễn Thị Lan đã xác nhận Sở Y tế hoàn thành nhiệm vụ 4.7')),
      15_000,
      'Bình told',
    );
    await waitFor(
      async () =>
        tg
          .sent(BINH_CHAT)
          .some((m) => JSON.stringify(m.reply_markup ?? {}).includes('Đã hoàn thành bởi Nguyễn Thị Lan')),
      15_000,
      'the Telegram reminder marked done',
    );
    // Typed again: already done, nothing twice.
    expect(
      await zaloSays(LAN_ZALO, '/xong 4.7', /đã được xác nhận trước đó/, 'the second confirmation refused'),
    ).toMatch(/bởi Nguyễn Thị Lan lúc/);
    expect(await t.prisma.confirmation.count({ where: { obligationId: obligation.id } })).toBe(1);
  });

  it('keeps a photo sent right after /xong as evidence; stickers, unknown events and other units’ duties change nothing', async () => {
    const before = zl.sent(LAN_ZALO).length;
    zl.userSendsImage(LAN_ZALO, photoUrl);
    await waitFor(
      async () =>
        zaloTexts(LAN_ZALO)
          .slice(before)
          .some((x) => x.includes('Đã lưu ảnh minh chứng')),
      15_000,
      'the photo kept',
    );
    const evidence = await t.prisma.evidence.findFirstOrThrow({ where: { orgId, via: 'zalo' } });
    expect(await readFile(path.join(storage, evidence.storagePath!), 'utf8')).toBe('JPEG-bytes-of-the-report');

    const sticker = zl.sent(LAN_ZALO).length;
    zl.userSendsSticker(LAN_ZALO, 'sticker-123');
    await waitFor(
      async () =>
        zaloTexts(LAN_ZALO)
          .slice(sticker)
          .some((x) => x.includes('chỉ hiểu lệnh bằng chữ')),
      10_000,
      'the sticker answered',
    );

    const counts = async () => [
      await t.prisma.confirmation.count({ where: { orgId } }),
      await t.prisma.extensionRequest.count({ where: { orgId } }),
      await t.prisma.auditEvent.count({ where: { orgId } }),
    ];
    const snapshot = await counts();
    zl.inject({
      event_name: 'message.reaction.received',
      message: {
        message_id: 'r1',
        date: s.clock.now().getTime(),
        from: { id: LAN_ZALO },
        chat: { id: LAN_ZALO, chat_type: 'PRIVATE' },
      },
    });
    // A duty open at Sở Tài chính and never Sở Y tế's, typed by Sở Y tế's contact: not hers to confirm.
    const yteOpen = new Set(
      (
        await t.prisma.obligation.findMany({ where: { orgId, unit: { name: 'Sở Y tế' } }, include: { duty: true } })
      ).map((o) => o.duty.code),
    );
    const foreign = (
      await t.prisma.obligation.findMany({
        where: { orgId, status: 'open', unit: { name: 'Sở Tài chính' } },
        include: { duty: true },
      })
    ).find((o) => !yteOpen.has(o.duty.code));
    expect(foreign).toBeDefined();
    expect(await zaloSays(LAN_ZALO, `/xong ${foreign!.duty.code}`, /không có nhiệm vụ/, 'the foreign code')).toContain(
      'Sở Y tế không có nhiệm vụ',
    );
    expect((await t.prisma.obligation.findUniqueOrThrow({ where: { id: foreign!.id } })).status).toBe('open');
    expect(
      await zaloSays(
        LAN_ZALO,
        `/xong Z9 ${'rất dài '.repeat(400)}`,
        /không có nhiệm vụ/,
        'a very long command answered',
      ),
    ).not.toMatch(/Đã ghi nhận/);
    expect(await counts()).toEqual(snapshot);
    // Every message the bot sent fits Zalo's limit.
    expect(zl.sent().every((m) => (m.text ?? '').length <= 2_000)).toBe(true);
  });

  it('falls back: Telegram blocked → the reminder arrives by Zalo, once; Zalo blocked too → by email, once', async () => {
    const { contact, code } = await addAndInvite(
      'Sở Tài chính',
      'Lê Văn Cường',
      ['telegram', 'zalo', 'email'],
      'cuong@taichinh.example',
    );
    tg.userSends(CUONG_CHAT, `/start ${code}`);
    await waitFor(
      async () => tgTexts(CUONG_CHAT).some((x) => x.startsWith('Xin chào')),
      10_000,
      'Cường linked on Telegram',
    );
    const zaloCode = (await createInvite(t.prisma, orgId, contact.id, { ttlHours: 72, now: s.clock.now() }, 'test'))
      .code;
    await zaloSays(CUONG_ZALO, `/start ${zaloCode}`, /Xin chào/, 'Cường linked on Zalo');
    // He prefers Telegram, then Zalo, then email.
    await zaloSays(
      CUONG_ZALO,
      '/kenh telegram zalo email',
      /Đã lưu thứ tự kênh: Telegram → Zalo → Email/,
      'the order saved',
    );

    tg.block(CUONG_CHAT);
    const unit = await t.prisma.unit.findFirstOrThrow({ where: { orgId, name: 'Sở Tài chính' } });
    const now = s.clock.now();
    await nudge(t.prisma, orgId, { unitId: unit.id, dutyCode: '4.7', actor: 'test', now });
    await dispatchDue(t.prisma, s.app.sendQueue(), orgId, now, 0);
    await waitFor(
      async () => zaloTexts(CUONG_ZALO).some((x) => x.includes('gõ: /xong 4.7')),
      20_000,
      'the reminder by Zalo',
    );
    const obligation = await reminderOf('Sở Tài chính', '4.7');
    // The text reaches Zalo before the worker records it sent: wait for the record.
    await waitFor(
      async () =>
        (await t.prisma.reminder.count({
          where: { obligationId: obligation.id, contactId: contact.id, channel: 'zalo', status: 'sent' },
        })) === 1,
      15_000,
      'the Zalo reminder recorded',
    );
    const rows = await t.prisma.reminder.findMany({
      where: { obligationId: obligation.id, contactId: contact.id },
      orderBy: { createdAt: 'asc' },
    });
    expect(rows.map((r) => [r.channel, r.status])).toEqual([
      ['telegram', 'failed'],
      ['zalo', 'sent'],
    ]);
    expect(zaloTexts(CUONG_ZALO).filter((x) => x.includes('gõ: /xong 4.7'))).toHaveLength(1);
    expect((await t.prisma.contact.findUniqueOrThrow({ where: { id: contact.id } })).disabledChannels).toEqual([
      'telegram',
    ]);

    // Zalo fails too: the next reminder goes by email, once.
    zl.block(CUONG_ZALO);
    // A nudge of its own: a second later than the first (same stage id otherwise).
    s.clock.advance(1_000);
    const later = s.clock.now();
    await nudge(t.prisma, orgId, { unitId: unit.id, dutyCode: '4.7', actor: 'test', now: later });
    await dispatchDue(t.prisma, s.app.sendQueue(), orgId, later, 0);
    await waitFor(
      async () =>
        smtp.received.some((m) => (m.to as { text: string } | undefined)?.text.includes('cuong@taichinh.example')),
      20_000,
      'the reminder by email',
    );
    // Nothing left to send: no retry, no fallback queued.
    await drained(s.app.sendQueue());
    expect(
      smtp.received.filter((m) => (m.to as { text: string } | undefined)?.text.includes('cuong@taichinh.example')),
    ).toHaveLength(1);
    const after = await t.prisma.contact.findUniqueOrThrow({ where: { id: contact.id } });
    expect(after.disabledChannels.sort()).toEqual(['telegram', 'zalo']);
    expect(after.unreachableSince).toBeNull();
    const disabled = await t.prisma.auditEvent.findMany({
      where: { orgId, action: 'contact.channel-disabled', entityId: contact.id },
    });
    expect(disabled.map((e) => (e.data as { channel: string }).channel).sort()).toEqual(['telegram', 'zalo']);

    // The administrators are told once, in the next digest: which channels failed, why and what to
    // do (never the channels' answers), where reminders go now.
    const zone = 'Asia/Ho_Chi_Minh';
    const day = nextDigestDay(s.clock.now(), zone);
    const admin = await t.prisma.contact.findFirstOrThrow({ where: { orgId, role: 'admin' } });
    const digest = await t.prisma.digest.create({
      data: {
        orgId,
        contactId: admin.id,
        day: new Date(`${day}T00:00:00Z`),
        channel: 'sandbox',
        scheduledAt: fromZonedTime(`${day}T08:00:00`, zone),
      },
    });
    s.clock.set(fromZonedTime(`${day}T08:00:05`, zone));
    expect((await s.app.delivery.deliverDigest(digest.id)).outcome).toBe('sent');
    const text = (await t.prisma.outboxMessage.findFirstOrThrow({ where: { digestId: digest.id } })).body;
    expect(text).toContain(
      'Lê Văn Cường (Sở Tài chính): Telegram không gửi được (người nhận đã chặn bot — nhờ họ mở lại bot và gửi /start); ' +
        'Zalo không gửi được (người nhận đã chặn bot Zalo — nhờ họ bỏ chặn rồi gửi /start cho bot); nhắc nhở chuyển sang Email',
    );
    expect(text).not.toMatch(/Forbidden|Not found|has blocked/);
  });

  it('in a chat linked in two organisations, refuses a photo until a /xong names the organisation, then keeps it there', async () => {
    // Lan's Zalo account, linked later to a contact of a second organisation too.
    const now = s.clock.now();
    const next = dueNextYear(now);
    const other = await buildMiniOrg(t.prisma, {
      code: 'hn2',
      units: 1,
      duties: [{ code: '9.1', due: next.due }],
      channels: ['zalo'],
      now,
    });
    await reconcileObligations(t.prisma, other.org.id, next.window, now);
    const second = await t.prisma.contact.update({
      where: { id: other.contacts[0]!.id },
      data: { zaloUserId: LAN_ZALO },
    });
    // Two hours on: Lan's /xong above is no longer "just sent".
    s.clock.set(new Date(now.getTime() + 2 * 3_600_000));
    try {
      const stored = await t.prisma.evidence.count();
      let before = zl.sent(LAN_ZALO).length;
      zl.userSendsImage(LAN_ZALO, photoUrl);
      await waitFor(
        async () =>
          zaloTexts(LAN_ZALO)
            .slice(before)
            .some((x) => x.includes('Chưa rõ ảnh này cho tổ chức nào nên chưa lưu')),
        15_000,
        'the photo refused',
      );
      const refusal = zaloTexts(LAN_ZALO)
        .slice(before)
        .find((x) => x.includes('Chưa rõ ảnh này'))!;
      expect(refusal).toMatch(/^Chat này liên kết với đầu mối ở 2 tổ chức: .*\(mã hcm\); Tổ chức thử \(mã hn2\)\./);
      expect(refusal).toContain('gửi /xong <mã>@<mã tổ chức> rồi gửi ảnh ngay sau đó');
      expect(await t.prisma.evidence.count()).toBe(stored);

      expect(await zaloSays(LAN_ZALO, '/xong 9.1', /Đã ghi nhận/, 'the confirmation')).toMatch(
        /^\[Tổ chức thử\] ✅ Đã ghi nhận/,
      );
      before = zl.sent(LAN_ZALO).length;
      zl.userSendsImage(LAN_ZALO, photoUrl);
      await waitFor(
        async () =>
          zaloTexts(LAN_ZALO)
            .slice(before)
            .some((x) => x.startsWith('[Tổ chức thử] 📎 Đã lưu ảnh minh chứng cho nhiệm vụ 9.1')),
        15_000,
        'the photo kept',
      );
      const obligation = await t.prisma.obligation.findFirstOrThrow({ where: { orgId: other.org.id } });
      expect(await t.prisma.evidence.findMany({ where: { orgId: other.org.id } })).toMatchObject([
        { obligationId: obligation.id, contactId: second.id, via: 'zalo' },
      ]);
      expect(await t.prisma.evidence.count()).toBe(stored + 1);

      expect(await zaloSays(LAN_ZALO, '/start', /liên kết với/, 'the /start answer')).toMatch(
        /^Chat này liên kết với 2 đầu mối ở 2 tổ chức:\n• .*\(mã hcm\): Nguyễn Thị Lan — Sở Y tế\n• Tổ chức thử \(mã hn2\): Người 1 — Đơn vị thử 1/,
      );
    } finally {
      await t.prisma.contact.update({ where: { id: second.id }, data: { active: false } });
      s.clock.set(now);
    }
  });
});
