import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeUnitName } from '#root/domain/units.js';
import { startWebTest, type WebTest } from '../helpers/web.js';

/**
 * A unit group's page (issue 16, item 4): its members with a remove button each (asking first), a
 * field to add a unit by name or alias, renaming, accepting a proposed group; CSRF checked;
 * audited and told in words; bad input answered beside the field, in the page's language, with
 * what was typed kept and nothing changed.
 */
describe('a unit group’s page', () => {
  let w: WebTest;
  const db = () => w.t.prisma;
  let districts: { id: string; name: string };
  let sotttt: { id: string; name: string };

  beforeAll(async () => {
    w = await startWebTest();
    districts = await db().unitGroup.findFirstOrThrow({
      where: { orgId: w.orgId, name: 'Ủy ban nhân dân quận, huyện, thành phố Thủ Đức' },
    });
    sotttt = await db().unit.findFirstOrThrow({ where: { orgId: w.orgId, name: 'Sở Thông tin và Truyền thông' } });
  }, 120_000);
  afterAll(async () => w?.stop());

  const audits = (groupId: string) => db().auditEvent.count({ where: { entity: 'group', entityId: groupId } });
  const currentObligations = (unitId: string) =>
    db().obligation.count({ where: { unitId, current: true, status: 'open', dueAt: { gte: new Date() } } });

  it('is linked from the units list and lists members, a remove button each, and the units to add', async () => {
    const list = await w.client.get('/admin/units');
    expect(list.text).toContain(`<a href="/admin/groups/${districts.id}">${districts.name}</a>`);
    const page = await w.client.get(`/admin/groups/${districts.id}`);
    expect(page.status).toBe(200);
    const members = await db().unitGroupMember.count({ where: { groupId: districts.id } });
    expect(page.text).toContain(`Thành viên (${members})`);
    expect(
      page.text.match(/name="do" value="\/admin\/groups\/[0-9a-f-]{36}\/members\/[0-9a-f-]{36}\/remove"/g),
    ).toHaveLength(members);
    // The suggestions: names and aliases (an alias says whose), members left out.
    expect(page.text).toContain('<option value="Công an TP. Hồ Chí Minh">Công an Thành phố</option>');
    expect(page.text).toContain('<option value="Sở Thông tin và Truyền thông">');
    expect(page.text).toContain('<datalist id="unit-choices">');
    // The duties assigned to it are listed with links.
    expect(page.text).toContain('Nhiệm vụ giao cho nhóm');
    expect(await w.client.get('/admin/groups/not-an-id').then((r) => r.status)).toBe(404);
  });

  it('adds a unit by its alias: audited, told in words, its obligations follow', async () => {
    const before = await currentObligations(sotttt.id);
    const assigned = await db().assignment.count({ where: { groupId: districts.id, duty: { active: true } } });
    expect(
      (await w.client.post(`/admin/groups/${districts.id}/members`, { _csrf: null, unit: 'Sở TTTT' })).status,
    ).toBe(403);
    const res = await w.client.post(`/admin/groups/${districts.id}/members`, { unit: '  sở tttt ' });
    expect(res.status).toBe(303);
    const page = await w.client.get(res.location!);
    expect(page.text).toContain(`Đã thêm Sở Thông tin và Truyền thông vào nhóm ${districts.name}.`);
    expect(await db().unitGroupMember.count({ where: { groupId: districts.id, unitId: sotttt.id } })).toBe(1);
    expect(
      await db().auditEvent.findFirstOrThrow({ where: { action: 'group.add-members', entityId: districts.id } }),
    ).toMatchObject({ actor: `web:${w.admin.email}`, data: { units: ['Sở Thông tin và Truyền thông'] } });
    // The history says it in words, with the group's link.
    expect(page.text).toMatch(
      new RegExp(
        `Chị Quản Trị[^<]*</strong> đã thêm đơn vị vào nhóm <a href="/admin/groups/${districts.id}">[^<]+</a> \\(Sở Thông tin và Truyền thông\\)`,
      ),
    );
    expect(assigned).toBeGreaterThan(0);
    expect(await currentObligations(sotttt.id)).toBeGreaterThan(before);
  });

  it('refuses an unknown unit, a member, a group: beside the field, typed text kept, nothing changed', async () => {
    const members = await db().unitGroupMember.count({ where: { groupId: districts.id } });
    const audited = await audits(districts.id);
    const unknown = await w.client.post(`/admin/groups/${districts.id}/members`, { unit: 'Sở Không Có <b>' });
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain('Không có đơn vị nào tên «Sở Không Có &lt;b&gt;» (kể cả tên khác).');
    expect(unknown.text).toContain('value="Sở Không Có &lt;b&gt;" aria-invalid="true" aria-describedby="member-error"');
    expect(unknown.text).toContain('<span class="field-error" id="member-error" role="alert">');
    const again = await w.client.post(`/admin/groups/${districts.id}/members`, { unit: 'Sở TT&TT' });
    expect(again.status).toBe(400);
    expect(again.text).toContain('Sở Thông tin và Truyền thông đã ở trong nhóm này.');
    expect(again.text).toContain('value="Sở TT&amp;TT"');
    const group = await w.client.post(`/admin/groups/${districts.id}/members`, { unit: 'Các sở, ban, ngành' });
    expect(group.status).toBe(400);
    expect(group.text).toContain('«Các sở, ban, ngành» là một nhóm, không phải đơn vị');
    const empty = await w.client.post(`/admin/groups/${districts.id}/members`, { unit: '   ' });
    expect(empty.status).toBe(400);
    expect(empty.text).toContain('Nhập tên đơn vị cần thêm.');
    expect(await db().unitGroupMember.count({ where: { groupId: districts.id } })).toBe(members);
    expect(await audits(districts.id)).toBe(audited);
  });

  it('says the same in English on an English page, and nothing in Vietnamese', async () => {
    const en = w.newClient();
    en.cookies.set('lang', 'en');
    await en.login(w.admin.email, w.admin.password);
    await en.get(`/admin/groups/${districts.id}`);
    const res = await en.post(`/admin/groups/${districts.id}/members`, { unit: 'Nowhere Office' });
    expect(res.status).toBe(400);
    const note = /<span class="field-error" id="member-error" role="alert">([^<]*)<\/span>/.exec(res.text)?.[1];
    expect(note).toBe(
      'No unit is called «Nowhere Office» (aliases included). Pick a name from the suggestions, or add the unit on the Units page.',
    );
    const rename = await en.post(`/admin/groups/${districts.id}/rename`, { name: 'Sở TTTT' });
    expect(rename.status).toBe(400);
    expect(rename.text).toContain('This name is taken by «Sở Thông tin và Truyền thông» (its name or an alias).');
  });

  it('removes a member after asking first, audited', async () => {
    const action = `/admin/groups/${districts.id}/members/${sotttt.id}/remove`;
    const ask = await w.client.get(`/admin/ask?do=${action}&back=/admin/groups/${districts.id}`);
    expect(ask.status).toBe(200);
    expect(ask.text).toContain('Bỏ đơn vị này khỏi nhóm?');
    expect(ask.text).toContain(`action="${action}"`);
    expect(await db().unitGroupMember.count({ where: { groupId: districts.id, unitId: sotttt.id } })).toBe(1);
    const res = await w.client.post(action);
    expect(res.status).toBe(303);
    expect((await w.client.get(res.location!)).text).toContain(
      `Đã bỏ Sở Thông tin và Truyền thông khỏi nhóm ${districts.name}.`,
    );
    expect(await db().unitGroupMember.count({ where: { groupId: districts.id, unitId: sotttt.id } })).toBe(0);
    expect(
      await db().auditEvent.findFirstOrThrow({ where: { action: 'group.remove-members', entityId: districts.id } }),
    ).toMatchObject({ data: { units: ['Sở Thông tin và Truyền thông'] } });
    expect((await w.client.post(`/admin/groups/${districts.id}/members/${districts.id}/remove`)).status).toBe(404);
  });

  it('renames, keeping the old name as an alias; refuses a taken or empty name beside the field', async () => {
    const group = await db().unitGroup.create({
      data: { orgId: w.orgId, name: 'Nhóm thử', normalized: normalizeUnitName('Nhóm thử') },
    });
    const taken = await w.client.post(`/admin/groups/${group.id}/rename`, { name: 'Sở TTTT' });
    expect(taken.status).toBe(400);
    expect(taken.text).toContain('Tên này đã dùng cho «Sở Thông tin và Truyền thông» (tên chính hoặc tên khác).');
    expect(taken.text).toContain('value="Sở TTTT" aria-invalid="true" aria-describedby="rename-error"');
    const empty = await w.client.post(`/admin/groups/${group.id}/rename`, { name: '' });
    expect(empty.status).toBe(400);
    expect(empty.text).toContain('Tên nhóm không được để trống.');
    expect((await db().unitGroup.findUniqueOrThrow({ where: { id: group.id } })).name).toBe('Nhóm thử');
    const res = await w.client.post(`/admin/groups/${group.id}/rename`, { name: 'Nhóm thí điểm chuyển đổi số' });
    expect(res.status).toBe(303);
    const page = await w.client.get(res.location!);
    expect(page.text).toContain(
      'Đã đổi tên nhóm «Nhóm thử» thành «Nhóm thí điểm chuyển đổi số»; tên cũ thành tên khác.',
    );
    expect(page.text).toContain('Tên khác: Nhóm thử');
    expect(page.text).toContain('đã đổi tên nhóm');
    expect(page.text).toContain('(«Nhóm thử» thành «Nhóm thí điểm chuyển đổi số»)');
    expect(await db().groupAlias.count({ where: { groupId: group.id, alias: 'Nhóm thử' } })).toBe(1);
    // Back to the old name: its alias becomes the name again, the other name an alias.
    expect((await w.client.post(`/admin/groups/${group.id}/rename`, { name: 'Nhóm thử' })).status).toBe(303);
    expect((await db().unitGroup.findUniqueOrThrow({ where: { id: group.id } })).name).toBe('Nhóm thử');
    expect((await db().groupAlias.findMany({ where: { groupId: group.id } })).map((a) => a.alias)).toEqual([
      'Nhóm thí điểm chuyển đổi số',
    ]);
  });

  it('accepts a proposed group from its page, once', async () => {
    const group = await db().unitGroup.create({
      data: {
        orgId: w.orgId,
        name: 'Các đơn vị sự nghiệp',
        normalized: normalizeUnitName('Các đơn vị sự nghiệp'),
        proposed: true,
      },
    });
    const page = await w.client.get(`/admin/groups/${group.id}`);
    expect(page.text).toContain('Chấp nhận nhóm đề xuất');
    const res = await w.client.post(`/admin/groups/${group.id}/accept`);
    expect(res.status).toBe(303);
    expect((await w.client.get(res.location!)).text).toContain('Đã chấp nhận nhóm «Các đơn vị sự nghiệp».');
    expect((await db().unitGroup.findUniqueOrThrow({ where: { id: group.id } })).proposed).toBe(false);
    expect(await db().auditEvent.count({ where: { action: 'group.accept', entityId: group.id } })).toBe(1);
    const twice = await w.client.post(`/admin/groups/${group.id}/accept`);
    expect((await w.client.get(twice.location!)).text).toContain('«Các đơn vị sự nghiệp» đã được chấp nhận trước đó.');
    expect(await db().auditEvent.count({ where: { action: 'group.accept', entityId: group.id } })).toBe(1);
  });
});
