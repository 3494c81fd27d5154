import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeUnitName } from '#root/domain/units.js';
import { startWebTest, type WebTest } from '../helpers/web.js';

/**
 * What the command line fixes about units, from a unit's page (issue 16): an alias, group
 * membership, merging a proposed unit into a known one (asking first); CSRF checked; audited.
 */
describe('fixing units from their page', () => {
  let w: WebTest;
  const db = () => w.t.prisma;
  let unit: { id: string; name: string };
  let group: { id: string; name: string };

  beforeAll(async () => {
    w = await startWebTest();
    unit = await db().unit.findFirstOrThrow({ where: { orgId: w.orgId, name: 'Sở Y tế' } });
    group = await db().unitGroup.create({ data: { orgId: w.orgId, name: 'Nhóm thử', normalized: 'nhom thu' } });
  }, 120_000);
  afterAll(async () => w?.stop());

  it('adds an alias, escaped, audited; refuses without the token', async () => {
    expect((await w.client.post(`/admin/units/${unit.id}/aliases`, { _csrf: null, alias: 'SYT' })).status).toBe(403);
    const res = await w.client.post(`/admin/units/${unit.id}/aliases`, { alias: 'S.Y.T <HCM>' });
    expect(res.status).toBe(303);
    const page = (await w.client.get(res.location!)).text;
    expect(page).toContain('Đã thêm tên khác «S.Y.T &lt;HCM&gt;».');
    expect(await db().unitAlias.count({ where: { unitId: unit.id, alias: 'S.Y.T <HCM>' } })).toBe(1);
    expect(await db().auditEvent.count({ where: { action: 'unit.alias', entityId: unit.id } })).toBe(1);
  });

  it('adds the unit to a group and removes it again', async () => {
    const add = await w.client.post(`/admin/units/${unit.id}/groups`, { group: group.id, op: 'add' });
    expect(add.status).toBe(303);
    expect(await db().unitGroupMember.count({ where: { groupId: group.id, unitId: unit.id } })).toBe(1);
    const remove = await w.client.post(`/admin/units/${unit.id}/groups`, { group: group.id, op: 'remove' });
    expect(remove.status).toBe(303);
    expect(await db().unitGroupMember.count({ where: { groupId: group.id, unitId: unit.id } })).toBe(0);
    expect(await db().auditEvent.count({ where: { action: { startsWith: 'group.' }, entityId: group.id } })).toBe(2);
    const bad = await w.client.post(`/admin/units/${unit.id}/groups`, { group: 'x', op: 'add' });
    expect(bad.status).toBe(404);
  });

  it('merges a proposed unit into a known one, asking first', async () => {
    const proposed = await db().unit.create({
      data: { orgId: w.orgId, name: 'Sở Y Tế TP', normalized: normalizeUnitName('Sở Y Tế TP'), proposed: true },
    });
    const ask = await w.client.get(`/admin/ask?do=/admin/units/${proposed.id}/merge&into=${unit.id}`);
    expect(ask.status).toBe(200);
    expect(ask.text).toContain('Gộp đơn vị này vào đơn vị đã chọn?');
    expect(ask.text).toContain(`<input type="hidden" name="into" value="${unit.id}">`);
    expect(await db().unit.count({ where: { id: proposed.id } })).toBe(1);
    const res = await w.client.post(`/admin/units/${proposed.id}/merge`, { into: unit.id });
    expect(res.status).toBe(303);
    expect(res.location).toBe(`/admin/units/${unit.id}`);
    expect(await db().unit.count({ where: { id: proposed.id } })).toBe(0);
    expect(await db().unitAlias.count({ where: { unitId: unit.id, alias: 'Sở Y Tế TP' } })).toBe(1);
    expect(
      await db().auditEvent.findFirstOrThrow({ where: { action: 'unit.merge', entityId: unit.id } }),
    ).toMatchObject({ actor: `web:${w.admin.email}`, data: { from: 'Sở Y Tế TP' } });
  });
});
