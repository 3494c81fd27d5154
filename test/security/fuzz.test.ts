import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandboxChannel } from '#root/channels/sandbox/index.js';
import { encodeButton, type ButtonAction } from '#root/channels/telegram/callback.js';
import { bundlePending } from '#root/services/bundles.js';
import { seedDemo } from '#root/services/demo.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { wallClockStart } from '../helpers/clock.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/processes.js';
import { startFakeTelegram, type FakeTelegram } from '../helpers/telegram-server.js';
import { startZaloServer, type FakeZalo } from '../helpers/zalo-server.js';
import { seededRandom } from '../helpers/random.js';

const TG_TOKEN = '123456:TEST-token_abcdefghijklmnop';
const ZL_TOKEN = '1459232241454765289:ZtestSecretTokenForDondocFake-abc';
/** How many updates (FUZZ_UPDATES=10000 for the full run; the default keeps CI short). */
const N = Number(process.env.FUZZ_UPDATES ?? 3_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261125);

/** Seeded choices: a failing run can be replayed with its seed. */
function prng(seed: number) {
  const next = seededRandom(seed);
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick };
}

const COMMANDS = [
  'start',
  'viec',
  'tasks',
  'xong',
  'done',
  'giahan',
  'extend',
  'hoantac',
  'undo',
  'tonghop',
  'status',
  'nhac',
  'nudge',
  'trogiup',
  'help',
  'kenh',
  'channels',
  'duyet',
  'approve',
  'tuchoi',
  'refuse',
  'Xong',
  'việc',
  'xóa',
  'DROP',
  'x',
];
const NOISE = [
  '',
  ' ',
  '🎉🎉',
  'مرحبا بالعالم',
  'שלום',
  '\u200b\u200d',
  'Ạ̀̀̀̀',
  '<b>x</b>',
  "'; DROP TABLE contacts; --",
  '%s%n%x',
  '\u0000',
  'đã gửi báo cáo',
  '30/12/2026',
  '31/02/2027',
  'hôm qua',
  '15/11',
  '-1',
  '9'.repeat(40),
  'telegram zalo email',
  'sandbox',
  'Sở Y tế',
  'Không tồn tại',
];

interface Sender {
  kind: 'telegram' | 'zalo';
  id: number | string;
  /** Telegram: a group the sender writes in instead of the private chat. */
  group?: number;
  /** The contact behind it, when linked. */
  contact?: { id: string; unitId: string; role: string };
}

/**
 * 10,000 generated updates (a smaller count in CI, FUZZ_UPDATES for the full run): random commands
 * and arguments in both languages, unicode, huge texts, button data of other units and made up,
 * unlinked chats and groups, replays — through the Telegram and Zalo test servers. Then: no
 * unhandled error, and every change in the database is one its sender was entitled to make.
 */
