import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestExtension } from '#root/services/chat.js';
import { confirmObligation, extendObligation, waiveObligation } from '#root/services/confirmations.js';
import { seedDemo } from '#root/services/demo.js';
import { obligationIdOfKey, obligationKey, statusMatrix } from '#root/services/matrix.js';
import { startWebTest, type WebTest } from '../helpers/web.js';
import { queuedBundleIds } from '../helpers/fan-out.js';

/** The matrix row of a unit (from its header cell to the end of the row). */
function rowOf(page: string, unit: string): string {
  const start = page.indexOf(`<th scope="row" title="${unit}">`);
  expect(start, `row of ${unit}`).toBeGreaterThan(-1);
  return page.slice(start, page.indexOf('</tr>', start));
}

/** The matrix cell linking to an obligation (by its short key): its state class, title and text. */
function cell(page: string, obligationId: string) {
  const m = new RegExp(
    `<td class=(s-[a-z]+)><a href=/admin/o/${obligationKey(obligationId)} title="([^"]*)">([^<]*)</a>`,
  ).exec(page);
  return m ? { state: m[1]!, title: m[2]!, text: m[3]! } : null;
}
const cellClass = (page: string, obligationId: string) => cell(page, obligationId)?.state ?? null;
const cellTitle = (page: string, obligationId: string) => cell(page, obligationId)?.title ?? null;

