import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandboxChannel } from '#root/channels/sandbox/index.js';
import { readIndicators } from '#root/import/indicators.js';
import { readText } from '#root/import/readers/text.js';
import { loadTemplates } from '#root/messages/templates.js';
import { createDelivery } from '#root/services/delivery.js';
import { linkExpiry, signLink } from '#root/services/links.js';
import { nudge } from '#root/services/nudge.js';
import { storeIndicators } from '#root/services/indicators.js';
import { readDocx } from '../helpers/docx.js';
import { startWebTest, type WebTest } from '../helpers/web.js';

/**
 * The demo with the plan's seven indicators (as its text gives them): the administrator's pages
 * per indicator and year, reporting on a unit's behalf from the obligation's page (validated,
 * undone, audited), adding and editing an indicator, and the report's download.
 */
describe('the indicators on the web', () => {
  let w: WebTest;
  let report: { id: string; unitId: string; unit: string };
  let rateId: string;

  beforeAll(async () => {
    w = await startWebTest();
    const db = w.t.prisma;
    const plan = await db.plan.findFirstOrThrow({ where: { orgId: w.orgId } });
    await db.$transaction((tx) =>
      storeIndicators(
        tx,
        w.orgId,
        plan.id,
        readIndicators(readText(readFileSync(new URL('../../prisma/sample/kh-3131-hcm.txt', import.meta.url), 'utf8'))),
      ),
    );
    rateId = (await db.indicator.findFirstOrThrow({ where: { orgId: w.orgId, code: '1' } })).id;
    // An obligation of the units' yearly report (the report duty with the most units).
    const duties = await db.duty.findMany({
      where: { orgId: w.orgId, origin: 'report' },
      include: { _count: { select: { obligations: true } } },
    });
    const yearly = duties.sort((x, y) => y._count.obligations - x._count.obligations)[0]!;
    const o = await db.obligation.findFirstOrThrow({ where: { dutyId: yearly.id }, include: { unit: true } });
    report = { id: o.id, unitId: o.unitId, unit: o.unit.name };
  });
  afterAll(() => w?.stop());

  const values = () => w.t.prisma.indicatorValue.findMany({ where: { orgId: w.orgId }, orderBy: { createdAt: 'asc' } });

  it('lists the year’s indicators with target, province value, met and units reported', async () => {
    const page = await w.client.get('/admin/indicators?year=2026');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Chỉ tiêu năm 2026');
    expect((page.text.match(/href="\/admin\/indicators\/[0-9a-f-]{36}\?year=2026"/g) ?? []).length).toBe(7);
    expect(page.text).toContain('(năm 2025)');
    expect(page.text).toContain('href="/admin/exports/report.docx?year=2026"');
  });

  it('lists the indicators the unit has not reported in its yearly report’s reminder', async () => {
    const db = w.t.prisma;
    await nudge(db, w.orgId, { unitId: report.unitId, obligationId: report.id, actor: 'test', now: w.s.clock.now() });
    const r = await db.reminder.findFirstOrThrow({ where: { obligationId: report.id, status: 'pending' } });
    const delivery = createDelivery({
      db,
      config: w.s.config,
      templates: loadTemplates(),
      channels: { sandbox: createSandboxChannel() },
      clock: w.s.clock,
      logger: w.s.deps.logger,
      metrics: w.s.app.metrics,
      workerId: 'test-indicators',
    });
    expect(await delivery.deliverReminder(r.id)).toMatchObject({ outcome: 'sent' });
    const message = await db.outboxMessage.findFirstOrThrow({ where: { reminderId: r.id } });
    expect(message.body).toContain('Chỉ tiêu năm chưa báo cáo (7), gửi số liệu kèm báo cáo:');
    expect(message.body).toMatch(
      /• 1\. Tỷ lệ hệ thống thông tin cấp độ 3, 4, 5 [^\n]* \(mục tiêu 100%\): \/chitieu 1 <tử số>\/<mẫu số>/,
    );
    // Another duty's reminder says nothing of indicators.
    const other = await db.outboxMessage.findMany({
      where: { orgId: w.orgId, body: { contains: 'Chỉ tiêu năm chưa báo cáo' } },
    });
    expect(other).toHaveLength(1);
  });

  it('reports a value on the unit’s behalf from the obligation’s page, audited, and shows it', async () => {
    const page = await w.client.get(`/admin/obligations/${report.id}`);
    expect(page.text).toContain('Chỉ tiêu năm 2026 của đơn vị');
    expect(page.text).toContain(`action="/admin/indicators/${rateId}/values"`);
    const res = await w.client.post(`/admin/indicators/${rateId}/values`, {
      unit: report.unitId,
      year: '2026',
      value: '45/50',
      note: 'theo công văn 12',
      back: `/admin/obligations/${report.id}`,
    });
    expect(res.status).toBe(303);
    expect(res.location).toBe(`/admin/obligations/${report.id}`);
    const [v] = await values();
    expect(v).toMatchObject({
      unitId: report.unitId,
      numerator: 45,
      denominator: 50,
      via: 'web',
      note: 'theo công văn 12',
    });
    expect(v!.actor).toBe(`web:${w.admin.email}`);
    const again = await w.client.get(`/admin/obligations/${report.id}`);
    expect(again.text).toContain('Đã ghi nhận thay');
    expect(again.text).toContain('45/50 (90%)');
    const audit = await w.t.prisma.auditEvent.findFirstOrThrow({
      where: { orgId: w.orgId, action: 'indicator.report' },
    });
    expect(audit.actor).toBe(`web:${w.admin.email}`);
  });

  it('refuses a rate over 100 %, text, and a unit that does not report it, writing nothing', async () => {
    const before = await values();
    const over = await w.client.post(`/admin/indicators/${rateId}/values`, {
      unit: report.unitId,
      year: '2026',
      value: '60/50',
    });
    expect(over.status).toBe(400);
    expect(over.text).toContain('Tử số không được lớn hơn mẫu số');
    const text = await w.client.post(`/admin/indicators/${rateId}/values`, {
      unit: report.unitId,
      year: '2026',
      value: 'nhiều',
    });
    expect(text.status).toBe(400);
    expect(text.text).toContain('«nhiều» không phải là số');
    // On an English page, in English only.
    const english = w.newClient();
    english.cookies.set('lang', 'en');
    await english.login(w.admin.email, w.admin.password);
    const inEnglish = await english.post(`/admin/indicators/${rateId}/values`, {
      unit: report.unitId,
      year: '2026',
      value: 'nhiều',
    });
    expect(inEnglish.status).toBe(400);
    expect(inEnglish.text).toContain('«nhiều» is not a number. Write numbers, e.g. 45/50. Nothing was changed.');
    expect(inEnglish.text).not.toContain('không phải là số');
    // A unit with no yearly report to send reports no indicator.
    const reporting = await w.t.prisma.obligation.findMany({
      where: { orgId: w.orgId, duty: { origin: 'report' } },
      select: { unitId: true },
    });
    const other = await w.t.prisma.unit.findFirstOrThrow({
      where: { orgId: w.orgId, id: { notIn: reporting.map((r) => r.unitId) } },
    });
    const notOwn = await w.client.post(`/admin/indicators/${rateId}/values`, {
      unit: other.id,
      year: '2026',
      value: '1/2',
    });
    expect(notOwn.status).toBe(400);
    expect(notOwn.text).toContain(`${other.name} không phải báo cáo chỉ tiêu`);
    expect(await values()).toEqual(before);
  });

  it('shows one indicator over the years: chart, Σ/Σ value, who reported and who did not', async () => {
    const page = await w.client.get(`/admin/indicators/${rateId}?year=2026`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<svg');
    for (const y of [2023, 2024, 2025, 2026]) expect(page.text).toContain(`>${y}</text>`);
    expect(page.text).toContain('class="bar-miss"');
    expect(page.text).not.toMatch(/style=|<script/);
    expect(page.text).toContain('Đơn vị đã báo cáo (1)');
    expect(page.text).toMatch(/Đơn vị chưa báo cáo \(\d+\)/);
    expect(page.text).toContain('>90%<');
  });

  it('withdraws the value (undo), audited', async () => {
    const res = await w.client.post(`/admin/indicators/${rateId}/undo`, { unit: report.unitId, year: '2026' });
    expect(res.status).toBe(303);
    expect((await values()).filter((v) => v.endedAt === null)).toEqual([]);
    expect(await w.t.prisma.auditEvent.count({ where: { orgId: w.orgId, action: 'indicator.undo' } })).toBe(1);
  });

  it('adds and edits an indicator, refusing bad targets', async () => {
    const plan = await w.t.prisma.plan.findFirstOrThrow({ where: { orgId: w.orgId } });
    const bad = await w.client.post('/admin/indicators', {
      plan: plan.id,
      code: '8',
      title: 'Tỷ lệ cán bộ được tập huấn',
      unit: '%',
      targets: '2026: nhiều',
      units: '',
    });
    expect(bad.status).toBe(400);
    expect(await w.t.prisma.indicator.count({ where: { orgId: w.orgId } })).toBe(7);
    const add = await w.client.post('/admin/indicators', {
      plan: plan.id,
      code: '8',
      title: 'Tỷ lệ cán bộ được tập huấn',
      unit: '%',
      targets: '2026: 70%',
      units: report.unit,
    });
    expect(add.status).toBe(303);
    const added = await w.t.prisma.indicator.findFirstOrThrow({
      where: { orgId: w.orgId, code: '8' },
      include: { units: true },
    });
    expect(added.targets).toEqual({ '2026': 70 });
    expect(added.units.map((u) => u.unitId)).toEqual([report.unitId]);
    const edit = await w.client.post(`/admin/indicators/${added.id}`, {
      plan: plan.id,
      code: '8',
      title: 'Tỷ lệ cán bộ được tập huấn an toàn thông tin',
      unit: '%',
      targets: '2026: 75, 2027: 80',
      units: '',
    });
    expect(edit.status).toBe(303);
    const edited = await w.t.prisma.indicator.findUniqueOrThrow({ where: { id: added.id }, include: { units: true } });
    expect(edited).toMatchObject({
      title: 'Tỷ lệ cán bộ được tập huấn an toàn thông tin',
      targets: { '2026': 75, '2027': 80 },
    });
    expect(edited.units).toEqual([]);
    expect(
      await w.t.prisma.auditEvent.count({
        where: { orgId: w.orgId, action: { in: ['indicator.add', 'indicator.edit'] } },
      }),
    ).toBe(2);
  });

  it('takes the values from the yearly report’s email link: all checked first, then recorded as the contact’s', async () => {
    const db = w.t.prisma;
    const contact = await db.contact.findFirstOrThrow({ where: { unitId: report.unitId, role: 'contact' } });
    const token = signLink(
      { obligationId: report.id, contactId: contact.id, exp: linkExpiry(w.s.clock.now()) },
      w.s.config.SECRET_KEY,
    );
    const anon = w.newClient();
    const page = await anon.get(`/c/${token}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Chỉ tiêu năm 2026 của đơn vị');
    expect(page.text).toContain(`name="value_${rateId}"`);
    const standing = () => db.indicatorValue.findMany({ where: { unitId: report.unitId, endedAt: null } });
    const before = await standing();
    const empty = await anon.post(`/c/${token}/chi-tieu`, { _csrf: null });
    expect(empty.status).toBe(400);
    expect(empty.text).toContain('Chưa ghi số liệu nào.');
    const second = await db.indicator.findFirstOrThrow({ where: { orgId: w.orgId, code: '2' } });
    const bad = await anon.post(`/c/${token}/chi-tieu`, {
      _csrf: null,
      [`value_${rateId}`]: '40/50',
      [`value_${second.id}`]: '9/8',
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('2. Tử số không được lớn hơn mẫu số');
    expect(await standing()).toEqual(before);
    const good = await anon.post(`/c/${token}/chi-tieu`, {
      _csrf: null,
      [`value_${rateId}`]: '40/50',
      [`note_${rateId}`]: 'qua thư',
    });
    expect(good.status).toBe(200);
    expect(good.text).toContain('Đã ghi nhận số liệu chỉ tiêu');
    const v = (await standing()).find((x) => x.indicatorId === rateId)!;
    expect(v).toMatchObject({ numerator: 40, denominator: 50, via: 'email', contactId: contact.id, note: 'qua thư' });
  });

  it('downloads the yearly report as a Word file, and a unit’s own', async () => {
    const get = async (path: string) => {
      const res = await fetch(new URL(path, w.base), {
        headers: { cookie: [...w.client.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
      });
      return { res, body: Buffer.from(await res.arrayBuffer()) };
    };
    const { res, body } = await get('/admin/exports/report.docx?year=2026');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    );
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="bao-cao-hcm-2026.docx"');
    expect(readDocx(body).paragraphs).toContain('Kết quả thực hiện Kế hoạch số 3131/KH-UBND năm 2026');
    const unit = await get(`/admin/exports/report.docx?year=2026&unit=${report.unitId}`);
    expect(unit.res.status).toBe(200);
    expect(readDocx(unit.body).tables[0]![0]![0]).toContain(report.unit.toLocaleUpperCase('vi'));
    const exports = await w.client.get('/admin/exports');
    expect(exports.text).toContain('href="/admin/exports/report.docx?year=2026"');
  });
});