describe('fuzzing the chat commands', () => {
  let t: TestDatabase;
  let tg: FakeTelegram;
  let zl: FakeZalo;
  let s: TestApp;
  let orgId: string;
  const logLines: { level: number; msg: string; err?: { message?: string } }[] = [];
  const senders: Sender[] = [];
  let before: Awaited<ReturnType<typeof snapshot>>;

  async function snapshot() {
    const [contacts, obligations, confirmations, extensions, reminders, invites] = await Promise.all([
      t.prisma.contact.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
      t.prisma.obligation.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
      t.prisma.confirmation.findMany({ where: { orgId }, include: { contact: true, obligation: true } }),
      t.prisma.extensionRequest.findMany({ where: { orgId }, include: { contact: true, obligation: true } }),
      t.prisma.reminder.count({ where: { orgId } }),
      t.prisma.invite.findMany({ where: { orgId } }),
    ]);
    // What was audited after the snapshot: by the audit log's own order, not by a clock.
    const lastAudit = (await t.prisma.auditEvent.aggregate({ _max: { id: true } }))._max.id ?? 0n;
    return { contacts, obligations, confirmations, extensions, reminders, invites, lastAudit };
  }

  beforeAll(async () => {
    t = await createTestDatabase();
    // The bot's confirmations and audit rows take PostgreSQL's real time too: the test's clock starts at it.
    const start = wallClockStart();
    await seedDemo(t.prisma, { orgCode: 'hcm', timeZone: 'Asia/Ho_Chi_Minh', now: start, actor: 'test' });
    orgId = (await t.prisma.organisation.findUniqueOrThrow({ where: { code: 'hcm' } })).id;
    tg = await startFakeTelegram({ limits: false });
    zl = await startZaloServer({ token: ZL_TOKEN, limits: false });
    // Every contact linked (most on Telegram, some on Zalo), the administrator on Telegram, one
    // unit's group with a few people writing in it; and strangers. The bot's own pacing is off
    // (TELEGRAM_LIMITS=off; tested in test/telegram/): at 20 messages a minute to a group, the
    // answers to a few hundred updates in the two groups would take minutes to go out.
    const contacts = await t.prisma.contact.findMany({ where: { orgId, role: 'contact' }, orderBy: { name: 'asc' } });
    const admin = await t.prisma.contact.findFirstOrThrow({ where: { orgId, role: 'admin' } });
    const link = async (
      c: { id: string; unitId: string; role: string },
      data: { telegramChatId?: bigint; zaloUserId?: string },
    ) => {
      await t.prisma.contact.update({
        where: { id: c.id },
        data: { ...data, channels: [data.telegramChatId ? 'telegram' : 'zalo', 'sandbox'] },
      });
      return { id: c.id, unitId: c.unitId, role: c.role };
    };
    senders.push({ kind: 'telegram', id: 8003, contact: await link(admin, { telegramChatId: 8003n }) });
    const groupContact = await link(contacts[0]!, { telegramChatId: -9001n });
    for (let i = 0; i < 4; i++) senders.push({ kind: 'telegram', id: 8050 + i, group: -9001, contact: groupContact });
    for (const [i, c] of contacts.slice(1).entries()) {
      if (i % 4 === 3) senders.push({ kind: 'zalo', id: `zf-${i}`, contact: await link(c, { zaloUserId: `zf-${i}` }) });
      else
        senders.push({
          kind: 'telegram',
          id: 10_000 + i,
          contact: await link(c, { telegramChatId: BigInt(10_000 + i) }),
        });
    }
    const linkedCount = senders.length;
    for (let i = 0; i < linkedCount * 2; i++) senders.push({ kind: 'telegram', id: 20_000 + i });
    for (let i = 0; i < 10; i++) senders.push({ kind: 'telegram', id: 30_000 + i, group: -9999 });
    for (let i = 0; i < linkedCount / 2; i++) senders.push({ kind: 'zalo', id: `zs-${i}` });

    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean))
          logLines.push(JSON.parse(line) as (typeof logLines)[number]);
        done();
      },
    });
    s = await startTestApp(t, {
      start,
      roles: ['bot'],
      channels: { sandbox: createSandboxChannel() },
      env: {
        TELEGRAM_BOT_TOKEN: TG_TOKEN,
        TELEGRAM_API_ROOT: tg.apiRoot,
        ZALO_BOT_TOKEN: ZL_TOKEN,
        ZALO_API_ROOT: zl.apiRoot,
        ZALO_RATE_PER_SECOND: '1000',
        TELEGRAM_LIMITS: 'off',
      },
      logger: pino({ level: 'warn' }, sink),
    });
    before = await snapshot();
  }, 60_000);
  afterAll(async () => {
    await s?.stop();
    await tg?.close();
    await zl?.close();
    await t?.close();
  });

  it(`survives ${N} generated updates and changes only what each sender may change`, async () => {
    const r = prng(SEED);
    const obligations = before.obligations;
    const codes = [...new Set((await t.prisma.duty.findMany({ where: { orgId } })).map((d) => d.code))];
    const sent: Record<string, unknown>[] = [];
    const text = () => {
      const roll = r.next();
      if (roll < 0.05) return r.pick(NOISE);
      if (roll < 0.08) return 'x'.repeat(r.int(4_096)) + r.pick(NOISE);
      if (roll < 0.35) {
        // Well-formed commands, so that the paths that change things are reached too.
        const code = r.pick(codes);
        return r.pick([
          `/xong ${code} ${r.pick(NOISE)}`,
          `/giahan ${code} 30/12/2027 chờ số liệu ${r.pick(NOISE)}`,
          `/hoantac ${code}`,
          `/kenh ${r.pick(['telegram', 'zalo', 'telegram email', 'zalo telegram'])}`,
          `/viec`,
          `/tonghop`,
          `/nhac ${r.pick(['Sở Y tế', 'Sở Tài chính', 'Không có'])}`,
        ]);
      }
      const command = `/${r.pick(COMMANDS)}${r.next() < 0.1 ? r.pick(['@dondoc_bot', '@other_bot', '@']) : ''}`;
      const args = Array.from({ length: r.int(4) }, () => (r.next() < 0.5 ? r.pick(codes) : r.pick(NOISE)));
      return [command, ...args].join(' ');
    };
    const data = () => {
      const roll = r.next();
      if (roll < 0.15)
        return r.pick([
          '',
          'x:',
          'x:AAAAAAAAAAAAAAAAAAAAAA',
          'q:AAAAAAAAAAAAAAAAAAAAAA',
          '💥'.repeat(10),
          'a'.repeat(64),
        ]);
      const action = r.pick<ButtonAction>(['done', 'extend', 'approve', 'refuse', 'list']);
      const id = r.next() < 0.8 ? r.pick(obligations).id : crypto.randomUUID();
      return encodeButton(action, id);
    };
    let messageId = 1;
    const onlyTextOwed = new Map<string, number>();
    for (let i = 0; i < N; i++) {
      const who = r.pick(senders);
      if (who.kind === 'zalo') {
        const roll = r.next();
        let event: string | null = null;
        if (roll < 0.85) zl.userSends(String(who.id), text().slice(0, 2_000) || '?');
        else if (roll < 0.9) zl.userSendsSticker(String(who.id), (event = 'sticker'));
        else {
          event = r.pick(['message.unsupported.received', 'message.voice.received', 'something.new']);
          zl.inject({
            event_name: event,
            message: {
              message_id: `z${i}`,
              date: s.clock.now().getTime(),
              from: { id: String(who.id) },
              chat: { id: String(who.id), chat_type: 'PRIVATE' },
            },
          });
        }
        // A sticker, a voice message or an unsupported one is answered "text only"; an unknown event is not.
        if (event !== null && event !== 'something.new')
          onlyTextOwed.set(String(who.id), (onlyTextOwed.get(String(who.id)) ?? 0) + 1);
        continue;
      }
      const chat = who.group ?? Number(who.id);
      const from = { id: Number(who.id), is_bot: false, first_name: 'Fuzz' };
      const roll = r.next();
      let update: Record<string, unknown>;
      if (roll < 0.6) {
        update = {
          message: {
            message_id: messageId++,
            date: Math.floor(s.clock.now().getTime() / 1000),
            chat: { id: chat, type: who.group ? 'group' : 'private' },
            from,
            text: text(),
          },
        };
      } else if (roll < 0.9) {
        update = {
          callback_query: {
            id: `cq${i}`,
            from,
            chat_instance: 'fuzz',
            data: data(),
            message: {
              message_id: 1,
              date: Math.floor(s.clock.now().getTime() / 1000),
              chat: { id: chat, type: who.group ? 'group' : 'private' },
              from: { id: 123456, is_bot: true, first_name: 'dondoc' },
              text: 'x',
            },
          },
        };
      } else if (roll < 0.95 && sent.length) {
        // A replay of an earlier update (a new update_id, the same content).
        update = { ...r.pick(sent) };
        delete update.update_id;
      } else {
        update = {
          edited_message: {
            message_id: messageId++,
            date: Math.floor(s.clock.now().getTime() / 1000),
            edit_date: Math.floor(s.clock.now().getTime() / 1000),
            chat: { id: chat, type: 'private' },
            from,
            text: '/xong 4.7',
          },
        };
      }
      sent.push(tg.inject(update));
    }
    // Every update handled: both bots handle one chat's updates in order, so a last update in each
    // chat, answered, says that chat's earlier ones were. On Telegram a button press (every press is
    // answered, by its id); on Zalo a sticker-like event (answered "text only", as are the fuzz's own).
    const marks: string[] = [];
    for (const chat of new Set(senders.filter((x) => x.kind === 'telegram').map((x) => x.group ?? Number(x.id)))) {
      const who = senders.find((x) => x.kind === 'telegram' && (x.group ?? Number(x.id)) === chat)!;
      const from = { id: Number(who.id), is_bot: false, first_name: 'Fuzz' };
      marks.push(`end-${chat}`);
      tg.inject({
        callback_query: {
          id: `end-${chat}`,
          from,
          chat_instance: 'fuzz',
          data: 'x:',
          message: {
            message_id: 1,
            date: Math.floor(s.clock.now().getTime() / 1000),
            chat: { id: chat, type: who.group ? 'group' : 'private' },
            from: { id: 123456, is_bot: true, first_name: 'dondoc' },
            text: 'x',
          },
        },
      });
    }
    const onlyText = (m: { text?: string | null }) => (m.text ?? '').startsWith('Bot chỉ hiểu lệnh bằng chữ');
    const zaloChats = senders.filter((x) => x.kind === 'zalo').map((x) => String(x.id));
    for (const id of zaloChats) {
      zl.inject({
        event_name: 'message.unsupported.received',
        message: {
          message_id: `end-${id}`,
          date: s.clock.now().getTime(),
          from: { id },
          chat: { id, chat_type: 'PRIVATE' },
        },
      });
    }
    await waitFor(
      async () => {
        const answered = new Set(tg.callbackAnswers.map((a) => String(a.callback_query_id)));
        return (
          marks.every((id) => answered.has(id)) &&
          zaloChats.every((id) => zl.sent(id).filter(onlyText).length > (onlyTextOwed.get(id) ?? 0))
        );
      },
      240_000,
      'the bots to finish',
    );

    // No unhandled error.
    const errors = logLines.filter((l) => l.level >= 50);
    expect(errors.map((e) => `${e.msg}: ${e.err?.message ?? ''}`).slice(0, 5)).toEqual([]);

    const after = await snapshot();
    const linked = new Map(senders.filter((x) => x.contact).map((x) => [x.contact!.id, x]));
    const admins = new Set([...linked.values()].filter((x) => x.contact!.role === 'admin').map((x) => x.contact!.id));
    const beforeConfirmations = new Set(before.confirmations.map((c) => c.id));

    // Confirmations: only by linked people, each for their own unit.
    for (const c of after.confirmations.filter((c) => !beforeConfirmations.has(c.id))) {
      expect(linked.has(c.contactId ?? ''), `confirmation by ${c.actor}`).toBe(true);
      expect(c.contact!.unitId, `confirmation of another unit's duty by ${c.actor}`).toBe(c.obligation.unitId);
    }
    // Obligations: a change of status or due date only with a confirmation, a withdrawal or an approved request of that unit.
    const beforeObligations = new Map(before.obligations.map((o) => [o.id, o]));
    for (const o of after.obligations) {
      const b = beforeObligations.get(o.id)!;
      if (b.status !== o.status) {
        const own = after.confirmations.filter((c) => c.obligationId === o.id);
        expect(
          own.length,
          `obligation ${o.id} changed ${b.status} → ${o.status} without a confirmation`,
        ).toBeGreaterThan(0);
        expect(own.every((c) => c.contact?.unitId === o.unitId)).toBe(true);
      }
      if (String(b.extendedTo) !== String(o.extendedTo)) {
        const approved = after.extensions.filter((e) => e.obligationId === o.id && e.status === 'approved');
        expect(approved.length, `obligation ${o.id} extended without an approved request`).toBeGreaterThan(0);
      }
    }
    // Extension requests: asked by the unit's own people; decided only by administrators.
    const adminNames = new Set(after.contacts.filter((c) => admins.has(c.id)).map((c) => c.name));
    for (const e of after.extensions) {
      expect(linked.has(e.contactId ?? ''), `request by ${e.contactId}`).toBe(true);
      expect(e.contact?.unitId).toBe(e.obligation.unitId);
      if (e.status !== 'pending') expect(adminNames.has(e.decidedBy ?? ''), `decided by ${e.decidedBy}`).toBe(true);
    }
    // Contacts: nobody linked or unlinked (no valid invite was ever sent); channels changed only by their own person.
    const beforeContacts = new Map(before.contacts.map((c) => [c.id, c]));
    for (const c of after.contacts) {
      const b = beforeContacts.get(c.id)!;
      expect([c.telegramChatId, c.zaloUserId, c.role, c.unitId, c.active]).toEqual([
        b.telegramChatId,
        b.zaloUserId,
        b.role,
        b.unitId,
        b.active,
      ]);
      if (JSON.stringify([c.channels, c.disabledChannels]) !== JSON.stringify([b.channels, b.disabledChannels]))
        expect(linked.has(c.id), `channels of ${c.name}`).toBe(true);
    }
    expect(after.invites.map((i) => i.usedAt)).toEqual(before.invites.map((i) => i.usedAt));
    // Audit rows: only linked people (or the system) acted; nudges only by the administrator.
    const audits = await t.prisma.auditEvent.findMany({ where: { orgId, id: { gt: before.lastAudit } } });
    // From every linked sender, not one per contact: four people write in the unit's group as one contact.
    const actors = new Set(
      senders.filter((x) => x.contact).flatMap((x) => [`contact:${x.contact!.id}`, `${x.kind}:${x.id}`]),
    );
    for (const a of audits)
      expect(actors.has(a.actor) || a.actor === 'system', `audit by ${a.actor}: ${a.action}`).toBe(true);
    for (const a of audits.filter((a) => a.action === 'obligation.nudge')) expect(a.actor).toBe('telegram:8003');
    if (after.reminders > before.reminders) expect(audits.some((a) => a.action === 'obligation.nudge')).toBe(true);
    // The nudges' reminders go out as one message per contact and nudge, each reminder in exactly
    // one, and a whole-unit nudge carries only what is overdue or due soon (never a period a year ahead).
    await bundlePending(t.prisma, orgId, new Date());
    const nudged = await t.prisma.reminder.findMany({
      where: { orgId, stage: { startsWith: 'nudge-' } },
      include: { obligation: true },
    });
    const bundles = await t.prisma.bundle.findMany({ where: { orgId, slot: { startsWith: 'nudge-' } } });
    const slotOf = (stage: string) => stage.split('@')[0]!;
    expect(new Set(nudged.map((r) => `${r.contactId}|${r.channel}|${slotOf(r.stage)}`)).size).toBe(bundles.length);
    for (const r of nudged) {
      const mine = bundles.filter(
        (b) => b.contactId === r.contactId && b.channel === r.channel && b.slot === slotOf(r.stage),
      );
      expect(mine.length, `the messages of reminder ${r.id}`).toBe(1);
      const due = r.obligation.extendedTo ?? r.obligation.dueAt;
      expect(due.getTime() - r.scheduledAt.getTime()).toBeLessThan(45 * 86_400_000);
    }
    // The fuzz did reach the interesting paths: commands answered, presses answered, some changes made.
    expect(tg.callbackAnswers.length).toBeGreaterThan(N / 10);
    expect(after.confirmations.length).toBeGreaterThan(before.confirmations.length);
    expect(after.extensions.length + audits.filter((a) => a.action === 'contact.channels').length).toBeGreaterThan(0);
    console.log(
      `fuzz: ${N} updates (seed ${SEED}); ${after.confirmations.length - before.confirmations.length} confirmations, ${after.extensions.length} extension requests, ` +
        `${audits.length} audit rows, ${tg.callbackAnswers.length} presses answered, ${tg.sent().length + zl.sent().length} messages sent; all entitled`,
    );
    expect(zl.sent().length).toBeGreaterThan(0);
  }, 300_000);
});
