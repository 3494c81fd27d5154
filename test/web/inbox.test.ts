import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestExtension } from '#root/services/chat.js';
import { inboxCounts } from '#root/services/inbox.js';
import { startWebTest, type WebTest } from '../helpers/web.js';

/**
 * The inbox (issue 16): what waits for an administrator, counted in the menu on every page, each
 * entry linking to where it is resolved; escaped; another organisation's never counted.
 */
describe('the inbox', () => {
  let w: WebTest;
  const db = () => w.t.prisma;
  let noContact: { id: string; name: string };
  let noChannel: { id: string; name: string };
  let obligationId: string;

  beforeAll(async () => {
    w = await startWebTest();
    const units = await db().unit.findMany({
      where: { orgId: w.orgId, proposed: false, obligations: { some: { status: 'open' } } },
      orderBy: { name: 'asc' },
      take: 3,
    });
    noContact = units[0]!;
    noChannel = units[1]!;
    await db().contact.updateMany({ where: { unitId: noContact.id }, data: { active: false } });
    await db().$executeRaw`UPDATE contacts SET disabled_channels = channels WHERE unit_id = ${noChannel.id}::uuid`;
    // A contact of the third unit asks for more time.
    const o = await db().obligation.findFirstOrThrow({ where: { unitId: units[2]!.id, status: 'open' } });
    obligationId = o.id;
    const contact = await db().contact.findFirstOrThrow({ where: { unitId: units[2]!.id, role: 'contact' } });
    await requestExtension(db(), {
      contactId: contact.id,
      unitId: units[2]!.id,
      obligationId: o.id,
      toDay: '2026-12-31',
      dueAt: new Date('2026-12-31T16:59:59Z'),
      reason: 'Chờ số liệu <b>quý</b>',
    });
    const duty = await db().duty.findFirstOrThrow({ where: { orgId: w.orgId, code: '1.1' } });
    await db().duty.update({ where: { id: duty.id }, data: { flags: ['Không hiểu thời hạn «<i>sau</i>»'] } });
    await db().unit.create({
      data: { orgId: w.orgId, name: 'Phòng <Đề xuất>', normalized: 'phong de xuat', proposed: true },
    });
  }, 120_000);
  afterAll(async () => w?.stop());

  it('counts what waits, in the menu of every page', async () => {
    const counts = await inboxCounts(db(), w.orgId, w.s.clock.now());
    expect(counts).toMatchObject({ extensions: 1, flaggedDuties: 1, noContact: 1, noChannel: 1 });
    expect(counts.proposedUnits).toBeGreaterThanOrEqual(1);
    for (const path of ['/admin', '/admin/units', '/admin/audit']) {
      const page = (await w.client.get(path)).text;
      expect(page).toContain(
        `<a href="/admin/inbox">Cần xử lý <span class="inbox-count" aria-label="${counts.total} việc chờ">${counts.total}</span></a>`,
      );
    }
  });

  it('lists each entry with a link to where it is resolved, escaped', async () => {
    const res = await w.client.get('/admin/inbox');
    expect(res.status).toBe(200);
    const text = res.text;
    expect(text).toContain(`<a href="/admin/obligations/${obligationId}">`);
    expect(text).toContain('«Chờ số liệu &lt;b&gt;quý&lt;/b&gt;»');
    expect(text).toContain('Không hiểu thời hạn «&lt;i&gt;sau&lt;/i&gt;»');
    expect(text).toContain('Phòng &lt;Đề xuất&gt;');
    expect(text).toContain(`<a href="/admin/units/${noContact.id}">${noContact.name}</a>`);
    const channel = text.slice(text.indexOf('id="no-channel"'));
    expect(channel.slice(0, channel.indexOf('</section>'))).toContain(`<a href="/admin/units/${noChannel.id}">`);
    expect(text).not.toContain('<b>quý');
  });

  it('goes down as things are resolved', async () => {
    const before = (await inboxCounts(db(), w.orgId, w.s.clock.now())).total;
    await db().contact.updateMany({ where: { unitId: noContact.id }, data: { active: true } });
    expect((await inboxCounts(db(), w.orgId, w.s.clock.now())).total).toBe(before - 1);
  });

  it('says why a delivery failed, and on which channel, in the page’s language', async () => {
    const o = await db().obligation.findFirstOrThrow({ where: { orgId: w.orgId, status: 'open' } });
    const contact = await db().contact.findFirstOrThrow({ where: { unitId: o.unitId, active: true } });
    const failed = [
      { channel: 'telegram' as const, lastError: 'contact has no linked Telegram chat' },
      { channel: 'sandbox' as const, lastError: 'Telegram 400: Bad Request: message is too long' },
      { channel: 'telegram' as const, lastError: 'Telegram 403: Forbidden: bot was blocked by the user' },
    ];
    for (const [i, f] of failed.entries())
      await db().reminder.create({
        data: {
          orgId: w.orgId,
          obligationId: o.id,
          contactId: contact.id,
          kind: 'due',
          stage: `due@2026111${i}`,
          scheduledAt: w.s.clock.now(),
          status: 'failed',
          ...f,
        },
      });
    const section = (text: string) =>
      text.slice(text.indexOf('id="failed"'), text.indexOf('</section>', text.indexOf('id="failed"')));
    const vi = section((await w.client.get('/admin/inbox')).text);
    expect(vi).toContain('Telegram · ');
    expect(vi).toContain('— đầu mối chưa liên kết Telegram</span>');
    expect(vi).toContain('Hộp thư thử · ');
    expect(vi).toContain('— tin dài quá mức cho phép</span>');
    // What happened and what to do; the channel's own answer is nowhere on the page, not even on hover.
    expect(vi).toContain('— người nhận đã chặn bot — nhờ họ mở lại bot và gửi /start</span>');
    expect(vi).not.toMatch(/Forbidden|bot was blocked|Bad Request|title=/);
    const c = w.newClient();
    c.cookies.set('lang', 'en');
    await c.login(w.admin.email, w.admin.password);
    const enPage = (await c.get('/admin/inbox')).text;
    const en = section(enPage);
    // The count agrees with its noun ("1 thing waiting").
    const [, n, noun] = /<p>(\d+) (things?) waiting\.<\/p>/.exec(enPage) ?? [];
    expect(noun).toBe(n === '1' ? 'thing' : 'things');
    expect(en).toContain('— the contact has not linked Telegram</span>');
    expect(en).toContain('Sandbox outbox · ');
    expect(en).toContain('— the message is longer than allowed</span>');
    expect(en).toContain('— the recipient blocked the bot — ask them to reopen it and send /start</span>');
    expect(en).not.toMatch(/Forbidden|bot was blocked|Bad Request|title=/);
    expect(en).not.toContain('Hộp thư thử');
  });
});
