import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeSchedule } from '#root/domain/wording.js';
import { confirmObligation } from '#root/services/confirmations.js';
import { setPolicy } from '#root/services/policies.js';
import { scheduleFromRow } from '#root/services/schedules.js';
import { startWebTest, type WebTest } from '../helpers/web.js';

const PLAN = '3131/KH-UBND';

describe('the duties pages', () => {
  let w: WebTest;
  let otherDutyId: string;

  /** A duty of the demo plan with lead units and obligations this year. */
  const dutyWithObligations = async () => {
    const o = await w.t.prisma.obligation.findFirstOrThrow({
      where: { orgId: w.orgId, current: true, status: 'open' },
      orderBy: { dueAt: 'asc' },
    });
    return w.t.prisma.duty.findUniqueOrThrow({
      where: { id: o.dutyId },
      include: { schedule: true, plan: true, assignments: { include: { unit: true, group: true } } },
    });
  };

  beforeAll(async () => {
    w = await startWebTest();
    const other = await w.t.prisma.organisation.create({ data: { code: 'dn', name: 'Đà Nẵng' } });
    const plan = await w.t.prisma.plan.create({
      data: { orgId: other.id, code: '99/KH-UBND', title: 'Kế hoạch bí mật' },
    });
    otherDutyId = (
      await w.t.prisma.duty.create({
        data: {
          orgId: other.id,
          planId: plan.id,
          code: '9.9',
          title: 'Nhiệm vụ bí mật Đà Nẵng',
          timeframe: 'Năm 2026',
        },
      })
    ).id;
  }, 90_000);
  afterAll(async () => w?.stop());

  it('lists the duties by plan with their lead units, cooperating count and schedule', async () => {
    const res = await w.client.get('/admin/duties');
    expect(res.status).toBe(200);
    const duties = await w.t.prisma.duty.findMany({
      where: { orgId: w.orgId, active: true },
      include: { schedule: true, assignments: { include: { unit: true, group: true } } },
    });
    expect(duties.length).toBeGreaterThan(5);
    expect(res.text).toContain(`${duties.length} nhiệm vụ`);
    for (const d of duties) {
      const row = rowOf(res.text, `/admin/duties/${d.id}"`);
      expect(row).toContain(`>${d.code}</a>`);
      expect(row).toContain(PLAN);
      const leads = d.assignments
        .filter((a) => a.role === 'lead')
        .map((a) => a.unit?.name ?? a.group?.name ?? a.rawName);
      for (const name of leads) expect(row).toContain(escape(name));
      expect(row).toContain(
        `<td data-label="Phối hợp">${d.assignments.filter((a) => a.role === 'cooperating').length}</td>`,
      );
      if (d.schedule) expect(row).toContain(escape(describeSchedule(scheduleFromRow(d.schedule))));
    }
    expect(res.text).not.toContain('Nhiệm vụ bí mật Đà Nẵng');
  });

  it('highlights a duty the import flagged, with its flags', async () => {
    const d = await dutyWithObligations();
    await w.t.prisma.duty.update({ where: { id: d.id }, data: { flags: ['Thời hạn chưa rõ: «cuối năm»'] } });
    const res = await w.client.get('/admin/duties');
    const row = rowOf(res.text, `/admin/duties/${d.id}"`);
    expect(row).toMatch(/^<tr class="flag">/);
    expect(row).toContain('<li>Thời hạn chưa rõ: «cuối năm»</li>');
    expect(res.text).toContain('1 cần xem lại');
    await w.t.prisma.duty.update({ where: { id: d.id }, data: { flags: [] } });
    expect(rowOf((await w.client.get('/admin/duties')).text, `/admin/duties/${d.id}"`)).not.toContain('class="flag"');
  });

  it('filters by plan and by number or title, ignoring diacritics', async () => {
    const d = await dutyWithObligations();
    const word = d.title.split(' ').find((x) => x.length > 5)!;
    const res = await w.client.get(
      `/admin/duties?plan=${encodeURIComponent(PLAN)}&q=${encodeURIComponent(word.normalize('NFD').replace(/\p{M}/gu, ''))}`,
    );
    expect(res.text).toContain(`/admin/duties/${d.id}"`);
    const none = await w.client.get(`/admin/duties?plan=${encodeURIComponent('99/KH-UBND')}`);
    expect(none.text).toContain('Không có nhiệm vụ nào khớp');
    expect(none.text).not.toContain('Nhiệm vụ bí mật');
  });

  it('shows a duty: plan, schedule, raw timeframe, assignments, the effective policy and its obligations by unit', async () => {
    const d = await dutyWithObligations();
    const res = await w.client.get(`/admin/duties/${d.id}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain(`<h1>TT ${d.code}. ${escape(d.title)}</h1>`);
    // In English the numbering is "No.", on the duty's page and in the list's header.
    const en = w.newClient();
    await en.login(w.admin.email, w.admin.password);
    en.cookies.set('lang', 'en');
    const page = (await en.get(`/admin/duties/${d.id}`)).text;
    expect(page).toContain(`<h1>No. ${d.code}. ${escape(d.title)}</h1>`);
    expect(page).toContain(`<title>No. ${d.code}`);
    expect((await en.get('/admin/duties')).text).toMatch(/<th>No\.<\/th>/);
    expect(res.text).toContain(`<strong>${PLAN}</strong>`);
    expect(res.text).toContain(escape(describeSchedule(scheduleFromRow(d.schedule!))));
    expect(res.text).toContain(`«${escape(d.timeframe)}»`);
    for (const a of d.assignments) expect(res.text).toContain(escape(a.unit?.name ?? a.group!.name));
    // The built-in policy, field by field.
    expect(res.text).toMatch(
      /Nhắc trước hạn \(ngày làm việc\)<\/th><td>14, 7, 3, 1<\/td><td class="muted">mặc định<\/td>/,
    );
    const obligations = await w.t.prisma.obligation.findMany({
      where: { dutyId: d.id, current: true },
      include: { unit: true },
    });
    expect(obligations.length).toBeGreaterThan(0);
    const table = res.text.slice(res.text.indexOf('Nghĩa vụ năm 2026'));
    for (const o of obligations) {
      const row = rowOf(table, `/admin/obligations/${o.id}"`);
      expect(row).toContain(`<a href="/admin/units/${o.unit.id}">${escape(o.unit.name)}</a>`);
      const state =
        o.status === 'done'
          ? 's-done'
          : o.status === 'waived'
            ? 's-waived'
            : (o.extendedTo ?? o.dueAt) < w.s.clock.now()
              ? 's-overdue'
              : null;
      if (state) expect(row).toContain(`<td class="${state}">`);
    }
  });

  it('shows a confirmation and a policy set on the duty', async () => {
    const d = await dutyWithObligations();
    const o = await w.t.prisma.obligation.findFirstOrThrow({ where: { dutyId: d.id, status: 'open', current: true } });
    await confirmObligation(w.t.prisma, {
      obligationId: o.id,
      contactId: null,
      actor: 'test',
      via: 'web',
      now: w.s.clock.now(),
    });
    await setPolicy(w.t.prisma, w.orgId, `duty:${d.id}`, { overdueEvery: 5 }, 'test');
    await setPolicy(w.t.prisma, w.orgId, 'org', { windowStart: '07:30' }, 'test');
    const res = await w.client.get(`/admin/duties/${d.id}`);
    expect(rowOf(res.text, `/admin/obligations/${o.id}"`)).toContain('<td class="s-done">Đã xong</td>');
    expect(res.text).toMatch(
      /Nhắc quá hạn mỗi \(ngày làm việc\)<\/th><td>5<\/td><td class="muted">riêng nhiệm vụ này<\/td>/,
    );
    expect(res.text).toMatch(/Gửi từ<\/th><td>07:30<\/td><td class="muted">của tổ chức<\/td>/);
  });

  it('escapes HTML in a duty’s title and timeframe', async () => {
    const d = await dutyWithObligations();
    await w.t.prisma.duty.update({
      where: { id: d.id },
      data: { title: '<img src=x onerror=alert(1)> Báo cáo', timeframe: '"><script>x()</script>' },
    });
    const o = await w.t.prisma.obligation.findFirstOrThrow({ where: { dutyId: d.id, current: true } });
    for (const path of ['/admin/duties', `/admin/duties/${d.id}`, `/admin/units/${o.unitId}`]) {
      const res = await w.client.get(path);
      expect(res.status, path).toBe(200);
      expect(res.text, path).not.toContain('<img src=x');
      expect(res.text, path).toContain('&lt;img src=x onerror=alert(1)&gt; Báo cáo');
      expect(res.text).not.toContain('<script>x()');
    }
    await w.t.prisma.duty.update({ where: { id: d.id }, data: { title: d.title, timeframe: d.timeframe } });
  });

  it('answers 404 for another organisation’s duty or a malformed id, showing nothing of it', async () => {
    for (const id of [otherDutyId, 'abc', '00000000-0000-0000-0000-000000000000']) {
      const res = await w.client.get(`/admin/duties/${id}`);
      expect(res.status, id).toBe(404);
      expect(res.text).toContain('Không tìm thấy nhiệm vụ này');
      expect(res.text).not.toContain('bí mật');
    }
  });

  it('reads the schedule and the policy in English after the switch', async () => {
    const d = await dutyWithObligations();
    const c = w.newClient();
    await c.login(w.admin.email, w.admin.password);
    c.cookies.set('lang', 'en');
    const res = await c.get(`/admin/duties/${d.id}`);
    expect(res.text).toContain(escape(describeSchedule(scheduleFromRow(d.schedule!), 'en')));
    expect(res.text).toContain('Lead units');
    expect(res.text).toContain('Lead reminders (working days before)');
    expect(res.text).not.toContain('Đơn vị chủ trì');
  });
});

const escape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** The table row containing a marker (the first `<tr>` around it). */
function rowOf(page: string, marker: string): string {
  const at = page.indexOf(marker);
  if (at < 0) throw new Error(`${marker} is not on the page`);
  const start = page.lastIndexOf('<tr', at);
  return page.slice(start, page.indexOf('</tr>', at));
}
