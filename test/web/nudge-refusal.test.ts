import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { startWebTest, type WebTest } from '../helpers/web.js';

/**
 * A nudge to a unit nobody can receive it in: refused with the reason, on the web and the
 * command line, and nothing queued or audited (it used to answer "0 nhắc nhở …, đang gửi").
 */
describe('nudging a unit that cannot be reached', () => {
  let w: WebTest;
  let noContact: { id: string; name: string };
  let noChannel: { id: string; name: string };
  let obligationOfNoContact: string;
  const written = async () => ({
    reminders: await w.t.prisma.reminder.count(),
    audits: await w.t.prisma.auditEvent.count({ where: { action: 'obligation.nudge' } }),
  });

  beforeAll(async () => {
    w = await startWebTest();
    // Two demo units with open obligations: one loses its contacts, the other every channel.
    const units = await w.t.prisma.unit.findMany({
      where: { orgId: w.orgId, obligations: { some: { status: 'open', current: true } } },
      orderBy: { name: 'asc' },
      take: 2,
    });
    [noContact, noChannel] = units.map((u) => ({ id: u.id, name: u.name })) as [typeof noContact, typeof noChannel];
    await w.t.prisma.contact.updateMany({ where: { unitId: noContact.id }, data: { active: false } });
    await w.t.prisma
      .$executeRaw`UPDATE contacts SET disabled_channels = channels WHERE unit_id = ${noChannel.id}::uuid`;
    obligationOfNoContact = (
      await w.t.prisma.obligation.findFirstOrThrow({ where: { unitId: noContact.id, status: 'open', current: true } })
    ).id;
  }, 120_000);
  afterAll(async () => w?.stop());

  it('on the web: the unit’s row and an obligation’s button answer 400 naming the problem, queuing nothing', async () => {
    const before = await written();
    const row = await w.client.post('/admin/nudge', { unit: noContact.id, reason: 'Nhắc thử' });
    expect(row.status).toBe(400);
    expect(row.text).toContain(`Đơn vị «${noContact.name}» chưa có đầu mối nào đang hoạt động`);
    expect(row.text).toContain('Không có gì thay đổi');
    const one = await w.client.post(`/admin/obligations/${obligationOfNoContact}/nudge`, { reason: 'Nhắc thử' });
    expect(one.status).toBe(400);
    expect(one.text).toContain('chưa có đầu mối nào đang hoạt động');
    const channel = await w.client.post('/admin/nudge', { unit: noChannel.id, reason: 'Nhắc thử' });
    expect(channel.status).toBe(400);
    expect(channel.text).toContain(`Không đầu mối nào của «${noChannel.name}» có kênh gửi được`);
    expect(await written()).toEqual(before);
  });

  it('on the command line: exit status 1 with the reason, queuing nothing', async () => {
    const before = await written();
    const env = { DATABASE_URL: w.t.url, DEFAULT_ORG: 'hcm', REDIS_PREFIX: w.s.config.REDIS_PREFIX };
    const a = await runCliInProcess(['nudge', '--unit', noContact.name], env, { now: w.s.clock.now() });
    expect(a.code).toBe(1);
    expect(a.stderr).toContain('chưa có đầu mối nào đang hoạt động');
    expect(a.stdout).not.toMatch(/Đã xếp hàng/);
    const b = await runCliInProcess(['nudge', '--unit', noChannel.name], env, { now: w.s.clock.now() });
    expect(b.code).toBe(1);
    expect(b.stderr).toContain('có kênh gửi được');
    expect(await written()).toEqual(before);
  });
});
