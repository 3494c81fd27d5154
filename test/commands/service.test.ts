import { formatInTimeZone } from 'date-fns-tz';
import { GrammyError } from 'grammy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeButton, encodeButton } from '#root/channels/telegram/callback.js';
import { telegramDeliveryError } from '#root/channels/telegram/errors.js';
import {
  createCommandService,
  notLinked,
  redisCodeTries,
  type CodeTries,
  shortRef,
  type Caller,
  type ChatChannel,
  type ChatSender,
  type Notice,
  type Outcome,
} from '#root/commands/service.js';
import type { Db } from '#root/db/client.js';
import { obligationCode } from '#root/domain/obligation-code.js';
import { yearWindow } from '#root/domain/zoned-day.js';
import type { ContactRole } from '#root/generated/prisma/client.js';
import { createLogger } from '#root/logger.js';
import { createRedis } from '#root/redis.js';
import { createInvite } from '#root/services/contacts.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { testPrefix } from '../helpers/app.js';
import { buildMiniOrg } from '../helpers/builders.js';
import { ManualClock } from '../helpers/clock.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

/** Monday 9 November 2026, 08:00 in Hồ Chí Minh City. */
const NOW = new Date('2026-11-09T01:00:00Z');
const ZONE = 'Asia/Ho_Chi_Minh';
const logger = createLogger({ level: 'silent' });
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** What the service asked a chat channel to send to someone other than the caller. */
interface Sent {
  channel: ChatChannel;
  address: string;
  notice: Notice;
}

let t: TestDatabase;
let db: Db;
let seq = 0;
/** Chat addresses unique in the whole file (a lookup by chat address spans organisations). */
const zaloId = () => `zl${++seq}x${NOW.getTime().toString(36)}`;
const telegramId = () => String(700_000 + ++seq);
const caller = (channel: ChatChannel, id: string, group = false): Caller => ({
  channel,
  userId: id,
  chatId: id,
  group,
});

/**
 * The service with senders that record what they were asked to send (our own interface: a plain
 * function per channel), a clock moved by hand, and recorders for the follow-ups.
 */
function service(options: { failFor?: string[]; codeTries?: CodeTries } = {}) {
  const sent: Sent[] = [];
  const confirmed: { obligationId: string; text: string }[] = [];
  const dispatched: string[] = [];
  const sender =
    (channel: ChatChannel): ChatSender =>
    async (address, notice) => {
      if (options.failFor?.includes(address)) throw new Error('the channel refused');
      sent.push({ channel, address, notice });
    };
  const clock = new ManualClock(NOW);
  const svc = createCommandService({
    db,
    logger,
    clock,
    senders: { telegram: sender('telegram'), zalo: sender('zalo') },
    onConfirmed: async (obligationId, text) => {
      confirmed.push({ obligationId, text });
    },
    dispatch: async (orgId) => {
      dispatched.push(orgId);
    },
    ...(options.codeTries ? { codeTries: options.codeTries } : {}),
  });
  return { svc, sent, confirmed, dispatched, clock };
}

/** The only reply of an outcome. */
function only(outcome: Outcome) {
  expect(outcome.replies).toHaveLength(1);
  return outcome.replies[0]!;
}

/**
 * An organisation of two units, each with one contact ("Người 1", "Người 2"), an administrator
 * ("Quản trị") in the first; duties 4.2 (due 13/11/2026) and 4.3 (15/12/2026) led by both units,
 * and B.1 (20/11/2026) led by the second unit only; this year's obligations.
 */
async function buildWorld(code: string) {
  const mini = await buildMiniOrg(db, {
    code,
    units: 2,
    duties: [
      { code: '4.2', due: '2026-11-13' },
      { code: '4.3', due: '2026-12-15' },
    ],
    admin: true,
    now: NOW,
  });
  const orgId = mini.org.id;
  const unitA = mini.units[0]!;
  const unitB = mini.units[1]!;
  const duty = await db.duty.create({
    data: {
      orgId,
      planId: mini.plan.id,
      code: 'B.1',
      title: 'Nhiệm vụ riêng của đơn vị 2',
      timeframe: '2026-11-20',
      position: 9,
    },
  });
  await db.schedule.create({ data: { orgId, dutyId: duty.id, kind: 'once', due: '2026-11-20', raw: '2026-11-20' } });
  await db.assignment.create({
    data: {
      orgId,
      dutyId: duty.id,
      role: 'lead',
      unitId: unitB.id,
      target: `u:${unitB.id}`,
      rawName: unitB.name,
      position: 0,
    },
  });
  await reconcileObligations(db, orgId, yearWindow(2026), NOW);
  const admin = await db.contact.findFirstOrThrow({ where: { orgId, role: 'admin' } });
  return { orgId, unitA, unitB, a: mini.contacts[0]!, b: mini.contacts[1]!, admin };
}
type World = Awaited<ReturnType<typeof buildWorld>>;

/** Links a contact's chat straight in the database (the /start tests link through the service). */
async function link(contactId: string, channel: ChatChannel): Promise<Caller> {
  const id = channel === 'zalo' ? zaloId() : telegramId();
  await db.contact.update({
    where: { id: contactId },
    data:
      channel === 'zalo'
        ? { zaloUserId: id, channels: ['zalo', 'sandbox'] }
        : { telegramChatId: BigInt(id), channels: ['telegram', 'sandbox'] },
  });
  return caller(channel, id);
}

/** Another person of a unit, linked on a chat channel. */
async function addPerson(w: World, unitId: string, name: string, channel: ChatChannel, role: ContactRole = 'contact') {
  const c = await db.contact.create({ data: { orgId: w.orgId, unitId, name, role, channels: ['sandbox'] } });
  return { contact: c, caller: await link(c.id, channel) };
}

const obligationOf = (unitId: string, code: string) =>
  db.obligation.findFirstOrThrow({ where: { unitId, duty: { code } }, include: { duty: true } });

/** Everything a command could change in an organisation, to compare before and after. */
async function snapshot(orgId: string) {
  return {
    obligations: await db.obligation.findMany({
      where: { orgId },
      select: { id: true, status: true, completedAt: true, extendedTo: true },
      orderBy: { id: 'asc' },
    }),
    confirmations: await db.confirmation.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    extensions: await db.extensionRequest.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    contacts: await db.contact.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
    audits: await db.auditEvent.count({ where: { orgId } }),
  };
}

beforeAll(async () => {
  t = await createTestDatabase();
  db = t.prisma;
});
afterAll(() => t?.close());

