import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebTest, type WebTest } from '../helpers/web.js';

/**
 * Fixing a duty on the web after import (issue 16), as `dondoc duties fix` does: a timeframe parsed
 * again, a title, the flags looked at cleared; refused with the message beside the form, in the
 * page's language, keeping what was typed; CSRF checked; audited.
 */
describe('fixing a duty from its page', () => {
  let w: WebTest;
  const db = () => w.t.prisma;
  let dutyId: string;

  beforeAll(async () => {
    w = await startWebTest();
    const duty = await db().duty.findFirstOrThrow({ where: { orgId: w.orgId, code: '1.1' } });
    dutyId = duty.id;
    await db().duty.update({ where: { id: dutyId }, data: { flags: ['Không hiểu thời hạn «Sau khi có hướng dẫn»'] } });
  }, 120_000);
  afterAll(async () => w?.stop());

  it('refuses a timeframe it cannot read, saying so in Vietnamese beside the form, keeping what was typed', async () => {
    const before = await db().duty.findUniqueOrThrow({ where: { id: dutyId }, include: { schedule: true } });
    const res = await w.client.post(`/admin/duties/${dutyId}/fix`, {
      title: before.title,
      timeframe: 'khi nào <rảnh>',
      clearFlags: 'yes',
    });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(
      /<p class="field-error" role="alert">Vẫn chưa hiểu thời hạn «khi nào &lt;rảnh&gt;»[^<]*<\/p>/,
    );
    expect(res.text).not.toContain('timeframe still not understood');
    expect(res.text).toContain('value="khi nào &lt;rảnh&gt;"');
    expect(res.text).toContain('name="clearFlags" value="yes" checked');
    expect(await db().duty.findUniqueOrThrow({ where: { id: dutyId }, include: { schedule: true } })).toEqual(before);
    const forged = await w.client.post(`/admin/duties/${dutyId}/fix`, {
      _csrf: null,
      title: 'X',
      timeframe: 'Hàng năm',
    });
    expect(forged.status).toBe(403);
  });

  it('refuses a title or a timeframe too long, saying how long, instead of saving their beginning', async () => {
    const before = await db().duty.findUniqueOrThrow({ where: { id: dutyId }, include: { schedule: true } });
    const long = 'Nhiệm vụ '.repeat(600).trim();
    const res = await w.client.post(`/admin/duties/${dutyId}/fix`, { title: long, timeframe: before.timeframe });
    expect(res.status).toBe(400);
    expect(res.text).toContain(`Tên nhiệm vụ quá dài: ${[...long].length} ký tự, tối đa 2000.`);
    const late = await w.client.post(`/admin/duties/${dutyId}/fix`, {
      title: before.title,
      timeframe: `Trước ngày 31/12/2026 ${'và sau đó '.repeat(40)}`,
    });
    expect(late.status).toBe(400);
    expect(late.text).toMatch(/Thời gian thực hiện quá dài: \d+ ký tự, tối đa 300\./);
    expect(await db().duty.findUniqueOrThrow({ where: { id: dutyId }, include: { schedule: true } })).toEqual(before);
  });

  it('fixes the timeframe and title and clears the flags, audited, the obligations following', async () => {
    const res = await w.client.post(`/admin/duties/${dutyId}/fix`, {
      title: 'Tuyên truyền về an toàn thông tin',
      timeframe: 'Trước ngày 15/12 hàng năm',
      clearFlags: 'yes',
    });
    expect(res.status).toBe(303);
    const page = await w.client.get(res.location!);
    expect(page.text).toContain('Đã sửa nhiệm vụ 1.1.');
    const duty = await db().duty.findUniqueOrThrow({ where: { id: dutyId }, include: { schedule: true } });
    expect(duty).toMatchObject({ title: 'Tuyên truyền về an toàn thông tin', flags: [] });
    expect(duty.schedule?.kind).toBe('yearly');
    const audit = await db().auditEvent.findFirstOrThrow({ where: { action: 'duty.fix', entityId: dutyId } });
    expect(audit.actor).toBe(`web:${w.admin.email}`);
    expect(audit.data).toMatchObject({ code: '1.1', clearFlags: true, timeframe: 'Trước ngày 15/12 hàng năm' });
    const dues = await db().obligation.findMany({ where: { dutyId, current: true, status: 'open' } });
    expect(dues.length).toBeGreaterThan(0);
  });

  it('sets the lead and cooperating units by name or alias, refusing unknown names and changing nothing', async () => {
    const before = await db().assignment.findMany({ where: { dutyId }, orderBy: { id: 'asc' } });
    const bad = await w.client.post(`/admin/duties/${dutyId}/units`, {
      leads: 'Sở Y tế\nSở <Không Có>',
      cooperating: '',
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('Không tìm thấy đơn vị hoặc nhóm: «Sở &lt;Không Có&gt;»');
    expect(bad.text).not.toContain('Unknown units');
    expect(bad.text).toContain('Sở Y tế\nSở &lt;Không Có&gt;</textarea>');
    expect(await db().assignment.findMany({ where: { dutyId }, orderBy: { id: 'asc' } })).toEqual(before);

    const res = await w.client.post(`/admin/duties/${dutyId}/units`, {
      leads: 'Sở Y tế',
      cooperating: 'Sở Nội vụ\nCông an Thành phố',
    });
    expect(res.status).toBe(303);
    expect((await w.client.get(res.location!)).text).toContain(
      'Đã lưu đơn vị của nhiệm vụ 1.1: 1 chủ trì, 2 phối hợp.',
    );
    const rows = await db().assignment.findMany({ where: { dutyId }, include: { unit: true } });
    expect(rows.filter((r) => r.role === 'lead').map((r) => r.unit?.name)).toEqual(['Sở Y tế']);
    expect(
      rows
        .filter((r) => r.role === 'cooperating')
        .map((r) => r.unit?.name)
        .sort(),
    ).toEqual(['Công an Thành phố', 'Sở Nội vụ']);
    const audit = await db().auditEvent.findFirstOrThrow({ where: { action: 'duty.units', entityId: dutyId } });
    expect(audit.actor).toBe(`web:${w.admin.email}`);
    // The lead's obligation follows.
    const yte = await db().unit.findFirstOrThrow({ where: { orgId: w.orgId, name: 'Sở Y tế' } });
    expect(await db().obligation.count({ where: { dutyId, unitId: yte.id, current: true } })).toBeGreaterThan(0);
  });
});
