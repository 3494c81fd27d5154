import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmObligation } from '#root/services/confirmations.js';
import { foldText } from '#root/services/matrix.js';
import { lateList, orgSummary } from '#root/services/summary.js';
import { seedDemo } from '#root/services/demo.js';
import { loadCalendar } from '#root/services/holidays.js';
import { overdueInWords } from '#root/domain/late-digest.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startWebTest, type WebTest } from '../helpers/web.js';
import { queuedBundleIds } from '../helpers/fan-out.js';

/**
 * The landing page's summary (issue 16), the late list of a duty, its one action "Nhắc tất cả" and
 * its exports, and the matrix's new filters: what each shows on the demo at 16/11 09:00, their
 * escaping, CSRF and audit, and refusals that change nothing.
 */
describe('the summary, the late list and “Nhắc tất cả”', () => {
  let w: WebTest;
  const db = () => w.t.prisma;
  let dutyId: string;
  /** BC-15/11's open obligations, all overdue on the 16th. */
  let late: { id: string; unitId: string; unit: { name: string } }[];

  beforeAll(async () => {
    w = await startWebTest();
    const duty = await db().duty.findFirstOrThrow({ where: { orgId: w.orgId, code: 'BC-15/11' } });
    dutyId = duty.id;
    // Two units have reported: the summary counts them out of the late list.
    const open = await db().obligation.findMany({
      where: { orgId: w.orgId, dutyId, status: 'open' },
      include: { unit: true },
      orderBy: { unit: { name: 'asc' } },
    });
    for (const o of open.slice(0, 2)) {
      const c = await db().contact.findFirstOrThrow({ where: { unitId: o.unitId, role: 'contact' } });
      await confirmObligation(db(), {
        obligationId: o.id,
        contactId: c.id,
        actor: `contact:${c.id}`,
        via: 'chat',
        now: w.s.clock.now(),
      });
    }
    late = open.slice(2);
  }, 120_000);
  afterAll(async () => w?.stop());

  it('lands on the summary: BC-15/11 “x/y đơn vị chưa báo cáo”, with a bar, linking to the late list', async () => {
    const res = await w.client.get('/admin');
    expect(res.status).toBe(200);
    const required = late.length + 2;
    expect(res.text).toContain('Tình hình ngày 16/11/2026');
    const card = res.text.slice(res.text.indexOf(`<a href="/admin/late/${dutyId}" class="block">`));
    expect(card).toMatch(/^[^]*?<span class="code">BC-15\/11<\/span>/);
    expect(card.slice(0, 800)).toContain(`${late.length}/${required} đơn vị chưa báo cáo`);
    expect(card.slice(0, 800)).toContain(`<progress value="2" max="${required}"></progress>`);
    expect(card.slice(0, 1200)).toContain(`${late.length} đơn vị quá hạn`);
    // The share done of what was due so far, per plan: the service's figures on the page.
    const s = await orgSummary(db(), w.orgId, w.s.clock.now());
    const plan = s.plans.find((p) => p.code === '3131/KH-UBND')!;
    expect(plan.dueSoFar).toBeGreaterThan(0);
    expect(plan.doneSoFar).toBeGreaterThanOrEqual(2);
    expect(res.text).toContain(`${plan.doneSoFar}/${plan.dueSoFar} việc đến hạn đã xong`);
    const bc = s.duties.find((d) => d.dutyId === dutyId)!;
    expect(bc).toMatchObject({ dueSoFar: required, doneSoFar: 2, late: late.length });
    // The matrix is one link away, and /admin with a matrix filter is still the matrix.
    expect(res.text).toContain('href="/admin/status?year=2026"');
    expect((await w.client.get('/admin?year=2026')).text).toContain('Tình hình thực hiện năm 2026');
  });

  it('lists the late units, most overdue first, with reminder, reply, contact and channel', async () => {
    const res = await w.client.get(`/admin/late/${dutyId}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('Đơn vị trễ hạn: BC-15/11');
    expect(res.text).toContain(`${late.length}/${late.length + 2} đơn vị quá hạn`);
    expect(res.text).toContain(`Nhắc tất cả (${late.length} đơn vị)`);
    const rows = res.text.match(/<tr><td data-label="">/g) ?? [];
    expect(rows.length).toBe(Math.min(late.length, 15));
    expect(res.text).toContain(late[0]!.unit.name);
    expect(res.text).toContain('1 ngày');
    expect(res.text).toContain(`Đầu mối ${late[0]!.unit.name}`);
    expect(res.text).toContain('Hộp thư thử');
    // The channel as an English page names it.
    const en = w.newClient();
    en.cookies.set('lang', 'en');
    await en.login(w.admin.email, w.admin.password);
    const english = await en.get(`/admin/late/${dutyId}`);
    expect(english.text).toContain('Sandbox outbox');
    expect(english.text).not.toContain('Hộp thư thử');
    // The second page holds the rest.
    const second = await w.client.get(`/admin/late/${dutyId}?page=2`);
    expect((second.text.match(/<tr><td data-label="">/g) ?? []).length).toBe(late.length - 15);
    // An unknown or malformed duty: 404, in Vietnamese only.
    const missing = await w.client.get('/admin/late/00000000-0000-0000-0000-000000000000');
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('Không tìm thấy nhiệm vụ này.');
    expect(missing.text).not.toContain('No such duty');
    expect((await w.client.get('/admin/late/khong-phai-id')).status).toBe(404);
  });

  it('says, for a unit no channel reaches, which channel failed for whom and why, in the page’s language', async () => {
    const u = late[0]!;
    const contacts = await db().contact.findMany({ where: { unitId: u.unitId, active: true } });
    for (const c of contacts)
      await db().contact.update({
        where: { id: c.id },
        data: { channels: ['telegram', 'sandbox'], disabledChannels: ['telegram', 'sandbox'], telegramChatId: 9090n },
      });
    const first = contacts.find((c) => c.role === 'contact')!;
    await db().auditEvent.create({
      data: {
        orgId: w.orgId,
        actor: 'system',
        action: 'contact.channel-disabled',
        entity: 'contact',
        entityId: first.id,
        data: { channel: 'telegram', reason: 'Telegram 403: Forbidden: bot was blocked by the user' },
      },
    });
    try {
      const rowOf = async (client: typeof w.client) => {
        const text =
          (await client.get(`/admin/late/${dutyId}`)).text + (await client.get(`/admin/late/${dutyId}?page=2`)).text;
        const at = text.indexOf(`<a href="/admin/units/${u.unitId}">`);
        expect(at).toBeGreaterThan(-1);
        return text.slice(at, text.indexOf('</tr>', at));
      };
      const vi = await rowOf(w.client);
      expect(vi).toContain('Không có kênh gửi được');
      expect(vi).toContain(
        `${first.name}: Telegram (lỗi: người nhận đã chặn bot — nhờ họ mở lại bot và gửi /start); Hộp thư thử (lỗi: kênh báo lỗi khi gửi cho người này`,
      );
      const en = w.newClient();
      en.cookies.set('lang', 'en');
      await en.login(w.admin.email, w.admin.password);
      const english = await rowOf(en);
      expect(english).toContain('No working channel');
      // One unit cannot be reached: counted in the singular, the rest in the plural.
      const enPage = (await en.get(`/admin/late/${dutyId}`)).text;
      expect(enPage).toContain(' 1 unit cannot be reached.');
      expect(enPage).toMatch(/Remind all \(\d+ units?\)/);
      expect(enPage).not.toMatch(/\b1 units\b/);
      expect(english).toContain(
        `${first.name}: Telegram (failed: the recipient blocked the bot — ask them to reopen it and send /start); Sandbox outbox (failed:`,
      );
      for (const row of [vi, english]) expect(row).not.toMatch(/Forbidden|blocked by the user|telegram|sandbox/);
    } finally {
      for (const c of contacts)
        await db().contact.update({
          where: { id: c.id },
          data: { channels: c.channels, disabledChannels: c.disabledChannels, telegramChatId: c.telegramChatId },
        });
      await db().auditEvent.deleteMany({ where: { entityId: first.id, action: 'contact.channel-disabled' } });
    }
  });

  it('escapes a unit name and a duty title with markup', async () => {
    const u = late[late.length - 1]!;
    const name = u.unit.name;
    await db().unit.update({ where: { id: u.unitId }, data: { name: '<img src=x onerror=alert(1)> & Co' } });
    await db().duty.update({ where: { id: dutyId }, data: { title: '<script>alert("t")</script>' } });
    try {
      for (const path of ['/admin', `/admin/late/${dutyId}?page=2`]) {
        const text = (await w.client.get(path)).text;
        expect(text).not.toContain('<script>alert');
        expect(text).not.toContain('<img src=x');
      }
      const list =
        (await w.client.get(`/admin/late/${dutyId}`)).text + (await w.client.get(`/admin/late/${dutyId}?page=2`)).text;
      expect(list).toContain('&lt;img src=x onerror=alert(1)&gt; &amp; Co');
      expect(list).toContain('&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;');
    } finally {
      await db().unit.update({ where: { id: u.unitId }, data: { name } });
    }
  });

  it('exports the late list as CSV and XLSX, formula-safe', async () => {
    const csv = await w.client.get(`/admin/late/${dutyId}/export.csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="don-vi-tre-bc-15-11.csv"');
    const lines = csv.text
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(lines[0]).toBe('Đơn vị,Hạn,Số ngày làm việc quá hạn,Số kỳ trễ,Nhắc gần nhất,Trả lời gần nhất,Đầu mối,Kênh');
    expect(lines.length).toBe(late.length + 1);
    expect(lines.some((l) => l.startsWith(`${late[0]!.unit.name},15/11/2026,1,1,`))).toBe(true);
    const res = await fetch(new URL(`/admin/late/${dutyId}/export.xlsx`, w.base), {
      headers: { cookie: [...w.client.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    expect(res.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await res.arrayBuffer());
    const sheet = wb.worksheets[0]!;
    expect(sheet.getRow(2).getCell(1).text).toBe('Đơn vị');
    expect(sheet.rowCount).toBe(late.length + 2);
    expect((await w.client.get(`/admin/late/${dutyId}/export.pdf`)).status).toBe(404);
  });

  it('counts lateness in the organisation’s working days, as the reminders and the digest say it', async () => {
    // Due Friday 16/10 (end of day); on Monday 16/11 that is 31 calendar days, 21 working days,
    // 20 once the administrator makes Monday 02/11 a holiday.
    const u = late[0]!;
    const o = await db().obligation.findFirstOrThrow({ where: { orgId: w.orgId, dutyId, unitId: u.unitId } });
    await db().obligation.update({ where: { id: o.id }, data: { dueAt: new Date('2026-10-16T16:59:59Z') } });
    const day = await db().holiday.create({
      data: { orgId: w.orgId, date: new Date('2026-11-02T00:00:00Z'), kind: 'holiday', name: 'Nghỉ thử' },
    });
    try {
      // The digest's count (delivery/digest.ts): working days after the due day up to today.
      const calendar = await loadCalendar(db(), w.orgId, [2026]);
      expect(calendar.workingDaysBetween('2026-10-16', '2026-11-16')).toBe(20);
      expect(overdueInWords(20, 'vi')).toBe('quá hạn 20 ngày làm việc');
      const list = await lateList(db(), w.orgId, dutyId, w.s.clock.now());
      expect(list.units[0]).toMatchObject({ unitId: u.unitId, workingDaysLate: 20 });
      const page = (await w.client.get(`/admin/late/${dutyId}`)).text;
      const row = page.slice(page.indexOf(`<strong>${u.unit.name}</strong>`)).split('</tr>')[0]!;
      expect(row).toContain('<span class="late-text">20 ngày làm việc</span>');
      expect(row).toContain('16/10/2026');
      expect(page).not.toContain('31 ngày');
      const csv = (await w.client.get(`/admin/late/${dutyId}/export.csv`)).text.replace(/^\uFEFF/, '').split('\r\n');
      expect(csv[0]).toContain(',Số ngày làm việc quá hạn,');
      expect(csv[1]!.startsWith(`${u.unit.name},16/10/2026,20,1,`)).toBe(true);
      const en = w.newClient();
      en.cookies.set('lang', 'en');
      await en.login(w.admin.email, w.admin.password);
      expect((await en.get(`/admin/late/${dutyId}`)).text).toContain('20 working days');
    } finally {
      await db().holiday.delete({ where: { id: day.id } });
      await db().obligation.update({ where: { id: o.id }, data: { dueAt: o.dueAt } });
    }
  });

  it('refuses “Nhắc tất cả” without the CSRF token or a reason, writing nothing', async () => {
    const before = { reminders: await db().reminder.count(), audits: await db().auditEvent.count() };
    const forged = await w.client.post(`/admin/late/${dutyId}/nudge`, { _csrf: null, reason: 'Nhắc giả mạo' });
    expect(forged.status).toBe(403);
    const noReason = await w.client.post(`/admin/late/${dutyId}/nudge`, { reason: ' ' });
    expect(noReason.status).toBe(400);
    expect(noReason.text).toContain('Cần ghi lý do');
    expect({ reminders: await db().reminder.count(), audits: await db().auditEvent.count() }).toEqual(before);
  });

  it('“Nhắc tất cả”: the nudge service once per late unit, queued at once, audited with the reason', async () => {
    // One late unit nobody can reach: named, not counted.
    const unreachable = late[1]!;
    await db().contact.updateMany({ where: { unitId: unreachable.unitId }, data: { active: false } });
    const res = await w.client.post(`/admin/late/${dutyId}/nudge`, { reason: 'Quá hạn báo cáo năm' });
    expect(res.status).toBe(303);
    expect(res.location).toBe(`/admin/late/${dutyId}`);
    const page = await w.client.get(res.location!);
    expect(page.text).toContain(`Đã nhắc ${late.length - 1} đơn vị trễ hạn BC-15/11`);
    expect(page.text).toContain(`Không liên lạc được 1 đơn vị: ${unreachable.unit.name}.`);
    const nudges = await db().auditEvent.findMany({
      where: { orgId: w.orgId, action: 'obligation.nudge', actor: `web:${w.admin.email}` },
    });
    expect(new Set(nudges.map((n) => n.entityId))).toEqual(
      new Set(late.filter((o) => o !== unreachable).map((o) => o.unitId)),
    );
    for (const n of nudges) expect(n.data).toMatchObject({ reason: 'Quá hạn báo cáo năm' });
    const all = await db().auditEvent.findFirstOrThrow({ where: { orgId: w.orgId, action: 'duty.nudge-late' } });
    expect(all).toMatchObject({
      actor: `web:${w.admin.email}`,
      entity: 'duty',
      entityId: dutyId,
      data: { reason: 'Quá hạn báo cáo năm', units: late.length - 1, unreachable: [unreachable.unit.name] },
    });
    // Each late unit's BC-15/11 reminder is on the send queue now.
    const reminders = await db().reminder.findMany({
      where: { obligationId: { in: late.map((o) => o.id) }, stage: { startsWith: 'nudge-' } },
    });
    expect(new Set(reminders.map((r) => r.obligationId)).size).toBe(late.length - 1);
    // Each is an item of its contact's message of this nudge (a bundle), whose job is queued.
    for (const r of reminders.slice(0, 3)) {
      const bundle = await db().bundle.findFirstOrThrow({
        where: { contactId: r.contactId, slot: r.stage.split('@')[0]! },
      });
      expect(await queuedBundleIds(w.s.app.sendQueue())).toContain(bundle.id);
    }
  });

  it('tells the history in words, with names and links, not ids or JSON', async () => {
    const u = late[0]!;
    const page = (await w.client.get(`/admin/units/${u.unitId}`)).text;
    const history = page.slice(page.indexOf('id="history"'));
    expect(history).toMatch(
      new RegExp(
        `<strong>Chị Quản Trị \\(quản trị viên\\)</strong> đã nhắc ngay <a href="/admin/units/${u.unitId}">${u.unit.name}</a> \\(\\d+ nhắc nhở cho \\d+ nghĩa vụ\\)\\. <span class="muted">Lý do: «Quá hạn báo cáo năm»</span>`,
      ),
    );
    const audit = (await w.client.get('/admin/audit?action=duty.nudge-late')).text;
    expect(audit).toContain(
      `<strong>Chị Quản Trị (quản trị viên)</strong> đã nhắc mọi đơn vị trễ hạn nhiệm vụ <a href="/admin/duties/${dutyId}">BC-15/11 «`,
    );
    expect(audit).toContain(`(${late.length - 1} đơn vị). <span class="muted">Lý do: «Quá hạn báo cáo năm»</span>`);
  });

  it('states the paste limit as what it is, beside the field and when it is passed', async () => {
    const form = (await w.client.get('/admin/import')).text;
    expect(form).toContain('Giới hạn: 2 MB dữ liệu biểu mẫu khi gửi; mỗi chữ có dấu tính đến 9 byte');
    const res = await w.client.post('/admin/import', { text: 'ệ'.repeat(250_000) });
    expect(res.status).toBe(413);
    expect(res.text).toContain('Văn bản dán vào quá dài: biểu mẫu gửi đi vượt 2 MB');
    expect(res.text).not.toContain('Tệp quá lớn');
  });

  it('filters the matrix by duty and unit name, sorts it by lateness, groups its columns by plan', async () => {
    const byDuty = (await w.client.get(`/admin/status?duty=${dutyId}`)).text;
    expect(byDuty.match(/<a href=\/admin\/o\//g)?.length).toBe(late.length + 2);
    expect(byDuty).toContain('<th scope="colgroup" colspan=1 class=plan');
    const search = (await w.client.get(`/admin/status?q=${encodeURIComponent('so noi vu')}`)).text;
    const found = [...search.matchAll(/<th scope="row" title="([^"]*)">/g)].map((m) => m[1]!);
    expect(found).toContain('Sở Nội vụ');
    expect(found.length).toBeLessThan(5);
    for (const name of found) expect(foldText(name)).toContain('so noi vu');
    const sorted = (await w.client.get('/admin/status?sort=late')).text;
    const rows = [...sorted.matchAll(/<th scope="row" title="([^"]*)">/g)].map((m) => m[1]);
    const overdue = await db().obligation.groupBy({
      by: ['unitId'],
      where: { orgId: w.orgId, status: 'open', current: true, dueAt: { lt: w.s.clock.now() }, extendedTo: null },
      _count: { _all: true },
      orderBy: { _count: { unitId: 'desc' } },
      take: 1,
    });
    const worst = await db().unit.findUniqueOrThrow({ where: { id: overdue[0]!.unitId } });
    expect(rows[0]).toBe(worst.name);
    const bad = await w.client.get('/admin/status?duty=00000000-0000-0000-0000-000000000000');
    expect(bad.text).toContain('Không có nhiệm vụ này; đang xem mọi nhiệm vụ.');
  });
});

/** A demo seeded as `npm start` seeds it: tracked from the current period, earlier ones history. */
describe('the summary of a plan tracked from today', () => {
  const NOW = new Date('2026-11-16T02:00:00Z');
  let t: TestDatabase;
  let orgId: string;
  const db = () => t.prisma;
  beforeAll(async () => {
    t = await createTestDatabase();
    await seedDemo(t.prisma, { orgCode: 'hcm', timeZone: 'Asia/Ho_Chi_Minh', now: NOW, actor: 'test' });
    orgId = (await t.prisma.organisation.findUniqueOrThrow({ where: { code: 'hcm' } })).id;
  }, 120_000);
  afterAll(() => t?.close());

  it('counts no period before the plan was tracked from as owed or late, as the matrix does', async () => {
    const now = NOW;
    const history = await db().obligation.findMany({
      where: { orgId, current: true, history: true, status: 'open', dueAt: { lt: now } },
      select: { dutyId: true },
    });
    // The demo tracks its plan from the current period: earlier periods of this year are history.
    expect(history.length).toBeGreaterThan(0);
    const s = await orgSummary(db(), orgId, now);
    const year = await db().obligation.findMany({
      where: { orgId, current: true, history: false, status: 'open', dueAt: { lt: now } },
      select: { dutyId: true, dueAt: true, extendedTo: true },
    });
    const lateOf = (dutyId: string) =>
      year.filter((o) => o.dutyId === dutyId && o.dueAt.getUTCFullYear() === 2026 && (o.extendedTo ?? o.dueAt) < now)
        .length;
    for (const d of s.duties) expect(d.late, d.code).toBe(lateOf(d.dutyId));
    // The late list of a duty with history lists only tracked periods, not the ones before.
    const dutyWithHistory = history[0]!.dutyId;
    const list = await lateList(db(), orgId, dutyWithHistory, now);
    const tracked = await db().obligation.count({
      where: {
        orgId,
        dutyId: dutyWithHistory,
        current: true,
        history: false,
        status: 'open',
        OR: [{ extendedTo: null, dueAt: { lt: now } }, { extendedTo: { lt: now } }],
      },
    });
    expect(list.units.reduce((n, u) => n + u.lateCount, 0)).toBe(tracked);
    expect(list.units.every((u) => u.lateCount > 0)).toBe(true);
  });
});
