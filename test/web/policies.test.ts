import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureOrganisation } from '#root/services/orgs.js';
import { startWebTest, type WebResponse, type WebTest } from '../helpers/web.js';

const flashOf = (page: WebResponse) => /<div class="flash" role="status">([^<]*)<\/div>/.exec(page.text)?.[1] ?? '';
/** The message beside the wrong field of the refused policy form (or above the form). */
const fieldErrorOf = (page: WebResponse) => /class="field-error"[^>]*>([^<]*)</.exec(page.text)?.[1] ?? '';
const errorOf = (page: WebResponse) => /<h1>Không thực hiện được<\/h1><p>([^<]*)<\/p>/.exec(page.text)?.[1] ?? '';

describe('the policies and holidays page', () => {
  let w: WebTest;
  beforeAll(async () => {
    w = await startWebTest();
  }, 60_000);
  afterAll(async () => w?.stop());

  const policies = () => w.t.prisma.reminderPolicy.findMany({ where: { orgId: w.orgId }, orderBy: { target: 'asc' } });
  const audits = (action: string) =>
    w.t.prisma.auditEvent.findMany({ where: { orgId: w.orgId, action }, orderBy: { id: 'asc' } });

  describe('reminder policies', () => {
    it('shows the defaults in words and a form with every target of the organisation', async () => {
      const page = await w.client.get('/admin/policies');
      expect(page.status).toBe(200);
      expect(page.text).toContain('<li>nhắc trước hạn 14, 7, 3 và 1 ngày làm việc</li>');
      expect(page.text).toContain('<li>nhắc đúng ngày hạn</li>');
      expect(page.text).toContain(
        '<li>quá hạn: nhắc ngày làm việc đầu tiên sau hạn, rồi cứ 3 ngày làm việc một lần</li>',
      );
      expect(page.text).toContain('<li>giờ gửi 08:00–17:00 ngày làm việc</li>');
      expect(page.text).toContain('Chưa có thiết lập riêng nào.');
      const plan = await w.t.prisma.plan.findFirstOrThrow({ where: { orgId: w.orgId, code: '3131/KH-UBND' } });
      expect(page.text).toContain(`<option value="plan:${plan.id}">3131/KH-UBND:`);
      const duty = await w.t.prisma.duty.findFirstOrThrow({ where: { planId: plan.id, code: '4.2' } });
      expect(page.text).toContain(`<option value="duty:${duty.id}">3131/KH-UBND · 4.2:`);
      const english = w.newClient();
      await english.login(w.admin.email, w.admin.password);
      await english.get('/lang/en?back=/admin/policies');
      expect((await english.get('/admin/policies')).text).toContain(
        '<li>reminders 14, 7, 3 and 1 working days before the due date</li>',
      );
    });

    it('sets the organisation’s default, merging field by field, audited by the administrator', async () => {
      const res = await w.client.post('/admin/policies', {
        target: 'org',
        leadDays: '10, 5,2',
        overdueEvery: '2',
        windowStart: '07:30',
      });
      expect(res.status).toBe(303);
      const page = await w.client.get(res.location!);
      expect(flashOf(page)).toBe(
        'Đã lưu chính sách: Cả tổ chức: nhắc trước hạn 10, 5 và 2 ngày làm việc; quá hạn: nhắc ngày làm việc đầu tiên sau hạn, rồi cứ 2 ngày làm việc một lần; giờ gửi 07:30–… ngày làm việc',
      );
      expect(page.text).toContain('<li>giờ gửi 07:30–17:00 ngày làm việc</li>');
      await w.client.post('/admin/policies', { target: 'org', onDue: 'no', escalateAfter: '4' });
      const rows = await policies();
      expect(rows.map((r) => [r.target, r.settings])).toEqual([
        ['org', { leadDays: [10, 5, 2], overdueEvery: 2, windowStart: '07:30', onDue: false, escalateAfter: 4 }],
      ]);
      const audit = await audits('policy.set');
      expect(audit.map((a) => [a.actor, a.entityId])).toEqual([
        [`web:${w.admin.email}`, 'org'],
        [`web:${w.admin.email}`, 'org'],
      ]);
      expect(audit[1]!.data).toMatchObject({ onDue: false, escalateAfter: 4, leadDays: [10, 5, 2] });
    });

    it('sets an override for a plan and for a duty, each shown with its target', async () => {
      const plan = await w.t.prisma.plan.findFirstOrThrow({ where: { orgId: w.orgId, code: '3131/KH-UBND' } });
      const duty = await w.t.prisma.duty.findFirstOrThrow({ where: { planId: plan.id, code: '4.2' } });
      expect((await w.client.post('/admin/policies', { target: `plan:${plan.id}`, overdueMax: '5' })).status).toBe(303);
      expect(
        (await w.client.post('/admin/policies', { target: `duty:${duty.id}`, leadDays: '30,14', windowEnd: '16:30' }))
          .status,
      ).toBe(303);
      const page = await w.client.get('/admin/policies');
      const table = /<table class="policies">([\s\S]*?)<\/table>/.exec(page.text)?.[1] ?? '';
      expect(table).toContain('Kế hoạch 3131/KH-UBND</td><td><ul><li>nhắc quá hạn tối đa 5 lần</li></ul>');
      expect(table).toContain(`Nhiệm vụ 4.2 (3131/KH-UBND): ${duty.title.slice(0, 40)}`);
      expect(table).toContain('<li>nhắc trước hạn 30 và 14 ngày làm việc</li><li>giờ gửi …–16:30 ngày làm việc</li>');
      expect((await policies()).map((r) => r.target).sort()).toEqual(
        [`duty:${duty.id}`, 'org', `plan:${plan.id}`].sort(),
      );
    });

    it('refuses bad numbers, a window that ends before it starts, an empty form, and another organisation’s plan, changing nothing', async () => {
      const other = await ensureOrganisation(w.t.prisma, { code: 'khac', name: 'Tỉnh khác' });
      const foreign = await w.t.prisma.plan.create({
        data: { orgId: other.id, code: '1/KH-KHAC', title: 'Kế hoạch của tỉnh khác' },
      });
      const before = await policies();
      const auditsBefore = (await audits('policy.set')).length;
      const cases: [Record<string, string>, RegExp][] = [
        // Each message beside its field, in the page's language only, what was typed kept (issue 16).
        [{ target: 'org', overdueEvery: 'ba' }, /^Nhắc quá hạn mỗi: một số nguyên từ 1 đến 30\.$/],
        [{ target: 'org', leadDays: '14, 0' }, /^Nhắc trước hạn: các số ngày từ 1 đến 60/],
        [{ target: 'org', leadDays: '14, 99' }, /^Nhắc trước hạn/],
        [{ target: 'org', escalateAfter: '-1' }, /^Báo lãnh đạo sau: một số nguyên từ 1 đến 30\.$/],
        [{ target: 'org', windowStart: '25:00' }, /^Giờ dạng HH:MM/],
        [{ target: 'org', windowStart: '18:00', windowEnd: '09:00' }, /^Giờ kết thúc phải sau giờ bắt đầu\.$/],
        [{ target: 'org' }, /Chưa có thiết lập nào để lưu/],
        [{ target: 'org', onDue: 'maybe' }, /^Chọn «có», «không» hoặc «giữ nguyên»\.$/],
        [{ target: `plan:${foreign.id}`, overdueMax: '1' }, /Không có phạm vi/],
        [{ target: 'duty:not-an-id', overdueMax: '1' }, /Không có phạm vi/],
      ];
      for (const [form, message] of cases) {
        const res = await w.client.post('/admin/policies', form);
        expect(res.status, JSON.stringify(form)).toBe(400);
        expect(fieldErrorOf(res), JSON.stringify(form)).toMatch(message);
        expect(fieldErrorOf(res)).not.toMatch(/ \/ [a-z]/);
        expect(res.text).toContain('Không có gì thay đổi');
        for (const [name, value] of Object.entries(form)) {
          if (name === 'target' || name === 'onDue') continue;
          expect(res.text).toContain(`name="${name}"`);
          expect(res.text).toContain(`value="${value}"`);
        }
      }
      expect(await policies()).toEqual(before);
      expect(await audits('policy.set')).toHaveLength(auditsBefore);
      expect(await w.t.prisma.reminderPolicy.count({ where: { orgId: other.id } })).toBe(0);
    });

    it('removes an override, audited, and says so when there is none', async () => {
      const plan = await w.t.prisma.plan.findFirstOrThrow({ where: { orgId: w.orgId, code: '3131/KH-UBND' } });
      const res = await w.client.post('/admin/policies/clear', { target: `plan:${plan.id}` });
      expect(flashOf(await w.client.get(res.location!))).toContain('Đã bỏ thiết lập riêng');
      expect((await policies()).map((r) => r.target)).not.toContain(`plan:${plan.id}`);
      const audit = await audits('policy.clear');
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({
        actor: `web:${w.admin.email}`,
        entityId: `plan:${plan.id}`,
        data: { before: { overdueMax: 5 } },
      });
      const again = await w.client.post('/admin/policies/clear', { target: `plan:${plan.id}` });
      expect(again.status).toBe(400);
      expect(await audits('policy.clear')).toHaveLength(1);
    });

    it('escapes what a plan or duty title holds', async () => {
      await w.t.prisma.plan.create({
        data: { orgId: w.orgId, code: '9/KH-<i>X</i>', title: '<script>alert(1)</script>' },
      });
      const page = await w.client.get('/admin/policies');
      expect(page.text).toContain('9/KH-&lt;i&gt;X&lt;/i&gt;: &lt;script&gt;alert(1)&lt;/script&gt;');
      expect(page.text).not.toContain('<script>alert(1)');
    });
  });

  describe('holidays', () => {
    const adminDays = () => w.t.prisma.holiday.findMany({ where: { orgId: w.orgId }, orderBy: { date: 'asc' } });

    it('lists the law’s holidays of the year asked', async () => {
      const page = await w.client.get('/admin/policies?year=2027');
      expect(page.status).toBe(200);
      const table = /<table class="holidays">([\s\S]*?)<\/table>/.exec(page.text)?.[1] ?? '';
      expect(table).toContain('<td>01/01/2027</td><td>nghỉ</td>');
      expect(table).toContain('<td>02/09/2027</td><td>nghỉ</td>');
      expect(table).toContain('<td>30/04/2027</td>');
      // The law's days cannot be removed; there is nothing of the administrator's yet.
      expect(table).not.toContain('holidays/remove');
      expect(page.text).toContain('Ngày nghỉ và ngày làm bù năm 2027');
    });

    it('adds a day off and a substitute working day (either date form), audited, shown as the administrator’s', async () => {
      const a = await w.client.post('/admin/policies/holidays', {
        date: '2027-04-26',
        name: 'Nghỉ bù <Giỗ Tổ>',
        kind: 'holiday',
      });
      expect(a.status).toBe(303);
      expect(a.location).toBe('/admin/policies?year=2027#holidays');
      expect(flashOf(await w.client.get(a.location!))).toBe('26/04/2027: ngày nghỉ: Nghỉ bù &lt;Giỗ Tổ&gt;');
      expect(
        (await w.client.post('/admin/policies/holidays', { date: '8/5/2027', name: 'Làm bù thứ Bảy', kind: 'workday' }))
          .status,
      ).toBe(303);
      const days = await adminDays();
      expect(days.map((d) => [d.date.toISOString().slice(0, 10), d.kind, d.name, d.source])).toEqual([
        ['2027-04-26', 'holiday', 'Nghỉ bù <Giỗ Tổ>', 'admin'],
        ['2027-05-08', 'workday', 'Làm bù thứ Bảy', 'admin'],
      ]);
      const page = await w.client.get('/admin/policies?year=2027');
      const table = /<table class="holidays">([\s\S]*?)<\/table>/.exec(page.text)?.[1] ?? '';
      expect(table).toContain(
        '<td>26/04/2027</td><td>nghỉ</td><td>Nghỉ bù &lt;Giỗ Tổ&gt;</td>\n<td>quản trị viên</td>',
      );
      expect(table).toContain('<td>08/05/2027</td><td>làm bù</td><td>Làm bù thứ Bảy</td>');
      expect(table.match(/holidays\/remove/g)).toHaveLength(2);
      const audit = await w.t.prisma.auditEvent.findMany({
        where: { orgId: w.orgId, action: 'holiday.set' },
        orderBy: { id: 'asc' },
      });
      expect(audit.map((x) => [x.actor, (x.data as { date: string }).date])).toEqual([
        [`web:${w.admin.email}`, '2027-04-26'],
        [`web:${w.admin.email}`, '2027-05-08'],
      ]);
    });

    it('refuses bad dates, a missing name and an unknown kind, changing nothing', async () => {
      const before = await adminDays();
      const cases: [Record<string, string>, RegExp][] = [
        [{ date: '2027-02-30', name: 'X', kind: 'holiday' }, /Ngày «2027-02-30» không hợp lệ/],
        [{ date: '31/13/2027', name: 'X', kind: 'holiday' }, /không hợp lệ/],
        [{ date: 'mai', name: 'X', kind: 'holiday' }, /không hợp lệ/],
        [{ date: '', name: 'X', kind: 'holiday' }, /Chưa nhập ngày: ghi dạng DD\/MM\/YYYY/],
        [{ date: '2027-06-01', name: '', kind: 'holiday' }, /Cần tên ngày nghỉ/],
        [{ date: '2027-06-01', name: 'X', kind: 'weekend' }, /Loại ngày «weekend» không hợp lệ/],
      ];
      for (const [form, message] of cases) {
        const res = await w.client.post('/admin/policies/holidays', form);
        expect(res.status, JSON.stringify(form)).toBe(400);
        expect(errorOf(res), JSON.stringify(form)).toMatch(message);
      }
      const badYear = await w.client.get('/admin/policies?year=20x7');
      expect(badYear.status).toBe(400);
      expect(await adminDays()).toEqual(before);
    });

    it('removes an administrator’s day, audited; a day with none, or a bad date, is refused', async () => {
      const res = await w.client.post('/admin/policies/holidays/remove', { date: '2027-05-08' });
      expect(res.status).toBe(303);
      expect(flashOf(await w.client.get(res.location!))).toBe('Đã xóa ngày 08/05/2027.');
      expect((await adminDays()).map((d) => d.date.toISOString().slice(0, 10))).toEqual(['2027-04-26']);
      const audit = await w.t.prisma.auditEvent.findMany({ where: { orgId: w.orgId, action: 'holiday.remove' } });
      expect(audit.map((x) => [x.actor, x.data])).toEqual([[`web:${w.admin.email}`, { date: '2027-05-08' }]]);
      const none = await w.client.post('/admin/policies/holidays/remove', { date: '2027-01-01' });
      expect(none.status).toBe(400);
      expect(errorOf(none)).toContain('Không có ngày nào quản trị viên đã thêm vào 01/01/2027');
      expect((await w.client.post('/admin/policies/holidays/remove', { date: '2027-99-01' })).status).toBe(400);
      expect(await adminDays()).toHaveLength(1);
      expect(await w.t.prisma.auditEvent.count({ where: { orgId: w.orgId, action: 'holiday.remove' } })).toBe(1);
    });

    it('refuses a form without the CSRF token', async () => {
      const res = await w.client.post('/admin/policies/holidays', {
        _csrf: null,
        date: '2027-07-01',
        name: 'X',
        kind: 'holiday',
      });
      expect(res.status).toBe(403);
      expect(
        await w.t.prisma.holiday.count({ where: { orgId: w.orgId, date: new Date('2027-07-01T00:00:00Z') } }),
      ).toBe(0);
    });
  });
});
