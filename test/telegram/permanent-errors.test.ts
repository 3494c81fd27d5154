import { fromZonedTime } from 'date-fns-tz';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchDue } from '#jobs/dispatch.js';
import { createSandboxChannel } from '#root/channels/sandbox/index.js';
import { TELEGRAM_TEXT_MAX, telegramVisibleLength } from '#root/channels/telegram/html.js';
import { createTelegramChannel } from '#root/channels/telegram/index.js';
import type { ReminderKind } from '#root/generated/prisma/client.js';
import { say, type ChatKey } from '#root/messages/chat-words.js';
import { failureInWords } from '#root/messages/refusal-words.js';
import { loadTemplates } from '#root/messages/templates.js';
import { createDelivery } from '#root/services/delivery.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { buildMiniOrg } from '../helpers/builders.js';
import { dueNextYear, nextDigestDay, wallClockStart } from '../helpers/clock.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/processes.js';
import { startFakeTelegram, type FakeTelegram } from '../helpers/telegram-server.js';

const TOKEN = '123456:TEST-token_abcdefghijklmnop';
const ZONE = 'Asia/Ho_Chi_Minh';

/** One unit (one contact, channels Telegram then the sandbox) per case, each on its own chat. */
const CHATS = {
  blocked: 7001,
  deactivated: 7002,
  kicked: -7003,
  notFound: 7004,
  unknown403: 7005,
  badHtml: 7006,
  longTitle: 7007,
  group: -7008,
} as const;
type Case = keyof typeof CHATS;
const SUPERGROUP = -1_007_008;

/**
 * Telegram's refusals through the real worker (BullMQ, PostgreSQL, the Bot API test server, which
 * answers as Telegram does: 400 "can't parse entities" for HTML it cannot parse, 400 "message is too
 * long" past 4,096 characters). An answer that cannot succeed on retry ends the reminder — failed, on
 * the next channel, named in the administrators' digest — in a bounded number of attempts; only the
 * known dead-chat answers disable Telegram for the contact (STYLE §6, §13).
 */