describe('the chat command service', () => {
  describe('linking a chat with /start <code>', () => {
    let w: World;
    beforeAll(async () => {
      w = await buildWorld('start');
    });
    const invite = (contactId: string, ttlHours = 72) =>
      createInvite(db, w.orgId, contactId, { ttlHours, now: NOW }, 'test');

    it('links a Zalo user to the contact, puts Zalo first, and refuses the code a second time', async () => {
      const { svc } = service();
      const { code } = await invite(w.a.id);
      const zalo = caller('zalo', zaloId());
      const welcome = only(await svc.handleText(zalo, `/start ${code}`));
      expect(welcome.text).toMatch(/^Xin chào Người 1 \(Đơn vị thử 1\)!/);
      expect(welcome.text).toContain('bằng lệnh /xong <mã>');
      expect(welcome.buttons).toBeUndefined();
      const linked = await db.contact.findUniqueOrThrow({ where: { id: w.a.id } });
      expect(linked.zaloUserId).toBe(zalo.userId);
      expect(linked.channels).toEqual(['zalo', 'sandbox']);
      expect((await svc.identify(zalo))?.id).toBe(w.a.id);
      expect(
        await db.auditEvent.count({
          where: { orgId: w.orgId, action: 'contact.link-zalo', actor: `zalo:${zalo.chatId}` },
        }),
      ).toBe(1);

      const other = caller('zalo', zaloId());
      expect(only(await svc.handleText(other, `/start ${code}`)).text).toMatch(/Mã mời này đã được dùng/);
      expect(await svc.identify(other)).toBeNull();
      expect((await db.contact.findUniqueOrThrow({ where: { id: w.a.id } })).zaloUserId).toBe(zalo.userId);
    });

    it('links a Telegram chat the same way, Telegram first, and greets a linked person’s /start', async () => {
      const { svc } = service();
      const { code } = await invite(w.b.id);
      const tg = caller('telegram', telegramId());
      expect(only(await svc.handleText(tg, `/start@dondoc_bot ${code}`)).text).toContain('bằng nút ✅ Đã hoàn thành');
      const linked = await db.contact.findUniqueOrThrow({ where: { id: w.b.id } });
      expect(linked.telegramChatId).toBe(BigInt(tg.chatId));
      expect(linked.channels).toEqual(['telegram', 'sandbox']);
      expect(only(await svc.handleText(tg, '/start')).text).toMatch(/^Chào Người 2 \(Đơn vị thử 2\)/);
    });

    describe('when the person unblocks the bot and sends /start again', () => {
      it('uses the chat again for its contact (audited), says so, and leaves an unrelated chat alone', async () => {
        const { svc } = service();
        for (const channel of ['telegram', 'zalo'] as const) {
          const { contact, caller: chat } = await addPerson(w, w.unitA.id, `Người chặn ${channel}`, channel);
          await db.contact.update({
            where: { id: contact.id },
            data: { disabledChannels: [channel, 'sandbox'], unreachableSince: NOW },
          });
          // Someone else's /start changes nothing of this contact.
          await svc.handleText(caller(channel, channel === 'zalo' ? zaloId() : telegramId()), '/start');
          expect((await db.contact.findUniqueOrThrow({ where: { id: contact.id } })).disabledChannels).toEqual([
            channel,
            'sandbox',
          ]);
          const hello = only(await svc.handleText(chat, '/start')).text;
          const label = channel === 'zalo' ? 'Zalo' : 'Telegram';
          expect(hello).toMatch(new RegExp(`^Chào Người chặn ${channel} `));
          expect(hello).toContain(`\nTừ nay nhắc nhở lại được gửi tới cuộc trò chuyện này qua ${label}.`);
          expect(await db.contact.findUniqueOrThrow({ where: { id: contact.id } })).toMatchObject({
            disabledChannels: ['sandbox'],
            unreachableSince: null,
          });
          expect(
            await db.auditEvent.findFirstOrThrow({
              where: { entityId: contact.id, action: 'contact.channel-enabled' },
            }),
          ).toMatchObject({ actor: `${channel}:${chat.userId}`, data: { channel } });
          // Once is enough: a second /start is a greeting.
          expect(only(await svc.handleText(chat, '/start')).text).not.toContain('Từ nay');
        }
      });
    });

    it('refuses an expired code and links nothing', async () => {
      const { svc, clock } = service();
      const person = await db.contact.create({
        data: { orgId: w.orgId, unitId: w.unitA.id, name: 'Người hết hạn', channels: ['sandbox'] },
      });
      const { code } = await invite(person.id, 1);
      clock.set(new Date(NOW.getTime() + 2 * 3_600_000));
      const zalo = caller('zalo', zaloId());
      expect(only(await svc.handleText(zalo, `/start ${code}`)).text).toMatch(/Mã mời đã hết hạn/);
      const after = await db.contact.findUniqueOrThrow({ where: { id: person.id } });
      expect(after.zaloUserId).toBeNull();
      expect(after.channels).toEqual(['sandbox']);
      expect((await db.invite.findFirstOrThrow({ where: { contactId: person.id } })).usedAt).toBeNull();
    });

    it('locks a chat for 15 minutes after five wrong codes, even for a right one; other chats are not locked', async () => {
      const { svc, clock } = service();
      const person = await db.contact.create({
        data: { orgId: w.orgId, unitId: w.unitA.id, name: 'Người đoán mã', channels: ['sandbox'] },
      });
      const neighbour = await db.contact.create({
        data: { orgId: w.orgId, unitId: w.unitB.id, name: 'Người bên cạnh', channels: ['sandbox'] },
      });
      const { code } = await invite(person.id);
      const zalo = caller('zalo', zaloId());
      const wrong = [
        'abc',
        'WrongCode000000000000a',
        'WrongCode000000000000b',
        'WrongCode000000000000c',
        'WrongCode000000000000d',
      ];
      for (const guess of wrong)
        expect(only(await svc.handleText(zalo, `/start ${guess}`)).text).toMatch(/Mã mời (không hợp lệ|không đúng)/);

      const locked = only(await svc.handleText(zalo, `/start ${code}`)).text;
      expect(locked).toBe('Đã nhập sai mã quá nhiều lần. Thử lại sau 15 phút.');
      expect(await svc.identify(zalo)).toBeNull();
      expect((await db.invite.findFirstOrThrow({ where: { contactId: person.id } })).usedAt).toBeNull();

      const elsewhere = caller('zalo', zaloId());
      expect(only(await svc.handleText(elsewhere, `/start ${(await invite(neighbour.id)).code}`)).text).toMatch(
        /^Xin chào Người bên cạnh/,
      );

      clock.set(new Date(NOW.getTime() + 10 * 60_000));
      expect(only(await svc.handleText(zalo, `/start ${code}`)).text).toMatch(/Thử lại sau 5 phút/);
      clock.set(new Date(NOW.getTime() + 15 * 60_000));
      expect(only(await svc.handleText(zalo, `/start ${code}`)).text).toMatch(/^Xin chào Người đoán mã/);
      expect((await svc.identify(zalo))?.id).toBe(person.id);
    });

    it('counts a chat’s wrong codes across processes: five in all, not five each (webhooks reach any copy)', async () => {
      const prefix = testPrefix();
      const connections = [createRedis(REDIS_URL), createRedis(REDIS_URL)];
      try {
        const [a, b] = connections.map((r) => service({ codeTries: redisCodeTries(r, prefix) }));
        await Promise.all(
          connections.map((c) => (c.status === 'ready' ? Promise.resolve() : new Promise((r) => c.once('ready', r)))),
        );
        const person = await db.contact.create({
          data: { orgId: w.orgId, unitId: w.unitA.id, name: 'Người đoán hai nơi', channels: ['sandbox'] },
        });
        const { code } = await invite(person.id);
        const zalo = caller('zalo', zaloId());
        for (let i = 0; i < 5; i++) await (i % 2 ? b! : a!).svc.handleText(zalo, `/start WrongCode00000000000${i}`);
        for (const s of [a!, b!])
          expect(only(await s.svc.handleText(zalo, `/start ${code}`)).text).toMatch(
            /^Đã nhập sai mã quá nhiều lần\. Thử lại sau 15 phút/,
          );
        expect((await db.invite.findFirstOrThrow({ where: { contactId: person.id } })).usedAt).toBeNull();
      } finally {
        const keys = await connections[0]!.keys(`${prefix}:*`);
        if (keys.length) await connections[0]!.del(...keys);
        for (const c of connections) c.disconnect();
      }
    });

    // The 15 minutes run from the fifth wrong code, not the first (a fifth made 14 minutes after the
    // first once locked the chat for one minute only).
    it('makes a chat wait the full 15 minutes after its fifth wrong code, however slowly they came', async () => {
      const { svc, clock } = service();
      const person = await db.contact.create({
        data: { orgId: w.orgId, unitId: w.unitA.id, name: 'Người đoán chậm', channels: ['sandbox'] },
      });
      const { code } = await invite(person.id);
      const zalo = caller('zalo', zaloId());
      for (const minute of [0, 1, 2, 3, 14]) {
        clock.set(new Date(NOW.getTime() + minute * 60_000));
        await svc.handleText(zalo, `/start WrongCode00000000000${minute}`);
      }
      clock.set(new Date(NOW.getTime() + 16 * 60_000));
      expect(only(await svc.handleText(zalo, `/start ${code}`)).text).toMatch(/Thử lại sau 13 phút/);
    });
  });

  describe('a chat that is not linked', () => {
    const commands = [
      '/viec',
      '/tasks',
      '/xong 4.2',
      '/xong',
      '/giahan 4.2 30/12/2026 chờ số liệu',
      '/hoantac 4.2',
      '/tonghop',
      '/nhac Đơn vị thử 1',
      '/kenh',
      '/kenh zalo',
      '/duyet abcdef',
      '/tuchoi abcdef',
      '/start',
    ];

    it.each(['zalo', 'telegram'] as const)(
      'on %s: answers every command but /trogiup with how to link, changing nothing',
      async (channel) => {
        const { svc, sent } = service();
        const stranger = caller(channel, channel === 'zalo' ? zaloId() : telegramId());
        for (const text of commands)
          expect(only(await svc.handleText(stranger, text)).text, text).toBe(notLinked('vi'));
        const help = only(await svc.handleText(stranger, '/trogiup')).text;
        expect(help.startsWith(notLinked('vi'))).toBe(true);
        expect(help).toContain('/viec');
        expect(help).not.toContain('/tonghop');
        expect(only(await svc.handleText(stranger, 'xin chào')).text).toMatch(/^Gõ \/viec để xem nhiệm vụ/);
        expect(only(await svc.handleText(stranger, '/foo')).text).toMatch(/Lệnh không rõ/);
        expect(sent).toEqual([]);
      },
    );

    it('answers a button press with an alert saying how to link', async () => {
      const { svc } = service();
      const w = await buildWorld('unlinked');
      const o = await obligationOf(w.unitA.id, '4.2');
      const answer = await svc.handleButton(caller('telegram', telegramId()), encodeButton('done', o.id));
      expect(answer.answer.alert).toBe(true);
      expect(notLinked('vi').startsWith(answer.answer.text!)).toBe(true);
      expect((await db.obligation.findUniqueOrThrow({ where: { id: o.id } })).status).toBe('open');
    });
  });

  describe('/trogiup', () => {
    let w: World;
    beforeAll(async () => {
      w = await buildWorld('help');
    });
    const ADMIN_ONLY = ['/tonghop', '/nhac <đơn vị>', '/duyet <mã đề nghị>', '/tuchoi <mã đề nghị>'];

    it.each(['zalo', 'telegram'] as const)(
      'on %s: shows the administrators’ commands to administrators only',
      async (channel) => {
        const { svc } = service();
        const admin = await addPerson(w, w.unitA.id, `Quản trị ${channel}`, channel, 'admin');
        const supervisor = await addPerson(w, w.unitA.id, `Giám sát ${channel}`, channel, 'supervisor');
        const head = await addPerson(w, w.unitB.id, `Trưởng phòng ${channel}`, channel, 'head');
        const person = await addPerson(w, w.unitB.id, `Cán bộ ${channel}`, channel);

        for (const who of [admin, supervisor]) {
          const help = only(await svc.handleText(who.caller, '/trogiup')).text;
          expect(help.startsWith(`${who.contact.name} — Đơn vị thử 1`)).toBe(true);
          for (const line of ADMIN_ONLY) expect(help).toContain(line);
        }
        for (const who of [head, person]) {
          const help = only(await svc.handleText(who.caller, '/help')).text;
          expect(help.startsWith(`${who.contact.name} — Đơn vị thử 2`)).toBe(true);
          for (const line of ADMIN_ONLY) expect(help).not.toContain(line);
          for (const line of [
            '/viec',
            '/xong <mã> [ghi chú]',
            '/giahan <mã> <ngày> <lý do>',
            '/hoantac <mã>',
            '/kenh',
            '/trogiup',
          ])
            expect(help).toContain(line);
        }
        const help = only(await svc.handleText(person.caller, '/trợgiúp')).text;
        expect(help.includes('kèm nút xác nhận')).toBe(channel === 'telegram');
      },
    );
  });

  describe('/viec', () => {
    let w: World;
    beforeAll(async () => {
      w = await buildWorld('tasks');
    });

    it('on Zalo: lists the unit’s open duties, nearest first, with what to type, and no buttons', async () => {
      const { svc } = service();
      const zalo = await link(w.a.id, 'zalo');
      const reply = only(await svc.handleText(zalo, '/viec'));
      expect(reply.buttons).toBeUndefined();
      expect(reply.text).toContain(
        'Nhiệm vụ đang mở của Đơn vị thử 1:\n• 4.2 «Nhiệm vụ 4.2» — hạn thứ Sáu, 13/11/2026\n• 4.3 «Nhiệm vụ 4.3» — hạn thứ Ba, 15/12/2026',
      );
      expect(reply.text).toContain('gõ /xong <mã> [ghi chú], ví dụ: /xong 4.2 đã gửi báo cáo.');
      expect(reply.text).not.toContain('B.1');
      expect(only(await svc.handleText(zalo, '/tasks'))).toEqual(reply);
      expect(only(await svc.handleText(zalo, '/việc'))).toEqual(reply);
    });

    it('on Telegram: one ✅ button per open duty, naming its obligation', async () => {
      const { svc } = service();
      const tg = await link(w.b.id, 'telegram');
      const reply = only(await svc.handleText(tg, '/viec'));
      const open = [
        await obligationOf(w.unitB.id, '4.2'),
        await obligationOf(w.unitB.id, 'B.1'),
        await obligationOf(w.unitB.id, '4.3'),
      ];
      expect(reply.buttons?.map((row) => row.map((b) => b.text))).toEqual([
        ['✅ 4.2 — hạn thứ Sáu, 13/11/2026'],
        ['✅ B.1 — hạn thứ Sáu, 20/11/2026'],
        ['✅ 4.3 — hạn thứ Ba, 15/12/2026'],
      ]);
      expect(reply.buttons?.map((row) => decodeButton(row[0]!.data))).toEqual(
        open.map((o) => ({ action: 'done', id: o.id })),
      );
      expect(reply.text).not.toContain('/xong <mã>');
    });
  });

  describe('confirming an item of the day’s Zalo message, which cannot be edited in place', () => {
    let w: World;
    let zalo: Caller;
    const codes: Record<string, string> = {};
    beforeAll(async () => {
      w = await buildWorld('rest');
      zalo = await link(w.b.id, 'zalo');
      // The day's message of 09/11 sent to the second unit's contact on Zalo: 4.2, B.1 and 4.3,
      // and a supervisor's kind of item that is not theirs to confirm (left out of the list).
      const bundle = await db.bundle.create({
        data: {
          orgId: w.orgId,
          contactId: w.b.id,
          channel: 'zalo',
          day: new Date('2026-11-09T00:00:00Z'),
          slot: 'day',
          scheduledAt: NOW,
          status: 'sent',
          sentAt: NOW,
        },
      });
      for (const [code, kind] of [
        ['4.2', 'lead'],
        ['B.1', 'lead'],
        ['4.3', 'lead'],
      ] as const) {
        const o = await obligationOf(w.unitB.id, code);
        codes[code] = obligationCode(code, o.periodKey);
        await db.reminder.create({
          data: {
            orgId: w.orgId,
            obligationId: o.id,
            contactId: w.b.id,
            channel: 'zalo',
            kind,
            stage: `lead-3@${code.replace('.', '')}`,
            scheduledAt: NOW,
            status: 'sent',
            sentAt: NOW,
            bundleId: bundle.id,
          },
        });
      }
    });

    it('confirms the item and lists what is left of the day’s message, each with what to type', async () => {
      const { svc } = service();
      const text = only(await svc.handleText(zalo, '/xong B.1')).text;
      expect(text).toBe(
        '✅ Đã ghi nhận: Đơn vị thử 2 hoàn thành nhiệm vụ B.1 «Nhiệm vụ riêng của đơn vị 2». Các nhắc nhở còn lại đã được hủy.\n\n' +
          'Tin nhắc hôm nay còn 2 việc chưa xong:\n' +
          `• ${codes['4.2']} «Nhiệm vụ 4.2», hạn thứ Sáu, 13/11/2026: gõ /xong ${codes['4.2']}\n` +
          `• ${codes['4.3']} «Nhiệm vụ 4.3», hạn thứ Ba, 15/12/2026: gõ /xong ${codes['4.3']}`,
      );
    });

    it('answers in the contact’s language, and says when nothing is left', async () => {
      await db.contact.update({ where: { id: w.b.id }, data: { locale: 'en' } });
      const { svc } = service();
      expect(only(await svc.handleText(zalo, '/done 4.3')).text).toContain(
        `\n\nStill open in today’s reminder (1):\n• ${codes['4.2']} «Nhiệm vụ 4.2», due Friday, 13/11/2026: send /done ${codes['4.2']}`,
      );
      expect(only(await svc.handleText(zalo, '/done 4.2')).text).toMatch(
        /^✅ .+\n\nNothing of today’s reminder is left open\. 🎉$/,
      );
    });
  });

  describe('confirming with /xong', () => {
    let w: World;
    let zalo: Caller;
    let colleagueTg: Awaited<ReturnType<typeof addPerson>>;
    let colleagueZalo: Awaited<ReturnType<typeof addPerson>>;
    let otherUnit: Caller;
    beforeAll(async () => {
      w = await buildWorld('done');
      zalo = await link(w.a.id, 'zalo');
      colleagueTg = await addPerson(w, w.unitA.id, 'Đồng nghiệp Telegram', 'telegram');
      colleagueZalo = await addPerson(w, w.unitA.id, 'Đồng nghiệp Zalo', 'zalo');
      otherUnit = await link(w.b.id, 'telegram');
    });

    it('stores the confirmation with its note and the Zalo actor, then tells the unit’s other people on their own chat channel', async () => {
      const { svc, sent, confirmed } = service();
      const o = await obligationOf(w.unitA.id, '4.2');
      const outcome = await svc.handleText(zalo, '/xong 4.2 đã gửi báo cáo\nkèm công văn số 12');
      expect(only(outcome).text).toBe(
        '✅ Đã ghi nhận: Đơn vị thử 1 hoàn thành nhiệm vụ 4.2 «Nhiệm vụ 4.2». Các nhắc nhở còn lại đã được hủy.',
      );
      const c = await db.confirmation.findFirstOrThrow({ where: { obligationId: o.id } });
      expect(c).toMatchObject({
        contactId: w.a.id,
        actor: `zalo:${zalo.userId}`,
        via: 'chat',
        note: 'đã gửi báo cáo\nkèm công văn số 12',
        withdrawnAt: null,
      });
      expect((await db.obligation.findUniqueOrThrow({ where: { id: o.id } })).status).toBe('done');

      // Nobody else hears of it before the follow-up runs.
      expect(sent).toEqual([]);
      expect(confirmed).toEqual([]);
      await outcome.later!();
      const told = `✅ Người 1 đã xác nhận Đơn vị thử 1 hoàn thành nhiệm vụ 4.2 «Nhiệm vụ 4.2».`;
      expect(sent).toHaveLength(2);
      expect(sent).toEqual(
        expect.arrayContaining([
          { channel: 'telegram', address: colleagueTg.caller.chatId, notice: { text: told } },
          { channel: 'zalo', address: colleagueZalo.caller.chatId, notice: { text: told } },
        ]),
      );
      expect(sent.map((s) => s.address)).not.toContain(otherUnit.chatId);
      expect(sent.map((s) => s.address)).not.toContain(zalo.chatId);
      expect(confirmed).toEqual([
        { obligationId: o.id, text: '✅ Đã hoàn thành bởi Người 1 lúc 08:00 ngày 09/11/2026' },
      ]);
    });

    it('answers a second /xong of the same duty that it was already confirmed, and stores nothing more', async () => {
      const { svc } = service();
      const o = await obligationOf(w.unitA.id, '4.2');
      const outcome = await svc.handleText(colleagueZalo.caller, '/xong 4.2');
      expect(only(outcome).text).toMatch(/đã được xác nhận trước đó/);
      expect(outcome.later).toBeUndefined();
      expect(await db.confirmation.count({ where: { obligationId: o.id } })).toBe(1);
    });

    it('answers a second press of ✅ that it was already confirmed, and stores nothing more', async () => {
      const { svc } = service();
      const o = await obligationOf(w.unitA.id, '4.2');
      const answer = await svc.handleButton(colleagueTg.caller, encodeButton('done', o.id));
      expect(answer.answer.text).toMatch(/đã được xác nhận trước đó/);
      expect(answer.later).toBeUndefined();
      expect(await db.confirmation.count({ where: { obligationId: o.id } })).toBe(1);
    });

    it('with no code, asks which duty: typed on Zalo, with buttons on Telegram', async () => {
      const { svc } = service();
      const typed = only(await svc.handleText(colleagueZalo.caller, '/xong'));
      expect(typed.text).toMatch(/^Anh\/chị xác nhận nhiệm vụ nào\?\n\nNhiệm vụ đang mở của Đơn vị thử 1:\n• 4.3/);
      expect(typed.text).toContain('/xong <mã>');
      expect(typed.buttons).toBeUndefined();
      const pressed = only(await svc.handleText(colleagueTg.caller, '/done'));
      expect(pressed.buttons?.flat().map((b) => b.text)).toEqual(['✅ 4.3 — hạn thứ Ba, 15/12/2026']);
    });

    it('answers an unknown code with the unit’s open duties and changes nothing', async () => {
      const { svc } = service();
      const before = await snapshot(w.orgId);
      const reply = only(await svc.handleText(zalo, '/xong 9.9 ghi chú'));
      expect(reply.text).toMatch(
        /^Đơn vị thử 1 không có nhiệm vụ «9\.9» đang mở\.\n\nNhiệm vụ đang mở của Đơn vị thử 1:/,
      );
      expect(await snapshot(w.orgId)).toEqual(before);
    });

    it('lets the unit take its confirmation back with /hoantac, and the duty is open again', async () => {
      const { svc } = service();
      const o = await obligationOf(w.unitA.id, '4.2');
      expect(only(await svc.handleText(colleagueTg.caller, '/hoantac 4.2')).text).toMatch(
        /^↩️ Đã rút lại xác nhận nhiệm vụ 4\.2/,
      );
      expect((await db.obligation.findUniqueOrThrow({ where: { id: o.id } })).status).toBe('open');
      expect((await db.confirmation.findFirstOrThrow({ where: { obligationId: o.id } })).withdrawnAt).not.toBeNull();
      expect(only(await svc.handleText(colleagueTg.caller, '/hoantac 4.2')).text).toMatch(/Không có xác nhận nào/);
    });

    it('still tells the others when one colleague’s channel refuses the notice', async () => {
      const { svc, sent } = service({ failFor: [colleagueTg.caller.chatId] });
      const outcome = await svc.handleText(zalo, '/xong 4.3');
      await outcome.later!();
      expect(sent.map((s) => s.address)).toEqual([colleagueZalo.caller.chatId]);
    });
  });

  describe('one unit acting for another', () => {
    let w: World;
    let zalo: Caller;
    let tg: Caller;
    let admin: Caller;
    beforeAll(async () => {
      w = await buildWorld('cross');
      zalo = await link(w.a.id, 'zalo');
      tg = (await addPerson(w, w.unitA.id, 'Người 1b', 'telegram')).caller;
      admin = await link(w.admin.id, 'telegram');
    });

    it('does not find another unit’s duty by its code, and changes nothing', async () => {
      const { svc } = service();
      const before = await snapshot(w.orgId);
      expect(only(await svc.handleText(zalo, '/xong B.1 đã xong')).text).toMatch(
        /^Đơn vị thử 1 không có nhiệm vụ «B\.1» đang mở\./,
      );
      expect(only(await svc.handleText(tg, '/xong b.1')).text).toMatch(
        /^Đơn vị thử 1 không có nhiệm vụ «b\.1» đang mở\./,
      );
      expect(only(await svc.handleText(zalo, '/giahan B.1 30/12/2026 chờ số liệu')).text).toMatch(
        /^Đơn vị thử 1 không có nhiệm vụ «B\.1» đang mở/,
      );
      expect(await snapshot(w.orgId)).toEqual(before);
    });

    it('answers a press of another unit’s ✅ or 📅 with an alert, and changes nothing', async () => {
      const { svc, sent } = service();
      const theirs = await obligationOf(w.unitB.id, 'B.1');
      const shared = await obligationOf(w.unitB.id, '4.2');
      const before = await snapshot(w.orgId);
      for (const data of [
        encodeButton('done', theirs.id),
        encodeButton('done', shared.id),
        encodeButton('extend', theirs.id),
      ]) {
        const answer = await svc.handleButton(tg, data);
        expect(answer.answer.alert, data).toBe(true);
        expect(answer.answer.text, data).toMatch(/chỉ (xác nhận|xin gia hạn) được nhiệm vụ của đơn vị mình/);
        expect(answer.later, data).toBeUndefined();
        expect(answer.replies, data).toBeUndefined();
      }
      expect(await snapshot(w.orgId)).toEqual(before);
      expect(sent).toEqual([]);
    });

    it('counts another unit’s confirmation for that unit only: its duty stays unknown here, the shared one stays open', async () => {
      const { svc } = service();
      const theirs = await link(w.b.id, 'zalo');
      expect(only(await svc.handleText(theirs, '/xong B.1')).text).toMatch(/^✅ Đã ghi nhận: Đơn vị thử 2/);
      expect(only(await svc.handleText(theirs, '/xong 4.2')).text).toMatch(/^✅ Đã ghi nhận: Đơn vị thử 2/);
      const reply = only(await svc.handleText(zalo, '/xong B.1')).text;
      expect(reply).toMatch(/^Đơn vị thử 1 không có nhiệm vụ «B\.1» đang mở\./);
      expect(reply).not.toContain('Người 2');
      expect((await obligationOf(w.unitA.id, '4.2')).status).toBe('open');
      expect(only(await svc.handleText(zalo, '/viec')).text).toContain('• 4.2 «Nhiệm vụ 4.2»');
    });

    it('answers made-up button data with an alert, and changes nothing', async () => {
      const { svc } = service();
      const before = await snapshot(w.orgId);
      for (const data of ['x:AAAAAAAAAAAAAAAAAAAAAA', 'garbage', 'z:AAAAAAAAAAAAAAAAAAAAAA', '']) {
        const answer = await svc.handleButton(tg, data);
        expect(answer.answer.alert, data).toBe(true);
        // Said so in the person’s words, not "Không tìm thấy nghĩa vụ này" (the administrators’ word).
        expect(answer.answer.text, data).toBe('Nút này không còn dùng được. Gõ /viec để xem lại.');
      }
      expect(await snapshot(w.orgId)).toEqual(before);
    });

    it('lets only administrators press ✅ Duyệt, and only for their own organisation', async () => {
      const { svc } = service();
      const other = await buildWorld('cross2');
      const foreignAdmin = await link(other.admin.id, 'telegram');
      const o = await obligationOf(w.unitA.id, '4.3');
      const request = await db.extensionRequest.create({
        data: {
          orgId: w.orgId,
          obligationId: o.id,
          contactId: w.a.id,
          requestedDue: new Date('2026-12-30T16:59:59Z'),
          reason: 'chờ số liệu',
        },
      });
      const before = await snapshot(w.orgId);
      const byContact = await svc.handleButton(tg, encodeButton('approve', request.id));
      expect(byContact.answer.alert).toBe(true);
      expect(byContact.answer.text).toMatch(/^Chỉ quản trị viên duyệt được/);
      const byForeigner = await svc.handleButton(foreignAdmin, encodeButton('approve', request.id));
      expect(byForeigner.answer.alert).toBe(true);
      expect(byForeigner.answer.text).toMatch(/^Không tìm thấy đề nghị gia hạn/);
      expect(only(await svc.handleText(foreignAdmin, `/duyet ${shortRef(request.id)}`)).text).toMatch(
        /^Không có đề nghị gia hạn nào đang chờ/,
      );
      expect(await snapshot(w.orgId)).toEqual(before);

      const byAdmin = await svc.handleButton(admin, encodeButton('refuse', request.id));
      expect(byAdmin.answer.text).toBe('❌ Không duyệt gia hạn 4.3 «Nhiệm vụ 4.3»');
      expect(byAdmin.keyboard?.flat().map((b) => b.text)).toEqual(['❌ Đã từ chối bởi Quản trị']);
      expect((await db.extensionRequest.findUniqueOrThrow({ where: { id: request.id } })).status).toBe('refused');
      const again = await svc.handleButton(admin, encodeButton('approve', request.id));
      expect(again.answer.text).toMatch(/đã được quyết định trước đó/);
      expect((await db.extensionRequest.findUniqueOrThrow({ where: { id: request.id } })).status).toBe('refused');
    });
  });

  describe('asking for more time with /giahan, deciding with /duyet and /tuchoi', () => {
    let w: World;
    let zalo: Caller;
    let admin: Caller;
    let supervisor: Awaited<ReturnType<typeof addPerson>>;
    let colleague: Awaited<ReturnType<typeof addPerson>>;
    let requestId: string;
    beforeAll(async () => {
      w = await buildWorld('extend');
      zalo = await link(w.a.id, 'zalo');
      admin = await link(w.admin.id, 'telegram');
      supervisor = await addPerson(w, w.unitB.id, 'Giám sát', 'zalo', 'supervisor');
      colleague = await addPerson(w, w.unitA.id, 'Đồng nghiệp', 'telegram');
    });

    it('stores the request and asks every administrator, with the reference to type', async () => {
      const { svc, sent } = service();
      const o = await obligationOf(w.unitA.id, '4.3');
      const outcome = await svc.handleText(zalo, '/giahan 4.3 30/12/2026 chờ số liệu quý IV');
      expect(only(outcome).text).toBe(
        'Đã gửi đề nghị gia hạn nhiệm vụ 4.3 đến thứ Tư, 30/12/2026; quản trị viên sẽ trả lời.',
      );
      const request = await db.extensionRequest.findFirstOrThrow({ where: { obligationId: o.id } });
      requestId = request.id;
      expect(request).toMatchObject({
        status: 'pending',
        contactId: w.a.id,
        reason: 'chờ số liệu quý IV',
        decidedAt: null,
      });
      expect(formatInTimeZone(request.requestedDue, ZONE, 'yyyy-MM-dd HH:mm:ss')).toBe('2026-12-30 23:59:59');

      expect(sent).toEqual([]);
      await outcome.later!();
      const ref = shortRef(request.id);
      expect(ref).toMatch(/^[0-9a-f]{8}$/);
      expect(sent.map((s) => [s.channel, s.address]).sort()).toEqual(
        [
          ['telegram', admin.chatId],
          ['zalo', supervisor.caller.chatId],
        ].sort(),
      );
      for (const s of sent) {
        expect(s.notice.text).toBe(
          `📅 Đơn vị thử 1 (Người 1) xin gia hạn nhiệm vụ 4.3 «Nhiệm vụ 4.3» từ thứ Ba, 15/12/2026 đến thứ Tư, 30/12/2026.\nLý do: chờ số liệu quý IV\nDuyệt: /duyet ${ref} — Từ chối: /tuchoi ${ref}`,
        );
      }
      const onTelegram = sent.find((s) => s.channel === 'telegram')!;
      expect(onTelegram.notice.buttons?.flat().map((b) => decodeButton(b.data))).toEqual([
        { action: 'approve', id: request.id },
        { action: 'refuse', id: request.id },
      ]);
      expect(sent.find((s) => s.channel === 'zalo')!.notice.buttons).toBeUndefined();
    });

    it('refuses a second request while one is pending, a bad date, a date not later, and a missing reason', async () => {
      const { svc } = service();
      const before = await snapshot(w.orgId);
      const cases: [string, RegExp][] = [
        ['/giahan 4.3 31/12/2026 lần nữa', /đã có một đề nghị gia hạn đang chờ duyệt/],
        ['/giahan 4.2 32/12/2026 lý do', /Ngày «32\/12\/2026» không hợp lệ/],
        ['/giahan 4.2 ngày-mai lý do', /Ngày «ngày-mai» không hợp lệ/],
        ['/giahan 4.2 10/11/2026 lý do', /Ngày xin gia hạn phải sau hạn hiện tại/],
        ['/giahan 4.2 30/12/2026', /Cần ghi lý do xin gia hạn/],
        ['/giahan 4.2', /^Cách dùng: \/giahan <mã> <ngày> <lý do>/],
      ];
      for (const [text, answer] of cases) expect(only(await svc.handleText(zalo, text)).text, text).toMatch(answer);
      expect(await snapshot(w.orgId)).toEqual(before);
    });

    it('refuses /duyet from someone who is not an administrator', async () => {
      const { svc } = service();
      const before = await snapshot(w.orgId);
      const ref = shortRef(requestId);
      expect(only(await svc.handleText(zalo, `/duyet ${ref}`)).text).toBe('Lệnh này dành cho quản trị viên.');
      expect(only(await svc.handleText(colleague.caller, `/approve ${ref}`)).text).toBe(
        'Lệnh này dành cho quản trị viên.',
      );
      expect(only(await svc.handleText(colleague.caller, `/tuchoi ${ref}`)).text).toBe(
        'Lệnh này dành cho quản trị viên.',
      );
      expect(await snapshot(w.orgId)).toEqual(before);
    });

    it('answers a bad reference clearly: missing, not hex, too short, unknown', async () => {
      const { svc } = service();
      const before = await snapshot(w.orgId);
      const cases: [string, RegExp][] = [
        ['/duyet', /^Cách dùng: \/duyet <mã đề nghị>/],
        ['/tuchoi', /^Cách dùng: \/tuchoi <mã đề nghị>/],
        ['/duyet xyz123', /^Mã đề nghị «xyz123» không hợp lệ/],
        ['/duyet abc', /^Mã đề nghị «abc» không hợp lệ/],
        ['/duyet 4.3', /^Mã đề nghị «4\.3» không hợp lệ/],
        [`/duyet ${'f'.repeat(33)}`, /không hợp lệ/],
        ['/duyet 000000', /^Không có đề nghị gia hạn nào đang chờ với mã «000000»/],
      ];
      for (const [text, answer] of cases) expect(only(await svc.handleText(admin, text)).text, text).toMatch(answer);
      expect(await snapshot(w.orgId)).toEqual(before);
    });

    it('approves once for an administrator; the unit is told; a second /duyet or /tuchoi says it was decided', async () => {
      const { svc, sent } = service();
      const o = await obligationOf(w.unitA.id, '4.3');
      const ref = shortRef(requestId);
      const outcome = await svc.handleText(admin, `/duyet ${ref.toUpperCase()}`);
      expect(only(outcome).text).toBe('✅ Đã duyệt gia hạn 4.3 «Nhiệm vụ 4.3» đến thứ Tư, 30/12/2026');
      const request = await db.extensionRequest.findUniqueOrThrow({ where: { id: requestId } });
      expect(request).toMatchObject({ status: 'approved', decidedBy: 'Quản trị' });
      expect((await db.obligation.findUniqueOrThrow({ where: { id: o.id } })).extendedTo).toEqual(request.requestedDue);
      expect(
        await db.auditEvent.count({ where: { orgId: w.orgId, action: 'extension.approve', entityId: o.id } }),
      ).toBe(1);

      await outcome.later!();
      const told = '✅ Đã duyệt gia hạn 4.3 «Nhiệm vụ 4.3» đến thứ Tư, 30/12/2026 (Quản trị).';
      expect(sent).toEqual(
        expect.arrayContaining([
          { channel: 'zalo', address: zalo.chatId, notice: { text: told } },
          { channel: 'telegram', address: colleague.caller.chatId, notice: { text: told } },
        ]),
      );
      expect(sent.map((s) => s.address)).not.toContain(supervisor.caller.chatId);

      const before = await snapshot(w.orgId);
      const second = await svc.handleText(admin, `/duyet ${ref}`);
      expect(only(second).text).toMatch(/đã được duyệt \(Quản trị\) trước đó/);
      expect(second.later).toBeUndefined();
      expect(only(await svc.handleText(supervisor.caller, `/tuchoi ${ref}`)).text).toMatch(
        /đã được duyệt \(Quản trị\) trước đó/,
      );
      expect(await snapshot(w.orgId)).toEqual(before);
    });

    it('refuses with /tuchoi: the due date stays, the unit is told', async () => {
      const { svc, sent } = service();
      const bZalo = await link(w.b.id, 'zalo');
      await (
        await svc.handleText(bZalo, '/giahan B.1 25/11 chờ ý kiến')
      ).later!();
      const o = await obligationOf(w.unitB.id, 'B.1');
      const request = await db.extensionRequest.findFirstOrThrow({ where: { obligationId: o.id } });
      expect(formatInTimeZone(request.requestedDue, ZONE, 'dd/MM/yyyy')).toBe('25/11/2026');
      sent.length = 0;
      const outcome = await svc.handleText(supervisor.caller, `/tuchoi ${shortRef(request.id)}`);
      expect(only(outcome).text).toBe('❌ Không duyệt gia hạn B.1 «Nhiệm vụ riêng của đơn vị 2»');
      expect(await db.extensionRequest.findUniqueOrThrow({ where: { id: request.id } })).toMatchObject({
        status: 'refused',
        decidedBy: 'Giám sát',
      });
      expect((await db.obligation.findUniqueOrThrow({ where: { id: o.id } })).extendedTo).toBeNull();
      await outcome.later!();
      expect(sent).toEqual(
        expect.arrayContaining([
          {
            channel: 'zalo',
            address: bZalo.chatId,
            notice: { text: '❌ Không duyệt gia hạn B.1 «Nhiệm vụ riêng của đơn vị 2» (Giám sát).' },
          },
        ]),
      );
    });

    it('says a reference is ambiguous when two pending requests share it, and takes a longer one', async () => {
      const { svc } = service();
      const [x, y] = [await obligationOf(w.unitA.id, '4.2'), await obligationOf(w.unitB.id, '4.2')];
      const ids = ['abcdef00-0000-4000-8000-000000000001', 'abcdef00-0000-4000-8000-000000000002'];
      await db.extensionRequest.createMany({
        data: [x, y].map((o, i) => ({
          id: ids[i]!,
          orgId: w.orgId,
          obligationId: o.id,
          requestedDue: new Date('2026-11-30T16:59:59Z'),
          reason: 'thử',
        })),
      });
      const before = await snapshot(w.orgId);
      expect(only(await svc.handleText(admin, '/duyet abcdef')).text).toMatch(
        /^Mã «abcdef» trùng nhiều đề nghị; gõ thêm ký tự của mã/,
      );
      expect(await snapshot(w.orgId)).toEqual(before);
      expect(only(await svc.handleText(admin, `/tuchoi ${ids[1]}`)).text).toBe(
        '❌ Không duyệt gia hạn 4.2 «Nhiệm vụ 4.2»',
      );
      expect((await db.extensionRequest.findUniqueOrThrow({ where: { id: ids[1] } })).status).toBe('refused');
      // Only one of them is still pending: the short reference names it again.
      expect(only(await svc.handleText(admin, '/duyet abcdef')).text).toBe(
        '✅ Đã duyệt gia hạn 4.2 «Nhiệm vụ 4.2» đến thứ Hai, 30/11/2026',
      );
      expect((await db.extensionRequest.findUniqueOrThrow({ where: { id: ids[0] } })).status).toBe('approved');
    });
  });

  describe('choosing one’s channels with /kenh', () => {
    let w: World;
    beforeAll(async () => {
      w = await buildWorld('channels');
    });
    const contactChannelAudits = (orgId: string) =>
      db.auditEvent.count({ where: { orgId, action: 'contact.channels' } });

    it('shows the order, the failing ones, and what is linked', async () => {
      const { svc } = service();
      const zalo = await link(w.a.id, 'zalo');
      await db.contact.update({ where: { id: w.a.id }, data: { disabledChannels: ['sandbox'] } });
      const text = only(await svc.handleText(zalo, '/kenh')).text;
      // No record of why: what the contact can do all the same.
      expect(text).toMatch(
        /^Thứ tự kênh nhận nhắc: Zalo → Hộp thư thử \(đang lỗi: tin nhắc không gửi được tới đây — nhờ quản trị viên kiểm tra địa chỉ; chọn lại kênh này bằng \/kenh để thử lại\)\./,
      );
      expect(text).toContain('Các kênh: Telegram: chưa có, Zalo: đã có, Email: chưa có.');
      expect(text).toContain('Đổi: /kenh zalo email');
      const tg = await addPerson(w, w.unitB.id, 'Người Telegram', 'telegram');
      expect(only(await svc.handleText(tg.caller, '/channels')).text).toContain('Đổi: /kenh telegram email');
    });

    it('says why a channel is failing, in words for the contact and their language, never the channel’s answer', async () => {
      const { svc } = service();
      const person = await addPerson(w, w.unitA.id, 'Người chặn bot', 'zalo');
      await db.contact.update({
        where: { id: person.contact.id },
        data: { telegramChatId: BigInt(telegramId()), channels: ['telegram', 'zalo'], disabledChannels: ['telegram'] },
      });
      const blocked = telegramDeliveryError(
        new GrammyError(
          'Call to sendMessage failed',
          { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' },
          'sendMessage',
          {},
        ),
      );
      await db.auditEvent.create({
        data: {
          orgId: w.orgId,
          actor: 'system',
          action: 'contact.channel-disabled',
          entity: 'contact',
          entityId: person.contact.id,
          data: { channel: 'telegram', reason: blocked.message },
        },
      });
      const vi = only(await svc.handleText(person.caller, '/kenh')).text;
      expect(vi).toMatch(
        /^Thứ tự kênh nhận nhắc: Telegram \(đang lỗi: anh\/chị đã chặn bot trên Telegram — mở lại bot, bỏ chặn rồi gửi \/start\) → Zalo\./,
      );
      await db.contact.update({ where: { id: person.contact.id }, data: { locale: 'en' } });
      const en = only(await svc.handleText(person.caller, '/kenh')).text;
      expect(en).toMatch(
        /^Your reminder channels, in order: Telegram \(failing: you blocked the bot in Telegram — open it, unblock it and send \/start\) → Zalo\./,
      );
      for (const text of [vi, en]) expect(text).not.toMatch(/Forbidden|blocked by the user|403/);
    });

    it('refuses a channel the person cannot be reached on, an unknown name, or the sandbox, and changes nothing', async () => {
      const { svc } = service();
      const person = await addPerson(w, w.unitA.id, 'Người chưa có email', 'zalo');
      const before = await snapshot(w.orgId);
      const cases: [string, RegExp][] = [
        ['/kenh zalo email', /^Chưa dùng được: chưa có địa chỉ email \(nhờ quản trị viên thêm\)\./],
        ['/kenh telegram', /^Chưa dùng được: Telegram chưa liên kết/],
        ['/kenh sandbox', /^Kênh không hợp lệ: «sandbox»; dùng telegram, zalo, email\./],
        ['/kenh fax zalo', /^Kênh không hợp lệ: «fax»/],
        ['/kenh zalo, bồ câu', /^Kênh không hợp lệ: «bồ», «câu»/],
      ];
      for (const [text, answer] of cases)
        expect(only(await svc.handleText(person.caller, text)).text, text).toMatch(answer);
      expect(await snapshot(w.orgId)).toEqual(before);
    });

    it('saves a new order: a failing channel chosen again works again, the contact is reachable again, and it is audited', async () => {
      const { svc } = service();
      const person = await addPerson(w, w.unitB.id, 'Người đổi kênh', 'zalo');
      await db.contact.update({
        where: { id: person.contact.id },
        data: {
          email: 'doi.kenh@example.gov.vn',
          channels: ['zalo', 'sandbox'],
          disabledChannels: ['email', 'zalo'],
          unreachableSince: new Date(NOW.getTime() - 86_400_000),
        },
      });
      const audits = await contactChannelAudits(w.orgId);
      expect(only(await svc.handleText(person.caller, '/kênh thư → Zalo')).text).toBe(
        'Đã lưu thứ tự kênh: Email → Zalo.',
      );
      const after = await db.contact.findUniqueOrThrow({ where: { id: person.contact.id } });
      expect(after).toMatchObject({ channels: ['email', 'zalo'], disabledChannels: [], unreachableSince: null });
      expect(await contactChannelAudits(w.orgId)).toBe(audits + 1);
      const row = await db.auditEvent.findFirstOrThrow({
        where: { orgId: w.orgId, action: 'contact.channels', entityId: person.contact.id },
      });
      expect(row).toMatchObject({
        actor: `zalo:${person.caller.userId}`,
        entity: 'contact',
        data: { channels: ['email', 'zalo'] },
      });

      expect(only(await svc.handleText(person.caller, '/kenh zalo')).text).toBe('Đã lưu thứ tự kênh: Zalo.');
      expect((await db.contact.findUniqueOrThrow({ where: { id: person.contact.id } })).channels).toEqual(['zalo']);
      // «thư» typed decomposed (NFD), as some phone keyboards send it.
      expect(only(await svc.handleText(person.caller, '/kenh zalo thu\u031b')).text).toBe(
        'Đã lưu thứ tự kênh: Zalo → Email.',
      );
    });
  });

  describe('in a Telegram group', () => {
    let w: World;
    beforeAll(async () => {
      w = await buildWorld('group');
    });

    it('stays silent on ordinary talk and unknown commands, linked or not', async () => {
      const { svc, sent } = service();
      const group = caller('telegram', String(-1_001_000_000 - ++seq), true);
      const member = { ...group, userId: telegramId() };
      for (const text of ['chào cả nhà', 'xong 4.2 rồi nhé', '/foo', '/lenhla@dondoc_bot 4.2']) {
        expect((await svc.handleText(member, text)).replies, text).toEqual([]);
      }
      // Also when the group is linked to a unit.
      await db.contact.create({
        data: {
          orgId: w.orgId,
          unitId: w.unitA.id,
          name: 'Nhóm Đơn vị thử 1',
          telegramChatId: BigInt(group.chatId),
          channels: ['telegram'],
        },
      });
      expect((await svc.handleText(member, 'ai làm 4.2 chưa?')).replies).toEqual([]);
      expect(sent).toEqual([]);
    });

    it('lets anyone in a group linked to a unit act for that unit', async () => {
      const { svc } = service();
      const group = caller('telegram', String(-1_001_000_000 - ++seq), true);
      const groupContact = await db.contact.create({
        data: {
          orgId: w.orgId,
          unitId: w.unitB.id,
          name: 'Nhóm Đơn vị thử 2',
          telegramChatId: BigInt(group.chatId),
          channels: ['telegram'],
        },
      });
      const member = { ...group, userId: telegramId() };
      expect((await svc.identify(member))?.id).toBe(groupContact.id);
      expect(only(await svc.handleText(member, '/viec@dondoc_bot')).text).toContain(
        'Nhiệm vụ đang mở của Đơn vị thử 2',
      );
    });
  });

  describe('administrators’ /tonghop and /nhac', () => {
    let w: World;
    beforeAll(async () => {
      w = await buildWorld('admin');
    });

    it('are refused to contacts, and answered for administrators', async () => {
      const { svc, dispatched, clock } = service();
      const person = await link(w.a.id, 'zalo');
      const admin = await link(w.admin.id, 'zalo');
      const before = await snapshot(w.orgId);
      expect(only(await svc.handleText(person, '/tonghop')).text).toMatch(/^Lệnh này dành cho quản trị viên/);
      expect(only(await svc.handleText(person, '/nhac Đơn vị thử 2')).text).toMatch(/^Lệnh này dành cho quản trị viên/);
      expect(await snapshot(w.orgId)).toEqual(before);
      expect(dispatched).toEqual([]);

      expect(only(await svc.handleText(admin, '/tonghop')).text).toBe('Không đơn vị nào trễ hạn. 🎉');
      clock.set(new Date('2026-11-21T01:00:00Z'));
      expect(only(await svc.handleText(admin, '/status')).text).toBe(
        'Đơn vị trễ hạn (2), nhiệm vụ chưa xác nhận:\n• Đơn vị thử 2: 4.2, B.1\n• Đơn vị thử 1: 4.2',
      );
      expect(only(await svc.handleText(admin, '/nhac Đơn vị thử 2')).text).toMatch(
        /^Đã gửi \d+ nhắc nhở cho Đơn vị thử 2\./,
      );
      expect(dispatched).toEqual([w.orgId]);
      expect(only(await svc.handleText(admin, '/nhac')).text).toMatch(/^Cách dùng: \/nhac <tên đơn vị>/);
    });
  });

  describe('naming the period with /xong, /giahan and /hoantac', () => {
    let w: World;
    let zalo: Caller;
    let tg: Caller;
    /** A quarterly duty of unit 1 with three periods open: 2025-Q4 (long overdue), 2026-Q3 (overdue) and 2026-Q4. */
    let q: Record<'2025-Q4' | '2026-Q3' | '2026-Q4', { id: string }>;
    beforeAll(async () => {
      w = await buildWorld('periods');
      zalo = await link(w.a.id, 'zalo');
      tg = (await addPerson(w, w.unitA.id, 'Đồng nghiệp Telegram', 'telegram')).caller;
      const plan = await db.plan.findFirstOrThrow({ where: { orgId: w.orgId } });
      const duty = await db.duty.create({
        data: {
          orgId: w.orgId,
          planId: plan.id,
          code: 'Q.1',
          title: 'Báo cáo quý',
          timeframe: 'hằng quý',
          position: 10,
        },
      });
      const make = (periodKey: string, due: string) =>
        db.obligation.create({
          data: { orgId: w.orgId, dutyId: duty.id, unitId: w.unitA.id, periodKey, dueAt: new Date(`${due}T16:59:59Z`) },
        });
      q = {
        '2025-Q4': await make('2025-Q4', '2025-12-31'),
        '2026-Q3': await make('2026-Q3', '2026-09-30'),
        '2026-Q4': await make('2026-Q4', '2026-12-31'),
      };
    });
    const statusOf = async (id: string) => (await db.obligation.findUniqueOrThrow({ where: { id } })).status;

    it('lists each open period with the code to type', async () => {
      const { svc } = service();
      const reply = only(await svc.handleText(zalo, '/viec'));
      expect(reply.text).toContain('• Q.1-2025Q4 «Báo cáo quý» — hạn thứ Tư, 31/12/2025');
      expect(reply.text).toContain('• Q.1-2026Q3 «Báo cáo quý» — hạn thứ Tư, 30/09/2026');
      expect(reply.text).toContain('• Q.1-2026Q4 «Báo cáo quý» — hạn thứ Năm, 31/12/2026');
      expect(reply.text).toContain('ví dụ: /xong Q.1-2025Q4 đã gửi báo cáo');
      const buttons = only(await svc.handleText(tg, '/viec'))
        .buttons!.flat()
        .map((b) => b.text);
      expect(buttons).toEqual(expect.arrayContaining(['✅ Q.1-2026Q4 — hạn thứ Năm, 31/12/2026']));
    });

    it('with the duty’s code alone, asks which period (buttons on Telegram, codes on Zalo) and changes nothing', async () => {
      const { svc } = service();
      const before = await snapshot(w.orgId);
      const typed = only(await svc.handleText(zalo, '/xong Q.1 đã gửi'));
      expect(typed.text).toMatch(
        /^Nhiệm vụ Q\.1 «Báo cáo quý» có 3 kỳ đang mở; anh\/chị xác nhận kỳ nào\? Chưa có gì thay đổi\./,
      );
      expect(typed.text).toContain('• Quý III/2026, hạn thứ Tư, 30/09/2026: /xong Q.1-2026Q3 [ghi chú]');
      expect(typed.text).toContain('/xong Q.1-2025Q4 [ghi chú]');
      expect(typed.text).toContain('/xong Q.1-2026Q4 [ghi chú]');
      expect(typed.buttons).toBeUndefined();
      const pressed = only(await svc.handleText(tg, '/xong q.1'));
      expect(pressed.buttons?.flat().map((b) => decodeButton(b.data))).toEqual([
        { action: 'done', id: q['2025-Q4'].id },
        { action: 'done', id: q['2026-Q3'].id },
        { action: 'done', id: q['2026-Q4'].id },
      ]);
      expect(pressed.buttons?.flat().map((b) => b.text)).toEqual([
        '✅ Q.1-2025Q4 — hạn thứ Tư, 31/12/2025',
        '✅ Q.1-2026Q3 — hạn thứ Tư, 30/09/2026',
        '✅ Q.1-2026Q4 — hạn thứ Năm, 31/12/2026',
      ]);
      expect(await snapshot(w.orgId)).toEqual(before);
    });

    it('/giahan with the duty’s code alone asks which period too, with 📅 buttons on Telegram, and changes nothing', async () => {
      const { svc } = service();
      const before = await snapshot(w.orgId);
      expect(only(await svc.handleText(zalo, '/giahan Q.1 15/01/2027 chờ số liệu')).text).toContain(
        '/giahan Q.1-2026Q4 <ngày> <lý do>',
      );
      const pressed = only(await svc.handleText(tg, '/giahan Q.1 15/01/2027 chờ số liệu'));
      expect(pressed.buttons?.flat().map((b) => decodeButton(b.data)?.action)).toEqual(['extend', 'extend', 'extend']);
      expect(await snapshot(w.orgId)).toEqual(before);
    });

    it('confirms exactly the period the code names, whatever the case and separators, and keeps the note', async () => {
      const { svc } = service();
      const reply = only(await svc.handleText(zalo, '/xong q.1-2026q4 đã gửi báo cáo quý IV'));
      expect(reply.text).toMatch(/^✅ Đã ghi nhận: Đơn vị thử 1 hoàn thành nhiệm vụ Q\.1-2026Q4 «Báo cáo quý»/);
      expect(await statusOf(q['2026-Q4'].id)).toBe('done');
      expect(await statusOf(q['2025-Q4'].id)).toBe('open');
      expect(await statusOf(q['2026-Q3'].id)).toBe('open');
      expect((await db.confirmation.findFirstOrThrow({ where: { obligationId: q['2026-Q4'].id } })).note).toBe(
        'đã gửi báo cáo quý IV',
      );
      // The period typed apart, the Vietnamese way ("quý 3/2026"), names the third quarter.
      only(await svc.handleText(tg, '/xong Q.1 Q3/2026'));
      expect(await statusOf(q['2026-Q3'].id)).toBe('done');
      expect(await statusOf(q['2025-Q4'].id)).toBe('open');
      expect((await db.confirmation.findFirstOrThrow({ where: { obligationId: q['2026-Q3'].id } })).note).toBeNull();
      // A second /xong of a period already confirmed says so, naming the period.
      expect(only(await svc.handleText(zalo, '/xong Q.1_2026/Q4')).text).toMatch(
        /^Nhiệm vụ Q\.1-2026Q4 «Báo cáo quý» .*đã được xác nhận trước đó/,
      );
    });

    it('/hoantac with the duty’s code alone asks which confirmed period, and takes back only the one named', async () => {
      const { svc } = service();
      const before = await snapshot(w.orgId);
      const asked = only(await svc.handleText(zalo, '/hoantac Q.1'));
      expect(asked.text).toMatch(
        /^Nhiệm vụ Q\.1 «Báo cáo quý» có 2 kỳ vừa được xác nhận; anh\/chị rút lại xác nhận kỳ nào\?/,
      );
      expect(asked.text).toContain('/hoantac Q.1-2026Q3');
      expect(asked.text).toContain('/hoantac Q.1-2026Q4');
      expect(await snapshot(w.orgId)).toEqual(before);
      expect(only(await svc.handleText(tg, '/hoantac Q.1-2026Q3')).text).toMatch(
        /^↩️ Đã rút lại xác nhận nhiệm vụ Q\.1-2026Q3/,
      );
      expect(await statusOf(q['2026-Q3'].id)).toBe('open');
      expect(await statusOf(q['2026-Q4'].id)).toBe('done');
    });

    it('asks for more time on the period named, from the command or from the 📅 dialogue', async () => {
      const { svc } = service();
      const typed = only(await svc.handleText(zalo, '/giahan Q.1-2025Q4 15/12/2026 chờ số liệu'));
      expect(typed.text).toMatch(/^Đã gửi đề nghị gia hạn nhiệm vụ Q\.1/);
      expect(await db.extensionRequest.count({ where: { obligationId: q['2025-Q4'].id, status: 'pending' } })).toBe(1);

      const prompt = await svc.handleButton(tg, encodeButton('extend', q['2026-Q3'].id));
      const text = prompt.replies![0]!.text;
      expect(text).toMatch(/^📅 Gia hạn nhiệm vụ Q\.1-2026Q3: /);
      only(await svc.handleText(tg, '20/12/2026 chờ số liệu', { replyToBotText: text }));
      expect(await db.extensionRequest.count({ where: { obligationId: q['2026-Q3'].id, status: 'pending' } })).toBe(1);
      expect(
        await db.extensionRequest.count({
          where: {
            obligation: { dutyId: (await db.duty.findFirstOrThrow({ where: { orgId: w.orgId, code: 'Q.1' } })).id },
          },
        }),
      ).toBe(2);
    });
  });

  describe('a chat linked to contacts in two organisations', () => {
    let a: World;
    let b: World;
    const tg = caller('telegram', telegramId());
    const zalo = caller('zalo', zaloId());
    beforeAll(async () => {
      a = await buildWorld('two-a');
      b = await buildWorld('two-b');
      await db.organisation.update({ where: { id: a.orgId }, data: { name: 'Sở TTTT Hà Nam' } });
      await db.organisation.update({ where: { id: b.orgId }, data: { name: 'Sở TTTT Nam Định' } });
      // The same person, first linked in Hà Nam, then in Nam Định.
      for (const w of [a, b]) {
        await db.contact.update({
          where: { id: w.a.id },
          data: {
            telegramChatId: BigInt(tg.chatId),
            zaloUserId: zalo.chatId,
            channels: ['telegram', 'zalo', 'sandbox'],
          },
        });
      }
    });
    const both = async () => [await snapshot(a.orgId), await snapshot(b.orgId)];

    it('asks which organisation when a code is open in both (buttons on Telegram, codes on Zalo), changing nothing', async () => {
      const { svc } = service();
      const before = await both();
      const pressed = only(await svc.handleText(tg, '/xong 4.2 đã gửi'));
      expect(pressed.text).toMatch(
        /^Mã «4\.2» có ở 2 tổ chức anh\/chị liên kết; anh\/chị muốn làm cho tổ chức nào\? Chưa có gì thay đổi\./,
      );
      expect(pressed.buttons?.flat().map((x) => x.text)).toEqual([
        '✅ 4.2 — Sở TTTT Hà Nam',
        '✅ 4.2 — Sở TTTT Nam Định',
      ]);
      expect(pressed.buttons?.flat().map((x) => decodeButton(x.data))).toEqual([
        { action: 'done', id: (await obligationOf(a.unitA.id, '4.2')).id },
        { action: 'done', id: (await obligationOf(b.unitA.id, '4.2')).id },
      ]);
      const typed = only(await svc.handleText(zalo, '/xong 4.2'));
      expect(typed.buttons).toBeUndefined();
      expect(typed.text).toContain('• Sở TTTT Nam Định: /xong 4.2@two-b');
      expect(typed.text).toContain('• Sở TTTT Hà Nam: /xong 4.2@two-a');
      expect(await both()).toEqual(before);
    });

    it('acts for the organisation the code names, and says which', async () => {
      const { svc } = service();
      const reply = only(await svc.handleText(zalo, '/xong 4.2@TWO-B đã gửi báo cáo'));
      expect(reply.text).toMatch(/^\[Sở TTTT Nam Định\] ✅ Đã ghi nhận: Đơn vị thử 1 hoàn thành nhiệm vụ 4\.2/);
      expect((await obligationOf(b.unitA.id, '4.2')).status).toBe('done');
      expect((await obligationOf(a.unitA.id, '4.2')).status).toBe('open');
      expect((await db.confirmation.findFirstOrThrow({ where: { obligation: { unitId: b.unitA.id } } })).note).toBe(
        'đã gửi báo cáo',
      );
      // Now open in Hà Nam only: the code alone acts there, and the reply names it.
      expect(only(await svc.handleText(tg, '/xong 4.2')).text).toMatch(/^\[Sở TTTT Hà Nam\] ✅ Đã ghi nhận/);
      expect((await obligationOf(a.unitA.id, '4.2')).status).toBe('done');
    });

    it('lets a ✅ of either organisation’s reminder confirm for that organisation', async () => {
      const { svc } = service();
      const o = await obligationOf(b.unitA.id, '4.3');
      const answer = await svc.handleButton(tg, encodeButton('done', o.id));
      expect(answer.answer.text).toMatch(/^✅ Đã ghi nhận/);
      expect((await db.obligation.findUniqueOrThrow({ where: { id: o.id } })).status).toBe('done');
      expect((await db.confirmation.findFirstOrThrow({ where: { obligationId: o.id } })).contactId).toBe(b.a.id);
      expect((await obligationOf(a.unitA.id, '4.3')).status).toBe('open');
    });

    it('lists each organisation’s duties under its name', async () => {
      const { svc } = service();
      const replies = (await svc.handleText(zalo, '/viec')).replies;
      expect(replies.map((r) => r.text.split('\n')[0])).toEqual([
        '[Sở TTTT Hà Nam] Nhiệm vụ đang mở của Đơn vị thử 1:',
        '[Sở TTTT Nam Định] Đơn vị thử 1 không còn nhiệm vụ nào đang mở. 🎉',
      ]);
    });

    it('refuses a command that names no organisation, listing them, and changes nothing', async () => {
      const { svc } = service();
      const before = await both();
      const reply = only(await svc.handleText(tg, '/kenh zalo'));
      expect(reply.text).toMatch(
        /^Chat này liên kết với đầu mối ở 2 tổ chức: Sở TTTT Hà Nam \(mã two-a\); Sở TTTT Nam Định \(mã two-b\)\. Lệnh này không nêu tổ chức nào nên chưa làm gì/,
      );
      expect(await both()).toEqual(before);
    });

    it('answers /start without a code with the organisations and contacts the chat is linked to', async () => {
      const { svc } = service();
      for (const chat of [tg, zalo]) {
        const reply = only(await svc.handleText(chat, '/start'));
        expect(reply.text).toMatch(
          /^Chat này liên kết với 2 đầu mối ở 2 tổ chức:\n• Sở TTTT Hà Nam \(mã two-a\): Người 1 — Đơn vị thử 1\n• Sở TTTT Nam Định \(mã two-b\): Người 1 — Đơn vị thử 1\n/,
        );
        expect(reply.text).not.toMatch(/^Chào/);
      }
    });

    describe('a file sent as evidence', () => {
      const orgs =
        'Chat này liên kết với đầu mối ở 2 tổ chức: Sở TTTT Hà Nam (mã two-a); Sở TTTT Nam Định (mã two-b). ';
      /** A reminder delivered to this chat as Telegram message `messageId`, for the contact of `w`'s first unit. */
      const delivered = async (w: World, code: string, messageId: number) => {
        const o = await obligationOf(w.unitA.id, code);
        await db.reminder.create({
          data: {
            orgId: w.orgId,
            obligationId: o.id,
            contactId: w.a.id,
            channel: 'telegram',
            kind: 'lead',
            stage: `lead-${messageId}`,
            scheduledAt: NOW,
            status: 'sent',
            sentAt: NOW,
            externalId: `${tg.chatId}:${messageId}`,
          },
        });
        return o;
      };

      it('in reply to a reminder on Telegram, is for the organisation of the reminder’s obligation, the newer link too', async () => {
        const { svc } = service();
        const inB = await delivered(b, '4.2', 9101);
        const inA = await delivered(a, '4.3', 9102);
        expect(await svc.evidenceFor(tg, { replyToMessageId: 9101 })).toMatchObject({
          contact: { id: b.a.id },
          obligation: { id: inB.id },
          label: '[Sở TTTT Nam Định] ',
        });
        expect(await svc.evidenceFor(tg, { replyToMessageId: 9102 })).toMatchObject({
          contact: { id: a.a.id },
          obligation: { id: inA.id },
          label: '[Sở TTTT Hà Nam] ',
        });
      });

      it('without a reply on Telegram, is refused with the organisations listed and a request to reply to the reminder, even right after /xong', async () => {
        const { svc } = service();
        // Confirmations of this hour exist in both organisations (the tests above): none is taken.
        expect(
          await db.confirmation.count({
            where: { contactId: { in: [a.a.id, b.a.id] }, createdAt: { gte: new Date(NOW.getTime() - 3_600_000) } },
          }),
        ).toBeGreaterThan(0);
        for (const input of [{}, { replyToMessageId: 9999 }]) {
          const answer = await svc.evidenceFor(tg, input);
          expect(answer).toEqual({
            refusal: expect.stringMatching(
              /^Chat này liên kết với đầu mối ở 2 tổ chức: .*Chưa rõ tệp này cho tổ chức nào nên chưa lưu: hãy gửi lại tệp bằng cách trả lời tin nhắc/,
            ),
          });
          expect((answer as { refusal: string }).refusal.startsWith(orgs)).toBe(true);
        }
      });

      it('on Zalo (no replies), is refused until a /xong names the organisation, then is for that one', async () => {
        const { svc, clock } = service();
        // Two hours on: the confirmations above are no longer "just sent".
        clock.advance(2 * 3_600_000);
        const refused = await svc.evidenceFor(zalo);
        expect(refused).toEqual({
          refusal: expect.stringContaining(
            `${orgs}Chưa rõ ảnh này cho tổ chức nào nên chưa lưu: gửi /xong <mã>@<mã tổ chức> rồi gửi ảnh ngay sau đó`,
          ),
        });
        // A duty of the newer organisation only.
        const duty = await db.duty.create({
          data: {
            orgId: b.orgId,
            planId: (await db.plan.findFirstOrThrow({ where: { orgId: b.orgId } })).id,
            code: 'C.1',
            title: 'Nhiệm vụ C',
            timeframe: '2026-12-20',
            position: 10,
          },
        });
        await db.schedule.create({
          data: { orgId: b.orgId, dutyId: duty.id, kind: 'once', due: '2026-12-20', raw: '2026-12-20' },
        });
        await db.assignment.create({
          data: {
            orgId: b.orgId,
            dutyId: duty.id,
            role: 'lead',
            unitId: b.unitA.id,
            target: `u:${b.unitA.id}`,
            rawName: b.unitA.name,
            position: 0,
          },
        });
        await reconcileObligations(db, b.orgId, yearWindow(2026), NOW);
        expect(only(await svc.handleText(zalo, '/xong C.1')).text).toMatch(/^\[Sở TTTT Nam Định\] ✅ Đã ghi nhận/);
        expect(await svc.evidenceFor(zalo)).toMatchObject({
          contact: { id: b.a.id },
          obligation: { id: (await obligationOf(b.unitA.id, 'C.1')).id },
          label: '[Sở TTTT Nam Định] ',
        });
      });
    });
  });

  describe('in each person’s language', () => {
    let w: World;
    beforeAll(async () => {
      w = await buildWorld('lang');
    });

    it('answers a contact whose language is English in English, and tells Vietnamese colleagues in Vietnamese', async () => {
      const { svc, sent } = service();
      await db.contact.update({ where: { id: w.a.id }, data: { locale: 'en' } });
      const english = await link(w.a.id, 'zalo');
      const colleague = await addPerson(w, w.unitA.id, 'Đồng nghiệp', 'telegram');

      const list = only(await svc.handleText(english, '/viec')).text;
      expect(list).toContain('Open duties of Đơn vị thử 1:\n• 4.2 «Nhiệm vụ 4.2» — due Friday, 13/11/2026');
      expect(list).toContain('send /done <code> [note], for example: /done 4.2 report sent.');
      expect(list).not.toMatch(/hạn|Nhiệm vụ đang mở|gõ/);
      expect(only(await svc.handleText(english, '/trogiup')).text).toMatch(
        /^Người 1 — Đơn vị thử 1\n\ndondoc reminds you/,
      );
      expect(only(await svc.handleText(english, '/giahan 4.2 31/02/2026 x')).text).toBe(
        '«31/02/2026» is not a valid date; write it as 30/12/2026.',
      );

      const done = await svc.handleText(english, '/xong 4.2');
      expect(only(done).text).toBe(
        '✅ Recorded: Đơn vị thử 1 has done duty 4.2 «Nhiệm vụ 4.2». The remaining reminders are cancelled.',
      );
      await done.later!();
      expect(sent.map((s) => s.notice.text)).toEqual([
        '✅ Người 1 đã xác nhận Đơn vị thử 1 hoàn thành nhiệm vụ 4.2 «Nhiệm vụ 4.2».',
      ]);
      expect(sent[0]!.address).toBe(colleague.caller.chatId);
      // A service's "Vietnamese / English" error reaches them in English only.
      const undoTwice = await svc.handleText(english, '/hoantac 4.2');
      expect(only(undoTwice).text).toMatch(/^↩️ Confirmation of duty 4\.2 withdrawn/);
      expect(only(await svc.handleText(english, '/hoantac 4.2')).text).toBe(
        'Your unit confirmed nothing for duty «4.2» in the last 24 hours: there is nothing to undo.',
      );
    });

    it('answers a chat not linked yet in Vietnamese, or in English when the Telegram app is in English', async () => {
      const { svc } = service();
      const stranger = (languageCode?: string): Caller => ({
        ...caller('telegram', telegramId()),
        ...(languageCode ? { languageCode } : {}),
      });
      expect(only(await svc.handleText(stranger(), '/viec')).text).toBe(notLinked('vi'));
      expect(only(await svc.handleText(stranger('fr'), '/viec')).text).toBe(notLinked('vi'));
      expect(only(await svc.handleText(stranger('en'), '/viec')).text).toBe(notLinked('en'));
      expect(only(await svc.handleText(stranger('en'), '/start abc')).text).toBe(
        'Invalid invite code. Open the invite link you received again.',
      );
      expect(only(await svc.handleText(stranger('en'), 'xin chào')).text).toBe(
        'Send /tasks to see your duties, /done <code> to confirm one, /help for help.',
      );
    });
  });
});
