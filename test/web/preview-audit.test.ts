import { fromZonedTime } from 'date-fns-tz';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zonedDay } from '#root/domain/zoned-day.js';
import { planWindow } from '#root/services/planner.js';
import { buildMiniOrg } from '../helpers/builders.js';
import { startWebTest, type WebTest } from '../helpers/web.js';

const ZONE = 'Asia/Ho_Chi_Minh';
const rowsOf = (page: string) => page.match(/<tr id="a\d+">/g)?.length ?? 0;
const idsOf = (page: string) => [...page.matchAll(/<tr id="a(\d+)">/g)].map((m) => BigInt(m[1]!));

describe('the reminder preview and the audit log pages', () => {
  let w: WebTest;
  beforeAll(async () => {
    w = await startWebTest();
  }, 60_000);
  afterAll(async () => w?.stop());

  describe('the reminder preview', () => {
    it('lists what the planner would send in the range, sending and storing nothing', async () => {
      const before = await w.t.prisma.reminder.count();
      const res = await w.client.get('/admin/preview?from=2026-11-16&to=2026-12-15');
      expect(res.status).toBe(200);
      const plan = await planWindow(
        w.t.prisma,
        w.orgId,
        fromZonedTime('2026-11-16T00:00:00', ZONE),
        fromZonedTime('2026-12-15T23:59:59.999', ZONE),
      );
      // One row per message: a contact's items of a day on a channel go out together.
      const messages = new Map<string, typeof plan.reminders>();
      for (const r of plan.reminders) {
        const key = `${r.contactId}|${r.channel}|${zonedDay(r.at, ZONE)}`;
        messages.set(key, [...(messages.get(key) ?? []), r]);
      }
      const total = messages.size + plan.digests.length;
      expect(plan.reminders.length).toBeGreaterThan(10);
      expect(messages.size).toBeLessThan(plan.reminders.length);
      expect(res.text).toContain(
        `<strong>${total}</strong> tin: ${messages.size} tin nhắc gồm ${plan.reminders.length} việc, ${plan.digests.length} thư tổng hợp`,
      );
      const rowsShown = res.text.match(/<tr><td data-label="" class="half short">\d\d\/\d\d\/2026 \d\d:\d\d<\/td>/g);
      expect(rowsShown?.length).toBe(Math.min(total, 2000));
      // A message of several items lists each: its kind and duty, under its recipient and channel.
      const [, several] = [...messages].find(([, items]) => items.length > 1)!;
      const r = several[0]!;
      const when = new Intl.DateTimeFormat('vi-VN', {
        timeZone: ZONE,
        day: '2-digit',
        month: '2-digit',
        year: 'numeric',
      }).format(r.at);
      const kindOf = (k: (typeof several)[number]['kind']) =>
        ({
          lead: 'Nhắc trước hạn',
          due: 'Đúng hạn',
          overdue: 'Quá hạn',
          escalation: 'Báo cáo lên',
          cooperating: 'Phối hợp',
        })[k];
      // Names are matched as text: "Quản trị viên Sở TTTT (demo)", first since escalations without a unit head reach the administrators, has brackets.
      const lit = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const row = new RegExp(
        `<tr><td data-label="" class="half short">${when} \\d\\d:\\d\\d</td><td data-label="" class="half"><strong>${lit(r.contact)}</strong>.*?</tr>`,
        'g',
      );
      const cells = [...res.text.matchAll(row)]
        .map((m) => m[0])
        .find((m) => several.every((i) => m.includes(`${kindOf(i.kind)}: ${i.duty}`)));
      expect(cells, `a row of ${r.contact} listing ${several.map((i) => i.duty).join(', ')}`).toBeDefined();
      expect(cells).toContain('Hộp thư thử');
      expect(res.text).toContain('Tổng hợp cho quản trị');
      expect(res.text).toContain('value="2026-11-16"');
      expect(await w.t.prisma.reminder.count()).toBe(before);
      expect(await w.t.prisma.outboxMessage.count()).toBe(0);
    });

    it('shows the next two weeks when no range is given', async () => {
      const res = await w.client.get('/admin/preview');
      expect(res.status).toBe(200);
      expect(res.text).toContain('name="from" value="2026-11-16"');
      expect(res.text).toContain('name="to" value="2026-11-29"');
      expect(res.text).toMatch(/<strong>\d+<\/strong> tin/);
    });

    it('refuses bad dates, a reversed range and one longer than 92 days, with the form to fix it', async () => {
      const cases: [string, RegExp][] = [
        ['from=2026-13-01&to=2026-12-01', /Từ ngày: «2026-13-01» không phải một ngày/],
        ['from=2026-02-30&to=2026-03-01', /Từ ngày: «2026-02-30» không phải một ngày/],
        ['from=hôm-nay&to=2026-12-01', /ghi theo dạng năm-tháng-ngày, VD 2026-11-16/],
        ['from=2026-12-01&to=2026-11-01', /Ngày đầu 01\/12\/2026 sau ngày cuối 01\/11\/2026\./],
        ['from=2026-01-01&to=2026-12-31', /Khoảng 365 ngày quá dài: tối đa 92 ngày/],
      ];
      for (const [q, message] of cases) {
        const res = await w.client.get(`/admin/preview?${q}`);
        expect(res.status, q).toBe(400);
        expect(res.text, q).toMatch(message);
        expect(res.text).toContain('Không có gì thay đổi');
        expect(res.text, q).not.toMatch(/\.\. Không có gì thay đổi/);
        expect(res.text).toContain('<form method="get" action="/admin/preview"');
      }
      // A repeated parameter is not text: ignored (the default day), never a server error.
      const repeated = await w.client.get('/admin/preview?from=2026-11-20&from=2026-11-21&to=2026-11-25');
      expect(repeated.status).toBe(200);
      expect(repeated.text).toContain('name="from" value="2026-11-16"');
      // 92 days is allowed.
      expect((await w.client.get('/admin/preview?from=2026-10-01&to=2026-12-31')).status).toBe(200);
    });
  });

  describe('the audit log', () => {
    let paged: bigint[];
    beforeAll(async () => {
      // 230 rows of one actor, inserted oldest first.
      await w.t.prisma.auditEvent.createMany({
        data: Array.from({ length: 230 }, (_, i) => ({
          orgId: w.orgId,
          actor: 'test:pager',
          action: 'test.page',
          entity: 'thing',
          entityId: String(i),
          data: { i },
        })),
      });
      paged = (
        await w.t.prisma.auditEvent.findMany({
          where: { actor: 'test:pager' },
          orderBy: { id: 'desc' },
          select: { id: true },
        })
      ).map((r) => r.id);
      await w.t.prisma.auditEvent.createMany({
        data: [
          {
            orgId: w.orgId,
            actor: 'test:dated',
            action: 'template.update',
            entity: 'template',
            entityId: null,
            data: { template: 'vi/x' },
            createdAt: new Date('2026-10-01T17:30:00Z'),
          },
          {
            orgId: w.orgId,
            actor: 'test:dated',
            action: 'obligation.waive',
            entity: 'obligation',
            entityId: 'o-1',
            data: { reason: '<script>alert("x")</script> & “lý do”' },
            createdAt: new Date('2026-10-05T03:00:00Z'),
          },
        ],
      });
      const other = await buildMiniOrg(w.t.prisma, { code: 'khac', units: 1, duties: [], now: w.s.clock.now() });
      await w.t.prisma.auditEvent.create({
        data: { orgId: other.org.id, actor: 'test:pager', action: 'test.page', entity: 'thing', entityId: 'other-org' },
      });
    });

    it('lists the organisation’s rows newest first, with labels, in its time zone, the data escaped', async () => {
      const res = await w.client.get('/admin/audit');
      expect(res.status).toBe(200);
      expect(rowsOf(res.text)).toBe(100);
      const ids = idsOf(res.text);
      expect([...ids].sort((a, b) => (b > a ? 1 : -1))).toEqual(ids);
      const dated = await w.client.get('/admin/audit?actor=test:dated');
      expect(rowsOf(dated.text)).toBe(2);
      // 2026-10-01T17:30Z is 02/10/2026 00:30 in Hồ Chí Minh City.
      expect(dated.text).toContain('02/10/2026 00:30');
      expect(dated.text).toContain('Sửa mẫu tin<br><span class="muted">template.update</span>');
      expect(dated.text).toContain('Miễn<br><span class="muted">obligation.waive</span>');
      expect(dated.text).toContain(
        '{&quot;reason&quot;:&quot;&lt;script&gt;alert(\\&quot;x\\&quot;)&lt;/script&gt; &amp; “lý do”&quot;}',
      );
      expect(dated.text).not.toContain('<script>alert');
    });

    it('filters by actor, action and days of the organisation’s zone', async () => {
      const byAction = await w.client.get('/admin/audit?action=template.update');
      expect(rowsOf(byAction.text)).toBe(1);
      expect(byAction.text).toContain('<option value="template.update" selected>');
      const day = await w.client.get('/admin/audit?actor=dated&from=2026-10-02&to=2026-10-02');
      expect(rowsOf(day.text)).toBe(1);
      expect(day.text).toContain('template.update');
      expect((await w.client.get('/admin/audit?actor=dated&from=2026-10-01&to=2026-10-01')).text).toContain(
        'Không có dòng nào.',
      );
      expect(rowsOf((await w.client.get('/admin/audit?actor=TEST:DATED&from=2026-10-01&to=2026-10-31')).text)).toBe(2);
      // Another organisation's rows never show.
      const pager = await w.client.get('/admin/audit?actor=test:pager&action=test.page');
      expect(pager.text).not.toContain('other-org');
    });

    it('pages 100 rows at a time with an “older” link, keeping the filters', async () => {
      const seen: bigint[] = [];
      let path: string | null = '/admin/audit?actor=test%3Apager';
      const sizes: number[] = [];
      while (path) {
        const res = await w.client.get(path);
        expect(res.status).toBe(200);
        sizes.push(rowsOf(res.text));
        seen.push(...idsOf(res.text));
        const older = /<a href="([^"]+)">Cũ hơn/.exec(res.text)?.[1];
        path = older ? older.replace(/&amp;/g, '&') : null;
        if (path) expect(path).toContain('actor=test%3Apager');
      }
      expect(sizes).toEqual([100, 100, 30]);
      expect(seen).toEqual(paged);
    });

    it('refuses a bad day or cursor with a 400 page', async () => {
      for (const q of ['from=2026-02-30', 'to=x', 'before=abc', 'from=2026-10-05&to=2026-10-01']) {
        const res = await w.client.get(`/admin/audit?${q}`);
        expect(res.status, q).toBe(400);
        expect(res.text).toContain('<div class="error" role="alert">');
      }
    });
  });
});