describe('the status matrix and the actions on a unit’s behalf', () => {
  let w: WebTest;
  const now = () => w.s.clock.now();
  const db = () => w.t.prisma;
  const obligationsOf = (unit: string, duty?: string) =>
    db().obligation.findMany({
      where: { orgId: w.orgId, unit: { name: unit }, ...(duty ? { duty: { code: duty } } : {}) },
      include: { duty: true },
      orderBy: { dueAt: 'asc' },
    });
  const contactOf = async (unit: string) =>
    (await db().contact.findFirstOrThrow({ where: { orgId: w.orgId, unit: { name: unit }, role: 'contact' } })).id;
  const lastAudit = (action: string) =>
    db().auditEvent.findFirst({ where: { orgId: w.orgId, action }, orderBy: { id: 'desc' } });

  beforeAll(async () => {
    w = await startWebTest();
  }, 90_000);
  afterAll(async () => w?.stop());

  describe('the matrix', () => {
    it('shows the demo’s units and duties, with the states and totals of what was confirmed, waived and extended', async () => {
      // Ban Tuyên giáo Thành ủy does everything (one obligation waived): a complete unit.
      const complete = 'Ban Tuyên giáo Thành ủy';
      const all = await obligationsOf(complete);
      expect(all.length).toBeGreaterThan(2);
      const contact = await contactOf(complete);
      for (const o of all.slice(1))
        await confirmObligation(db(), {
          obligationId: o.id,
          contactId: contact,
          actor: `contact:${contact}`,
          via: 'chat',
          now: now(),
        });
      await waiveObligation(db(), { obligationId: all[0]!.id, actor: 'test', reason: 'không áp dụng', now: now() });

      // Three units' yearly report (BC-15/11, due 15/11): done, extended past today, left overdue.
      const [done] = await obligationsOf('Sở Tư pháp', 'BC-15/11');
      const [extended] = await obligationsOf('Sở Y tế', 'BC-15/11');
      const [overdue] = await obligationsOf('Sở Nội vụ', 'BC-15/11');
      const tuPhap = await contactOf('Sở Tư pháp');
      await confirmObligation(db(), {
        obligationId: done!.id,
        contactId: tuPhap,
        actor: `contact:${tuPhap}`,
        via: 'chat',
        now: now(),
      });
      await extendObligation(db(), {
        obligationId: extended!.id,
        to: new Date('2026-12-20T16:59:59Z'),
        actor: 'test',
        reason: 'xin thêm thời gian',
      });
      // The yearly report of 30/11 is two weeks away: open; eight days later it is due within 7 days.
      const [report] = await db().obligation.findMany({
        where: { orgId: w.orgId, duty: { code: 'BC-30/11' } },
        include: { unit: true },
      });

      const page = (await w.client.get('/admin/status')).text;
      const m = await statusMatrix(db(), w.orgId, { now: now() });
      expect(m.year).toBe(2026);
      expect(m.units.length).toBe(30);
      expect(m.duties.length).toBe(26);
      expect(page).toContain('Tình hình thực hiện năm 2026');
      for (const u of m.units) expect(page).toContain(`<th scope="row" title="${u.name}">`);
      for (const d of m.duties) expect(page).toContain(`>${d.code}</th>`);
      expect(page).toContain('1/30 đơn vị đã hoàn thành');
      expect(page).toContain('Tính đến 16/11/2026 09:00 (giờ Việt Nam)');

      // The complete unit: every obligation it has to do is done, the waived one is not counted.
      expect(rowOf(page, complete)).toContain(`<td class="s-done">${all.length - 1}/${all.length - 1}</td>`);
      expect(rowOf(page, complete)).not.toMatch(/s-overdue|s-open/);
      expect(cellClass(page, done!.id)).toBe('s-done');
      expect(cellTitle(page, done!.id)).toBe('Đã hoàn thành · Đầu mối Sở Tư pháp 16/11/2026 09:00');
      expect(cell(page, done!.id)?.text).toBe('✓');
      expect(cellTitle(page, overdue!.id)).toBe('Quá hạn · hạn 15/11/2026');
      expect(cellClass(page, extended!.id)).toBe('s-extended');
      expect(cellTitle(page, extended!.id)).toContain('hạn 20/12/2026');
      expect(cellClass(page, overdue!.id)).toBe('s-overdue');
      expect(cellClass(page, report!.id)).toBe('s-open');
      // A quarterly duty's cell: the periods done out of the year's, in the worst period's colour.
      const quarterly = m.units.find((u) => u.name === 'Sở Nội vụ')!.cells.find((c) => c && c.total === 4)!;
      expect(quarterly.state).toBe('overdue');
      expect(quarterly.counts).toMatchObject({ overdue: 3, open: 1 });
      const quarterlyId = obligationIdOfKey(quarterly.obligationKey)!;
      expect(cell(page, quarterlyId)).toEqual({
        state: 's-overdue',
        title: expect.stringContaining('Quá hạn · 0/4 kỳ đã xong') as string,
        text: '0/4',
      });
      // The cell links to the most urgent of them, whose page the short key serves.
      const linked = await db().obligation.findUniqueOrThrow({
        where: { id: quarterlyId },
        include: { duty: true, unit: true },
      });
      expect(linked.unit.name).toBe('Sở Nội vụ');
      const byKey = await w.client.get(`/admin/o/${quarterly.obligationKey}`);
      expect(byKey.status).toBe(200);
      expect(byKey.text).toContain(`${linked.duty.code}. ${linked.duty.title}`);
      expect(byKey.text).toContain(`action="/admin/obligations/${quarterlyId}/confirm"`);
      // Totals per duty: the yearly report, done by two units (the complete one and Sở Tư pháp) of 28.
      const bc = m.duties.find((d) => d.code === 'BC-15/11')!;
      expect(bc).toMatchObject({ done: 2, total: 28 });
      expect(m.cellCounts.done).toBeGreaterThan(0);

      // A week later: 30/11 is within 7 days; the extension still runs.
      // (A session ends after eight idle hours: a new login at each moved clock.)
      const at = async (iso: string) => {
        w.s.clock.set(new Date(iso));
        const c = w.newClient();
        await c.login(w.admin.email, w.admin.password);
        return (await c.get('/admin?year=2026')).text;
      };
      try {
        const later = await at('2026-11-24T02:00:00Z');
        expect(later).toContain('Tính đến 24/11/2026 09:00');
        expect(cellClass(later, report!.id)).toBe('s-soon');
        expect(cellClass(later, extended!.id)).toBe('s-extended');
        expect(cellClass(await at('2026-12-21T02:00:00Z'), extended!.id)).toBe('s-overdue');
      } finally {
        w.s.clock.set(new Date('2026-11-16T02:00:00Z'));
        // Logging in later ended the sessions idle since (the clock went back, they did not come back).
        await w.client.login(w.admin.email, w.admin.password);
      }
    });

    it('filters by unit group, by plan and by state', async () => {
      const group = await db().unitGroup.findFirstOrThrow({
        where: { orgId: w.orgId, name: 'Ủy ban nhân dân quận, huyện, thành phố Thủ Đức' },
        include: { members: { include: { unit: true } } },
      });
      const byGroup = (await w.client.get(`/admin?group=${group.id}`)).text;
      const rows = [...byGroup.matchAll(/<th scope="row" title="([^"]+)">/g)].map((r) => r[1]);
      expect(rows.sort()).toEqual(group.members.map((m) => m.unit.name).sort());

      const done = (await w.client.get('/admin?state=done')).text;
      const doneRows = [...done.matchAll(/<th scope="row" title="([^"]+)">/g)].map((r) => r[1]);
      expect(doneRows).toContain('Sở Tư pháp');
      expect(doneRows).toContain('Ban Tuyên giáo Thành ủy');
      expect(doneRows).not.toContain('Sở Nội vụ');

      // A second plan with one duty for one unit: filtering by it shows that cell only.
      const unit = await db().unit.findFirstOrThrow({ where: { orgId: w.orgId, name: 'Sở Y tế' } });
      const plan = await db().plan.create({ data: { orgId: w.orgId, code: '99/KH-THU', title: 'Kế hoạch thử' } });
      const duty = await db().duty.create({
        data: { orgId: w.orgId, planId: plan.id, code: 'T1', title: 'Nhiệm vụ thử', timeframe: '01/12/2026' },
      });
      const o = await db().obligation.create({
        data: {
          orgId: w.orgId,
          dutyId: duty.id,
          unitId: unit.id,
          periodKey: 'once',
          dueAt: new Date('2026-12-01T16:59:59Z'),
        },
      });
      const byPlan = (await w.client.get(`/admin?plan=${plan.id}`)).text;
      expect([...byPlan.matchAll(/<th scope="row" title="([^"]+)">/g)].map((r) => r[1])).toEqual(['Sở Y tế']);
      expect(byPlan).toContain('>T1</th>');
      expect(byPlan).not.toContain('>BC-15/11</th>');
      expect(cellClass(byPlan, o.id)).toBe('s-open');
      expect(byPlan).toContain('0/1 đơn vị đã hoàn thành');

      // Bad filters: said, and ignored.
      const bad = await w.client.get('/admin?year=abc&state=nope&plan=00000000-0000-0000-0000-000000000000');
      expect(bad.status).toBe(200);
      expect(bad.text).toContain('Năm «abc» không hợp lệ');
      expect(bad.text).toContain('Trạng thái lọc không hợp lệ');
      expect(bad.text).toContain('Không có kế hoạch này');
      // Another year has no obligation at all.
      expect((await w.client.get('/admin?year=2030')).text).toContain(
        'Không có đơn vị nào có nghĩa vụ phù hợp trong năm này.',
      );
    });

    it('escapes a duty title with markup wherever it appears', async () => {
      await db().duty.updateMany({
        where: { orgId: w.orgId, code: '4.1' },
        data: { title: '<script>alert("x")</script> & co' },
      });
      const page = (await w.client.get('/admin/status')).text;
      expect(page).not.toContain('<script>alert');
      expect(page).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co');
      const [o] = await db().obligation.findMany({ where: { orgId: w.orgId, duty: { code: '4.1' } } });
      const detail = (await w.client.get(`/admin/obligations/${o!.id}`)).text;
      expect(detail).not.toContain('<script>alert');
      expect(detail).toContain('&lt;script&gt;');
    });
  });

  describe('acting on a unit’s behalf', () => {
    const postReason = 'Đơn vị đã gửi báo cáo bằng văn bản giấy';

    it('confirms on the unit’s behalf with a reason: the obligation is done, the confirmation and the audit row say who and why', async () => {
      const [o] = await obligationsOf('Sở Công Thương', 'BC-15/11');
      const page = await w.client.get(`/admin/obligations/${o!.id}`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('Sở Công Thương');
      expect(page.text).toContain('Quá hạn');
      expect(page.text).toContain('15/11/2026');
      const res = await w.client.post(`/admin/obligations/${o!.id}/confirm`, {
        reason: postReason,
        back: '/admin?year=2026',
      });
      expect(res.status).toBe(303);
      expect(res.location).toBe(`/admin/obligations/${o!.id}?year=2026`);
      const after = await db().obligation.findUniqueOrThrow({ where: { id: o!.id } });
      expect(after.status).toBe('done');
      const c = await db().confirmation.findFirstOrThrow({ where: { obligationId: o!.id } });
      expect(c).toMatchObject({ contactId: null, actor: `web:${w.admin.email}`, via: 'web', note: postReason });
      const a = await lastAudit('obligation.confirm');
      expect(a).toMatchObject({ actor: `web:${w.admin.email}`, entityId: o!.id });
      expect(a!.data).toMatchObject({ via: 'web', note: postReason });
      const shown = await w.client.get(res.location!);
      expect(shown.text).toContain('Đã xác nhận hoàn thành thay đơn vị: BC-15/11 · Sở Công Thương');
      // Who confirmed reads as the administrator's name, on the page and in the matrix's cell.
      expect(shown.text).toContain(`<td>Chị Quản Trị (quản trị viên)</td>`);
      expect(cellTitle((await w.client.get('/admin?year=2026')).text, o!.id)).toMatch(
        new RegExp(`^Đã hoàn thành · Chị Quản Trị \\(quản trị viên\\) \\d\\d/11/2026 \\d\\d:\\d\\d$`),
      );
      expect(shown.text).toContain('<td>trang quản trị</td>');
      // In English on an English page: who, how, and the matrix's cell.
      const en = w.newClient();
      en.cookies.set('lang', 'en');
      await en.login(w.admin.email, w.admin.password);
      const english = (await en.get(res.location!)).text;
      expect(english).toContain(`<td>Chị Quản Trị (administrator)</td>`);
      expect(english).toContain('<td>the web pages</td>');
      expect(english).not.toContain('quản trị viên');
      expect(cellTitle((await en.get('/admin?year=2026')).text, o!.id)).toMatch(/ · Chị Quản Trị \(administrator\) /);
      expect(shown.text).toContain(postReason);
      expect(shown.text).not.toContain('/confirm"');

      // Stale: a second confirmation changes nothing and says so.
      const audits = await db().auditEvent.count();
      const again = await w.client.post(`/admin/obligations/${o!.id}/confirm`, { reason: postReason });
      expect(again.status).toBe(400);
      expect(again.text).toContain('đã được xác nhận hoàn thành trước đó');
      const waive = await w.client.post(`/admin/obligations/${o!.id}/waive`, { reason: 'thử miễn' });
      expect(waive.status).toBe(400);
      expect(waive.text).toContain('đã hoàn thành; không miễn được');
      expect(await db().auditEvent.count()).toBe(audits);
      expect(await db().confirmation.count({ where: { obligationId: o!.id } })).toBe(1);
    });

    it('waives with a reason, cancelling what was pending', async () => {
      const [o] = await obligationsOf('Sở Giao thông vận tải', 'BC-15/11');
      const contact = await contactOf('Sở Giao thông vận tải');
      await db().reminder.create({
        data: {
          orgId: w.orgId,
          obligationId: o!.id,
          contactId: contact,
          channel: 'sandbox',
          kind: 'overdue',
          stage: 'overdue-1@20261115',
          scheduledAt: new Date('2026-11-17T01:00:00Z'),
        },
      });
      const res = await w.client.post(`/admin/obligations/${o!.id}/waive`, {
        reason: 'Nhiệm vụ không áp dụng cho đơn vị',
      });
      expect(res.status).toBe(303);
      expect((await db().obligation.findUniqueOrThrow({ where: { id: o!.id } })).status).toBe('waived');
      expect(await db().reminder.count({ where: { obligationId: o!.id, status: 'pending' } })).toBe(0);
      const a = await lastAudit('obligation.waive');
      expect(a).toMatchObject({
        actor: `web:${w.admin.email}`,
        entityId: o!.id,
        data: { reason: 'Nhiệm vụ không áp dụng cho đơn vị', cancelledReminders: 1 },
      });
      expect((await w.client.get(res.location!)).text).toContain('Đã miễn: BC-15/11 · Sở Giao thông vận tải');
    });

    it('nudges one obligation, and a unit from its matrix row, at once through the send queue', async () => {
      const [o] = await obligationsOf('Sở Khoa học và Công nghệ', 'BC-15/11');
      const res = await w.client.post(`/admin/obligations/${o!.id}/nudge`, { reason: 'Quá hạn báo cáo năm' });
      expect(res.status).toBe(303);
      const reminders = await db().reminder.findMany({
        where: { obligationId: o!.id, stage: { startsWith: 'nudge-' } },
      });
      expect(reminders).toHaveLength(1);
      // Queued as the contact's message of this nudge (one per contact: its bundle).
      const bundle = await db().bundle.findFirstOrThrow({
        where: { contactId: reminders[0]!.contactId, slot: reminders[0]!.stage.split('@')[0]! },
      });
      expect(await queuedBundleIds(w.s.app.sendQueue())).toContain(bundle.id);
      expect(await lastAudit('obligation.nudge')).toMatchObject({
        actor: `web:${w.admin.email}`,
        data: { obligations: 1, reminders: 1, reason: 'Quá hạn báo cáo năm' },
      });
      expect((await w.client.get(res.location!)).text).toContain(
        'Đã nhắc Sở Khoa học và Công nghệ: 1 nhắc nhở cho 1 nghĩa vụ',
      );

      // The matrix row's button: the unit's overdue obligations and its next due date.
      w.s.clock.advance(60_000);
      const unit = await db().unit.findFirstOrThrow({ where: { orgId: w.orgId, name: 'Sở Nội vụ' } });
      const matrix = (await w.client.get('/admin/status')).text;
      expect(matrix).toContain(`form="nudge" name="unit" value="${unit.id}"`);
      const before = await db().reminder.count({
        where: { obligation: { unitId: unit.id }, stage: { startsWith: 'nudge-' } },
      });
      const row = await w.client.post('/admin/nudge', {
        unit: unit.id,
        reason: 'Nhắc trước báo cáo 30/11',
        back: '/admin?year=2026&state=overdue',
      });
      expect(row.status, row.text).toBe(303);
      expect(row.location).toBe('/admin?year=2026&state=overdue');
      const made =
        (await db().reminder.count({ where: { obligation: { unitId: unit.id }, stage: { startsWith: 'nudge-' } } })) -
        before;
      expect(made).toBeGreaterThan(1);
      expect(await lastAudit('obligation.nudge')).toMatchObject({
        entity: 'unit',
        entityId: unit.id,
        actor: `web:${w.admin.email}`,
        data: { reminders: made, reason: 'Nhắc trước báo cáo 30/11' },
      });
      w.s.clock.set(new Date('2026-11-16T02:00:00Z'));
    });

    it('approves and refuses extension requests with a reason, once', async () => {
      const unit = 'Sở Kế hoạch và Đầu tư';
      const [o1] = await obligationsOf(unit, 'BC-15/11');
      const quarterly = (await obligationsOf(unit)).filter((o) => o.status === 'open' && o.dueAt > now());
      const contact = await contactOf(unit);
      const unitId = o1!.unitId;
      const r1 = await requestExtension(db(), {
        contactId: contact,
        unitId,
        obligationId: o1!.id,
        toDay: '2026-11-30',
        dueAt: new Date('2026-11-30T16:59:59Z'),
        reason: 'Chờ số liệu',
      });
      const page = (await w.client.get(`/admin/obligations/${o1!.id}`)).text;
      expect(page).toContain(`action="/admin/extensions/${r1.request.id}/decide"`);
      expect(page).toContain('Chờ số liệu');

      const res = await w.client.post(`/admin/extensions/${r1.request.id}/decide`, {
        decision: 'approve',
        reason: 'Đồng ý theo công văn',
      });
      expect(res.status).toBe(303);
      expect(res.location).toBe(`/admin/obligations/${o1!.id}`);
      expect((await db().obligation.findUniqueOrThrow({ where: { id: o1!.id } })).extendedTo).toEqual(
        new Date('2026-11-30T16:59:59Z'),
      );
      expect(await db().extensionRequest.findUniqueOrThrow({ where: { id: r1.request.id } })).toMatchObject({
        status: 'approved',
        decidedBy: 'Chị Quản Trị',
      });
      expect(await lastAudit('extension.approve')).toMatchObject({
        actor: `web:${w.admin.email}`,
        entityId: o1!.id,
        data: { reason: 'Đồng ý theo công văn' },
      });
      const shown = (await w.client.get(res.location!)).text;
      expect(shown).toContain('Đã duyệt gia hạn BC-15/11 · Sở Kế hoạch và Đầu tư đến 30/11/2026');
      expect(shown).toContain('gia hạn đến 30/11/2026');

      // Stale: deciding it again (a second administrator, a double click) changes nothing.
      const audits = await db().auditEvent.count();
      const again = await w.client.post(`/admin/extensions/${r1.request.id}/decide`, {
        decision: 'refuse',
        reason: 'Không đồng ý',
      });
      expect(again.status).toBe(400);
      expect(again.text).toContain('đã được duyệt trước đó');
      expect((await db().extensionRequest.findUniqueOrThrow({ where: { id: r1.request.id } })).status).toBe('approved');
      expect(await db().auditEvent.count()).toBe(audits);

      const o2 = quarterly[0]!;
      const r2 = await requestExtension(db(), {
        contactId: contact,
        unitId,
        obligationId: o2.id,
        toDay: '2027-01-15',
        dueAt: new Date('2027-01-15T16:59:59Z'),
        reason: 'Xin lùi',
      });
      const refused = await w.client.post(`/admin/extensions/${r2.request.id}/decide`, {
        decision: 'refuse',
        reason: 'Hạn đã đủ dài',
      });
      expect(refused.status).toBe(303);
      expect(await db().extensionRequest.findUniqueOrThrow({ where: { id: r2.request.id } })).toMatchObject({
        status: 'refused',
        decidedBy: 'Chị Quản Trị',
      });
      expect((await db().obligation.findUniqueOrThrow({ where: { id: o2.id } })).extendedTo).toBeNull();
      expect(await lastAudit('extension.refuse')).toMatchObject({
        actor: `web:${w.admin.email}`,
        data: { reason: 'Hạn đã đủ dài' },
      });
    });

    it('refuses a missing reason, a malformed id and another organisation’s ids, changing nothing', async () => {
      await seedDemo(db(), { orgCode: 'hn', timeZone: 'Asia/Ho_Chi_Minh', now: now(), actor: 'test' });
      const hn = await db().organisation.findUniqueOrThrow({ where: { code: 'hn' } });
      const foreign = await db().obligation.findFirstOrThrow({ where: { orgId: hn.id, duty: { code: 'BC-15/11' } } });
      const foreignContact = await db().contact.findFirstOrThrow({ where: { unitId: foreign.unitId } });
      const foreignRequest = await requestExtension(db(), {
        contactId: foreignContact.id,
        unitId: foreign.unitId,
        obligationId: foreign.id,
        toDay: '2026-11-30',
        dueAt: new Date('2026-11-30T16:59:59Z'),
        reason: 'x',
      });
      const [mine] = await obligationsOf('Sở Y tế', 'BC-15/11');
      const audits = await db().auditEvent.count();
      const reminders = await db().reminder.count();

      for (const path of [
        `/admin/obligations/${foreign.id}`,
        `/admin/o/${obligationKey(foreign.id)}`,
        '/admin/obligations/not-an-id',
        '/admin/o/AAAAAAAAAAAAAAAAAAAAAB',
        "/admin/obligations/1'%20OR%201=1",
      ]) {
        const res = await w.client.get(path);
        expect(res.status, path).toBe(404);
        expect(res.text).toContain('Không tìm thấy nghĩa vụ này trong tổ chức của anh/chị');
      }
      for (const action of ['confirm', 'waive', 'nudge']) {
        const forged = await w.client.post(`/admin/obligations/${foreign.id}/${action}`, { reason: 'giả mạo thử' });
        expect(forged.status, action).toBe(404);
        expect(forged.text).toContain('Không có gì thay đổi');
        const malformed = await w.client.post(`/admin/obligations/xyz/${action}`, { reason: 'giả mạo thử' });
        expect(malformed.status, action).toBe(404);
        const noReason = await w.client.post(`/admin/obligations/${mine!.id}/${action}`, { reason: '  ' });
        expect(noReason.status, action).toBe(400);
        expect(noReason.text).toContain('Cần ghi lý do');
      }
      const foreignUnit = await w.client.post('/admin/nudge', { unit: foreign.unitId, reason: 'giả mạo thử' });
      expect(foreignUnit.status).toBe(404);
      expect(foreignUnit.text).toContain('Không tìm thấy đơn vị này');
      const foreignDecision = await w.client.post(`/admin/extensions/${foreignRequest.request.id}/decide`, {
        decision: 'approve',
        reason: 'giả mạo thử',
      });
      expect(foreignDecision.status).toBe(404);
      expect(foreignDecision.text).toContain('Không tìm thấy đề nghị gia hạn');
      const noDecision = await w.client.post(`/admin/extensions/${foreignRequest.request.id}/decide`, {
        reason: 'thiếu lựa chọn',
      });
      expect(noDecision.status).toBe(400);

      expect(await db().auditEvent.count()).toBe(audits);
      expect(await db().reminder.count()).toBe(reminders);
      expect(await db().obligation.findUniqueOrThrow({ where: { id: foreign.id } })).toMatchObject({
        status: 'open',
        extendedTo: null,
      });
      expect(await db().obligation.findUniqueOrThrow({ where: { id: mine!.id } })).toMatchObject({ status: 'open' });
      expect((await db().extensionRequest.findUniqueOrThrow({ where: { id: foreignRequest.request.id } })).status).toBe(
        'pending',
      );
      // The other organisation's units are not in this one's matrix.
      const other = await db().unit.findFirstOrThrow({ where: { orgId: hn.id } });
      expect((await w.client.get('/admin/status')).text).not.toContain(other.id);
    });

    it('shows the page in English on the switch', async () => {
      const c = w.newClient();
      await c.get('/lang/en?back=/login');
      await c.login(w.admin.email, w.admin.password);
      const page = (await c.get('/admin/status')).text;
      expect(page).toContain('Status of 2026');
      expect(page).toMatch(/\d+\/30 units done/);
      expect(page).toContain('Due soon (within 7 days)');
    });
  });
});
