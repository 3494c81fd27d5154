import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redeemInvite } from '#root/services/chat.js';
import { buildMiniOrg } from '../helpers/builders.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { cliTimeout, runCli, runCliInProcess } from '../helpers/run-cli.js';

/** The line of a table that names a contact. */
const lineOf = (stdout: string, name: string) => stdout.split('\n').find((l) => l.includes(`  ${name}  `)) ?? '';

/**
 * The administrator's view of contacts and their channels, through the real command line: who is
 * linked where, which channels failed, who cannot be reached at all, and how to fix it. The first
 * test starts the program; the others run its commands in this process (a start-up took up to
 * 18 s on a loaded machine).
 */
describe('the dondoc command line: contacts and their channels', () => {
  let t: TestDatabase;
  let env: Record<string, string>;
  let orgId: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestDatabase();
    const now = new Date('2026-11-09T01:00:00Z');
    const mini = await buildMiniOrg(t.prisma, {
      code: 'cli',
      units: 3,
      duties: [{ code: '4.2', due: '2026-11-13' }],
      admin: true,
      now,
    });
    orgId = mini.org.id;
    env = { DATABASE_URL: t.url, DEFAULT_ORG: 'cli', USER: 'tester' };
    const [one, two, three] = mini.contacts;
    // Zalo failed, email still works.
    await t.prisma.contact.update({
      where: { id: one!.id },
      data: {
        zaloUserId: 'zl-cli-1',
        email: 'nguoi1@example.gov.vn',
        channels: ['zalo', 'email'],
        disabledChannels: ['zalo'],
      },
    });
    // Telegram, its only channel, failed.
    await t.prisma.contact.update({
      where: { id: two!.id },
      data: { telegramChatId: 880_001n, channels: ['telegram'], disabledChannels: ['telegram'] },
    });
    // The administrators were told this one cannot be reached.
    await t.prisma.contact.update({
      where: { id: three!.id },
      data: { email: 'nguoi3@example.gov.vn', channels: ['email'], unreachableSince: new Date('2026-11-08T03:00:00Z') },
    });
    // No longer in charge: unreachable, but nobody's concern.
    await t.prisma.contact.create({
      data: {
        orgId,
        unitId: mini.units[2]!.id,
        name: 'Người cũ',
        active: false,
        channels: ['email'],
        disabledChannels: ['email'],
      },
    });
    for (const c of await t.prisma.contact.findMany({ where: { orgId } })) ids[c.name] = c.id;
    // Why each failed, as the delivery recorded it: the channel's own answer.
    const disabled = (name: string, channel: string, reason: string) =>
      t.prisma.auditEvent.create({
        data: {
          orgId,
          actor: 'system',
          action: 'contact.channel-disabled',
          entity: 'contact',
          entityId: ids[name]!,
          data: { channel, reason },
        },
      });
    await disabled('Người 1', 'zalo', 'Zalo 403: User has blocked the OA');
    await disabled('Người 2', 'telegram', 'Telegram 403: Forbidden: bot was blocked by the user');
  });
  afterAll(() => t?.close());

  it(
    'lists contacts with their Telegram and Zalo links, their channels in order and the failing ones marked',
    async () => {
      const r = await runCli(['contacts', 'list'], env);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.split('\n')[0]).toMatch(/^Mã số\s+Tên\s+Đơn vị\s+Vai trò\s+Kênh\s+Telegram\s+Zalo\s+Tình trạng$/);
      expect(lineOf(r.stdout, 'Người 1')).toMatch(/Đơn vị thử 1\s+đầu mối\s+zalo \(lỗi\) → email\s+đã liên kết$/);
      expect(lineOf(r.stdout, 'Người 2')).toMatch(
        /Đơn vị thử 2\s+đầu mối\s+telegram \(lỗi\)\s+đã liên kết\s+mọi kênh đều lỗi$/,
      );
      expect(lineOf(r.stdout, 'Người 3')).toMatch(
        /Đơn vị thử 3\s+đầu mối\s+email\s+không liên lạc được từ 08\/11\/2026$/,
      );
      expect(lineOf(r.stdout, 'Quản trị')).toMatch(/Đơn vị thử 1\s+quản trị\s+sandbox$/);
      expect(lineOf(r.stdout, 'Người cũ')).toMatch(/ngừng$/);
      expect(r.stdout).toContain('(lỗi): kênh đã lỗi hẳn');
      // What happened to each failed channel, and what to do, in words; never the channel's answer.
      expect(r.stdout).toContain(
        'Kênh lỗi:\n' +
          '  Người 1 — Zalo: người nhận đã chặn bot Zalo — nhờ họ bỏ chặn rồi gửi /start cho bot\n' +
          '  Người 2 — Telegram: người nhận đã chặn bot — nhờ họ mở lại bot và gửi /start\n',
      );
      expect(r.stdout).not.toMatch(/Forbidden|blocked|Zalo 403/);
    },
    cliTimeout(1),
  );

  it('with --unreachable, lists only the active contacts with no working channel, and how to fix it', async () => {
    const r = await runCliInProcess(['contacts', 'list', '--unreachable'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const names = ['Người 1', 'Người 2', 'Người 3', 'Quản trị', 'Người cũ'].filter((n) => lineOf(r.stdout, n));
    expect(names).toEqual(['Người 2', 'Người 3']);
    expect(r.stdout).toContain('Sửa: dondoc contacts channels <đầu mối> <kênh…>, hoặc dondoc invite <đầu mối>');
  });

  it('refuses channels it cannot use, unknown names and unknown people, changing nothing', async () => {
    const before = await t.prisma.contact.findMany({ where: { orgId }, orderBy: { id: 'asc' } });
    const cases = [
      {
        args: ['contacts', 'channels', 'Người 2', 'email', 'telegram'],
        message: /Chưa dùng được: chưa có địa chỉ email/,
      },
      {
        args: ['contacts', 'channels', 'Người 1', 'fax'],
        message: /Kênh không hợp lệ: «fax»; dùng sandbox, email, telegram, zalo/,
      },
      { args: ['contacts', 'channels', 'Không có ai', 'email'], message: /Không có người liên hệ «Không có ai»/ },
    ];
    for (const c of cases) {
      const r = await runCliInProcess(c.args, env);
      expect(r.code, c.args.join(' ')).toBe(1);
      expect(r.stderr, c.args.join(' ')).toMatch(c.message);
    }
    expect(await t.prisma.contact.findMany({ where: { orgId }, orderBy: { id: 'asc' } })).toEqual(before);
  });

  it('sets a contact’s channels by id or name: failing ones chosen again work again, the contact is reachable again, audited', async () => {
    const byId = await runCliInProcess(['contacts', 'channels', ids['Người 2']!, 'telegram', 'sandbox'], env);
    expect(byId.stderr).toBe('');
    expect(byId.code).toBe(0);
    expect(byId.stdout.trim()).toBe('Thứ tự kênh của Người 2: telegram → sandbox');
    expect(await t.prisma.contact.findUniqueOrThrow({ where: { id: ids['Người 2']! } })).toMatchObject({
      channels: ['telegram', 'sandbox'],
      disabledChannels: [],
      unreachableSince: null,
    });

    // An administrator may name Zalo before the person has linked it: the output says how to link.
    const byName = await runCliInProcess(['contacts', 'channels', 'người 3', 'zalo,', 'email'], env);
    expect(byName.stderr).toBe('');
    expect(byName.code).toBe(0);
    expect(byName.stdout).toContain('Thứ tự kênh của Người 3: zalo → email');
    expect(byName.stdout).toContain(`Chưa liên kết: zalo — gửi mã mời: dondoc invite ${ids['Người 3']}`);
    expect(await t.prisma.contact.findUniqueOrThrow({ where: { id: ids['Người 3']! } })).toMatchObject({
      channels: ['zalo', 'email'],
      unreachableSince: null,
    });

    const audits = await t.prisma.auditEvent.findMany({
      where: { orgId, action: 'contact.channels' },
      orderBy: { id: 'asc' },
    });
    expect(audits.map((a) => [a.actor, a.entityId, a.data])).toEqual([
      ['cli:tester', ids['Người 2'], { channels: ['telegram', 'sandbox'] }],
      ['cli:tester', ids['Người 3'], { channels: ['zalo', 'email'] }],
    ]);

    const r = await runCliInProcess(['contacts', 'list', '--unreachable'], env);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('Không có đầu mối nào mất liên lạc.');
  });

  it('prints with an invite how to link Zalo, and the printed code links a Zalo user', async () => {
    const r = await runCliInProcess(['invite', 'Quản trị'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const code = /Mã: (\S+)/.exec(r.stdout)?.[1];
    expect(code).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(r.stdout).toContain(`Zalo: gửi /start ${code} cho bot Zalo`);
    // Redeemed the moment it was made (the command line's clock is the wall clock; the test reads none).
    const invitedAt = (
      await t.prisma.invite.findFirstOrThrow({
        where: { contactId: ids['Quản trị']! },
        orderBy: { createdAt: 'desc' },
      })
    ).createdAt;
    await redeemInvite(t.prisma, { code: code!, channel: 'zalo', address: 'zl-cli-admin', now: invitedAt });
    expect(await t.prisma.contact.findUniqueOrThrow({ where: { id: ids['Quản trị']! } })).toMatchObject({
      zaloUserId: 'zl-cli-admin',
      channels: ['zalo', 'sandbox'],
    });
  });
});