describe('sending a reminder by Telegram', () => {
  let t: TestDatabase;
  let tg: FakeTelegram;
  let s: TestApp;
  let orgId: string;
  /** The duties' due date: next year, whatever day this runs. */
  let next: ReturnType<typeof dueNextYear>;
  const units = new Map<Case, { contactId: string; unitId: string; obligationId: string; longId: string }>();
  const words = `${Array.from({ length: 600 }, (_, i) => `mục${i}`).join(' ')} <kết thúc> & "hết"`;
  /** The title seen in the field: 4,213 characters. */
  const longTitle = `${words} ${'đ'.repeat(4_213 - words.length - 1)}`;

  beforeAll(async () => {
    t = await createTestDatabase();
    // The worker runs on BullMQ and PostgreSQL's real time: the test's clock starts at it.
    const now = wallClockStart();
    next = dueNextYear(now, ZONE);
    const names = Object.keys(CHATS) as Case[];
    const mini = await buildMiniOrg(t.prisma, {
      units: names.length,
      duties: [
        { code: 'A', due: next.due },
        { code: 'L', due: next.due },
      ],
      channels: ['telegram', 'sandbox'],
      admin: true,
      now,
    });
    orgId = mini.org.id;
    await t.prisma.duty.updateMany({ where: { orgId, code: 'L' }, data: { title: longTitle } });
    await reconcileObligations(t.prisma, orgId, next.window, now);
    for (const [i, name] of names.entries()) {
      const contact = await t.prisma.contact.update({
        where: { id: mini.contacts[i]!.id },
        data: { telegramChatId: BigInt(CHATS[name]) },
      });
      const a = await t.prisma.obligation.findFirstOrThrow({
        where: { orgId, unitId: contact.unitId, duty: { code: 'A' } },
      });
      const l = await t.prisma.obligation.findFirstOrThrow({
        where: { orgId, unitId: contact.unitId, duty: { code: 'L' } },
      });
      units.set(name, { contactId: contact.id, unitId: contact.unitId, obligationId: a.id, longId: l.id });
    }
    // The cooperating units' Telegram template, saved before the editor refused such HTML (it does
    // now: test/web/templates.test.ts). Saved before the workers start, which read it once.
    await t.prisma.templateOverride.create({
      data: {
        orgId,
        lang: 'vi',
        message: 'reminder-cooperating',
        channel: 'telegram',
        part: 'html',
        source: '<div>Nhắc {{dutyCode}}</div><b>chưa đóng',
        updatedBy: 'test',
      },
    });
    tg = await startFakeTelegram({ limits: false });
    s = await startTestApp(t, {
      start: now,
      roles: ['worker'],
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

  /** A Telegram reminder due now to the contact of `name`, queued through the dispatcher. */
  async function remind(
    name: Case,
    options: { kind?: ReminderKind; long?: boolean; tag?: string } = {},
  ): Promise<string> {
    const u = units.get(name)!;
    const r = await t.prisma.reminder.create({
      data: {
        orgId,
        obligationId: options.long ? u.longId : u.obligationId,
        contactId: u.contactId,
        channel: 'telegram',
        kind: options.kind ?? 'overdue',
        stage: `nudge-${name}${options.tag ?? ''}@${next.stageDay}`,
        scheduledAt: new Date(s.clock.now().getTime() - 1_000),
      },
    });
    await dispatchDue(t.prisma, s.app.sendQueue(), orgId, s.clock.now(), 0);
    return r.id;
  }
  const row = (id: string) => t.prisma.reminder.findUniqueOrThrow({ where: { id } });
  const contactOf = (name: Case) => t.prisma.contact.findUniqueOrThrow({ where: { id: units.get(name)!.contactId } });
  const sendsTo = (chat: number) => tg.calls.filter((c) => c.method === 'sendMessage' && c.chatId === String(chat));
  /** Waits for the reminder to end failed, and for its fallback on the sandbox to be sent. */
  async function failsOverToSandbox(name: Case, id: string) {
    await waitFor(async () => (await row(id)).status === 'failed', 15_000, `the ${name} reminder failed`);
    const failed = await row(id);
    const fallback = await t.prisma.reminder.findFirst({
      where: {
        obligationId: failed.obligationId,
        contactId: failed.contactId,
        channel: 'sandbox',
        stage: failed.stage,
      },
    });
    expect(fallback, 'a fallback on the next channel').not.toBeNull();
    await waitFor(async () => (await row(fallback!.id)).status === 'sent', 15_000, `the ${name} fallback sent`);
    return failed;
  }

  describe('when the chat is dead', () => {
    const known: [Case, () => void, RegExp][] = [
      ['blocked', () => tg.block(CHATS.blocked), /bot was blocked by the user/],
      [
        'deactivated',
        () =>
          tg.fail({
            status: 403,
            method: 'sendMessage',
            chatId: CHATS.deactivated,
            description: 'Forbidden: user is deactivated',
          }),
        /user is deactivated/,
      ],
      [
        'kicked',
        () =>
          tg.fail({
            status: 403,
            method: 'sendMessage',
            chatId: CHATS.kicked,
            description: 'Forbidden: bot was kicked from the group chat',
          }),
        /bot was kicked/,
      ],
      [
        'notFound',
        () =>
          tg.fail({
            status: 400,
            method: 'sendMessage',
            chatId: CHATS.notFound,
            description: 'Bad Request: chat not found',
          }),
        /chat not found/,
      ],
    ];
    const WORDS: Partial<Record<Case, ChatKey>> = {
      blocked: 'failure.telegramBlocked',
      deactivated: 'failure.telegramDeactivated',
      kicked: 'failure.telegramKicked',
      notFound: 'failure.telegramChatNotFound',
    };
    for (const [name, fault, reason] of known) {
      it(`(${reason.source}) disables Telegram for that contact, does not retry, and delivers on the next channel`, async () => {
        fault();
        const id = await remind(name);
        const failed = await failsOverToSandbox(name, id);
        expect(failed.attempts).toBe(1);
        expect(failed.lastError).toMatch(reason);
        expect(sendsTo(CHATS[name])).toHaveLength(1);
        expect((await contactOf(name)).disabledChannels).toEqual(['telegram']);
        const disabled = await t.prisma.auditEvent.findMany({
          where: { action: 'contact.channel-disabled', entityId: units.get(name)!.contactId },
        });
        expect(disabled).toHaveLength(1);
        // Administrators read what happened and what to do, not Telegram's answer.
        const words = failureInWords((disabled[0]!.data as { reason: string }).reason, 'vi');
        expect(words).toBe(say('vi', WORDS[name]!));
        expect(words).not.toMatch(reason);
      }, 40_000);
    }
  });

  describe('when Telegram answers a 403 it has never answered before', () => {
    it('fails this message over to the next channel without disabling Telegram for the contact', async () => {
      tg.fail({
        status: 403,
        method: 'sendMessage',
        chatId: CHATS.unknown403,
        description: 'Forbidden: something we have never seen',
      });
      const id = await remind('unknown403');
      const failed = await failsOverToSandbox('unknown403', id);
      expect(failed.attempts).toBe(1);
      expect((await contactOf('unknown403')).disabledChannels).toEqual([]);
      expect(
        await t.prisma.auditEvent.count({
          where: { action: 'contact.channel-disabled', entityId: units.get('unknown403')!.contactId },
        }),
      ).toBe(0);
      // The chat still works: the next message goes by Telegram.
      const next = await remind('unknown403', { tag: '-again' });
      await waitFor(async () => (await row(next)).status === 'sent', 15_000, 'the next Telegram reminder');
      expect(tg.sent(CHATS.unknown403)).toHaveLength(1);
    }, 40_000);
  });

  describe('when Telegram cannot parse the message (a template edited into bad HTML)', () => {
    it('fails it once, sends it by the next channel, keeps Telegram enabled and names it in the administrators’ digest', async () => {
      const before = s.clock.now();
      try {
        const id = await remind('badHtml', { kind: 'cooperating' });
        const failed = await failsOverToSandbox('badHtml', id);
        expect(failed.attempts).toBe(1);
        expect(failed.lastError).toMatch(/^Telegram 400: Bad Request: can't parse entities/);
        expect(sendsTo(CHATS.badHtml).map((c) => c.status)).toEqual([400]);
        expect((await contactOf('badHtml')).disabledChannels).toEqual([]);
        expect(await t.prisma.auditEvent.count({ where: { action: 'reminder.failed', entityId: id } })).toBe(1);

        // The next working day's digest names it.
        const day = nextDigestDay(s.clock.now(), ZONE);
        const admin = await t.prisma.contact.findFirstOrThrow({ where: { orgId, role: 'admin' } });
        const digest = await t.prisma.digest.create({
          data: {
            orgId,
            contactId: admin.id,
            day: new Date(`${day}T00:00:00Z`),
            channel: 'sandbox',
            scheduledAt: fromZonedTime(`${day}T08:00:00`, ZONE),
          },
        });
        s.clock.set(fromZonedTime(`${day}T08:00:05`, ZONE));
        expect((await s.app.delivery.deliverDigest(digest.id)).outcome).toBe('sent');
        const body = (await t.prisma.outboxMessage.findFirstOrThrow({ where: { digestId: digest.id } })).body;
        const unit = await t.prisma.unit.findUniqueOrThrow({ where: { id: units.get('badHtml')!.unitId } });
        const person = await contactOf('badHtml');
        // Its own list, in words: the chat still works, one message was refused.
        const [, failedList = ''] = body.split('Tin nhắc không gửi được (đã chuyển sang kênh khác):\n');
        expect(failedList).toContain(
          `- A «Nhiệm vụ A» (${unit.name}), gửi ${person.name} qua Telegram: kênh không đọc được định dạng của tin (mẫu tin có thẻ HTML sai hoặc không được hỗ trợ). Đã gửi lại qua hộp thư thử.`,
        );
        expect(body).not.toMatch(/Telegram 400|can't parse entities|Bad Request/);
        // Not among the unreachable: their channels need no update.
        const unreachable = body.split('\n').filter((line) => line.startsWith('Không liên lạc được'));
        expect(unreachable.filter((line) => line.includes(`${person.name} (${unit.name})`))).toEqual([]);
      } finally {
        s.clock.set(before);
      }
    }, 40_000);
    it('names it among the unreachable, worded, in a digest the organisation edited before the list of refused reminders existed', async () => {
      // The refusal of the test above; an administrator of its own, whose digest uses the edited text.
      const legacy =
        'Kính gửi {{contactName}},\n{{#unreachable}}\nKhông liên lạc được (cần cập nhật kênh): {{personName}} ({{unitName}}): {{reason}}\n{{/unreachable}}\n';
      const override = await t.prisma.templateOverride.create({
        data: {
          orgId,
          lang: 'vi',
          message: 'digest',
          channel: 'sandbox',
          part: 'txt',
          source: legacy,
          updatedBy: 'test',
        },
      });
      const admin = await t.prisma.contact.create({
        data: { orgId, unitId: units.get('badHtml')!.unitId, name: 'Quản trị 2', role: 'admin', channels: ['sandbox'] },
      });
      const before = s.clock.now();
      try {
        const day = nextDigestDay(s.clock.now(), ZONE);
        const digest = await t.prisma.digest.create({
          data: {
            orgId,
            contactId: admin.id,
            day: new Date(`${day}T00:00:00Z`),
            channel: 'sandbox',
            scheduledAt: fromZonedTime(`${day}T08:00:00`, ZONE),
          },
        });
        s.clock.set(fromZonedTime(`${day}T08:00:05`, ZONE));
        // A worker of its own, reading the overrides now (the app's read them at start).
        const delivery = createDelivery({
          db: t.prisma,
          config: s.config,
          templates: loadTemplates(),
          templateRefreshMs: 0,
          channels: { sandbox: createSandboxChannel() },
          clock: s.clock,
          logger: s.deps.logger,
          metrics: s.app.metrics,
          workerId: 'legacy-digest',
        });
        expect((await delivery.deliverDigest(digest.id)).outcome).toBe('sent');
        const body = (await t.prisma.outboxMessage.findFirstOrThrow({ where: { digestId: digest.id } })).body;
        const unit = await t.prisma.unit.findUniqueOrThrow({ where: { id: units.get('badHtml')!.unitId } });
        const person = await contactOf('badHtml');
        expect(body).toContain(
          `Không liên lạc được (cần cập nhật kênh): ${person.name} (${unit.name}): tin nhắc A không gửi được qua Telegram: kênh không đọc được định dạng của tin (mẫu tin có thẻ HTML sai hoặc không được hỗ trợ); đã gửi lại qua hộp thư thử`,
        );
        expect(body).not.toMatch(/Telegram 400|can't parse entities/);
      } finally {
        s.clock.set(before);
        await t.prisma.templateOverride.delete({ where: { id: override.id } });
      }
    }, 40_000);
  });

  describe('when the text is longer than Telegram’s 4,096 characters (a 4,213-character duty title)', () => {
    it('sends it as several messages that each fit, the buttons under the last, and the reminder is sent', async () => {
      expect(longTitle.length).toBe(4_213);
      const id = await remind('longTitle', { long: true });
      await waitFor(async () => (await row(id)).status === 'sent', 15_000, 'the long reminder sent');
      const sent = tg.sent(CHATS.longTitle);
      expect(sent.length).toBeGreaterThanOrEqual(2);
      expect(sendsTo(CHATS.longTitle).every((c) => c.status === 200)).toBe(true);
      for (const m of sent) expect(telegramVisibleLength(String(m.text ?? ''))).toBeLessThanOrEqual(TELEGRAM_TEXT_MAX);
      expect(sent.slice(0, -1).every((m) => m.reply_markup === undefined)).toBe(true);
      expect(sent.at(-1)!.reply_markup).toBeDefined();
      // Nothing lost: the whole title, escaped, across the parts.
      const all = sent.map((m) => m.text).join(' ');
      for (const word of ['mục0 ', 'mục299 ', 'mục599 ', '&lt;kết thúc&gt; &amp; &quot;hết&quot;'])
        expect(all).toContain(word);
      const r = await row(id);
      expect(r.attempts).toBe(1);
      expect(r.externalId).toBe(`${CHATS.longTitle}:${sent.at(-1)!.message_id}`);
    }, 40_000);
  });

  describe('when the group was upgraded to a supergroup', () => {
    it('moves the contact to the new chat (audited) and delivers the reminder there', async () => {
      tg.migrate(CHATS.group, SUPERGROUP);
      const id = await remind('group');
      await waitFor(async () => (await row(id)).status === 'sent', 15_000, 'the reminder sent to the supergroup');
      expect(sendsTo(CHATS.group).map((c) => c.status)).toEqual([400]);
      expect(tg.sent(SUPERGROUP)).toHaveLength(1);
      const contact = await contactOf('group');
      expect(contact.telegramChatId).toBe(BigInt(SUPERGROUP));
      expect(contact.disabledChannels).toEqual([]);
      const audit = await t.prisma.auditEvent.findFirstOrThrow({
        where: { action: 'contact.telegram-migrated', entityId: contact.id },
      });
      expect(audit).toMatchObject({ actor: 'system', data: { from: String(CHATS.group), to: String(SUPERGROUP) } });
      expect((await row(id)).externalId).toBe(`${SUPERGROUP}:${tg.sent(SUPERGROUP)[0]!.message_id}`);
    }, 40_000);
  });
});
