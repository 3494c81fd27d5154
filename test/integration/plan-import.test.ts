import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { yearWindow } from '#root/domain/zoned-day.js';
import { parsePlanText } from '#root/import/plan-document.js';
import { parsePlanFile } from '#root/import/spreadsheet.js';
import { samplePlanPath, seedDemo } from '#root/services/demo.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { ensureOrganisation } from '#root/services/orgs.js';
import { commitImport, fixDuty, reviewImport, type ImportReview } from '#root/services/plans.js';
import { addMembers, removeMembers } from '#root/services/units.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { runCli } from '../helpers/run-cli.js';

const NOW = new Date('2026-01-05T02:00:00Z');

async function review(t: TestDatabase, orgId: string, file = 'kh-3131-hcm.txt'): Promise<ImportReview> {
  const draft = await parsePlanFile(file, await readFile(samplePlanPath(file)), { defaultDue: '11-15' });
  return reviewImport(t.prisma, orgId, draft);
}

async function counts(t: TestDatabase) {
  const [plans, duties, schedules, assignments, units, groups, obligations] = await Promise.all([
    t.prisma.plan.count(),
    t.prisma.duty.count(),
    t.prisma.schedule.count(),
    t.prisma.assignment.count(),
    t.prisma.unit.count(),
    t.prisma.unitGroup.count(),
    t.prisma.obligation.count(),
  ]);
  return { plans, duties, schedules, assignments, units, groups, obligations };
}

describe('importing the HCMC plan 3131/KH-UBND into an empty organisation', () => {
  let t: TestDatabase;
  let orgId: string;
  beforeAll(async () => {
    t = await createTestDatabase();
    orgId = (await ensureOrganisation(t.prisma, { code: 'empty', name: 'Empty' })).id;
  });
  afterAll(() => t.close());

  it('reviews without writing anything, proposing every unit as new', async () => {
    const before = await counts(t);
    const r = await review(t, orgId);
    expect(r.plan.code).toBe('3131/KH-UBND');
    expect(r.plan.issuedOn).toBe('2023-07-07');
    expect(r.duties.filter((d) => d.origin === 'appendix')).toHaveLength(27);
    expect(r.newNames.map((n) => n.name)).toContain('Sở Thông tin và Truyền thông');
    expect(await counts(t)).toEqual(before);
  });

  it('commits the plan, its 27 duties, the two report duties and proposed units in one go', async () => {
    const r = await review(t, orgId);
    const result = await commitImport(t.prisma, orgId, r, 'test');
    expect(result.created).toBe(29);
    const duties = await t.prisma.duty.findMany({
      where: { orgId },
      include: { schedule: true },
      orderBy: { position: 'asc' },
    });
    expect(duties.filter((d) => d.origin === 'appendix').map((d) => d.code)).toEqual([
      '1.1',
      '1.2',
      '2.1',
      '2.2',
      '3.1',
      '3.2',
      '3.3',
      '3.4',
      '4.1',
      '4.2',
      '4.3',
      '4.4',
      '4.5',
      '4.6',
      '4.7',
      '4.8',
      '4.9',
      '5.1',
      '5.2',
      '5.3',
      '6.1',
      '6.2',
      '6.3',
      '6.4',
      '6.5',
      '6.6',
      '7',
    ]);
    const reports = duties.filter((d) => d.origin === 'report');
    expect(reports.map((d) => d.schedule?.due).sort()).toEqual(['11-15', '11-30']);
    const proposed = await t.prisma.unit.findMany({ where: { orgId, proposed: true } });
    expect(proposed.length).toBeGreaterThan(5);
    const plan = await t.prisma.plan.findFirstOrThrow({ where: { orgId } });
    expect(plan.issuedOn?.toISOString().slice(0, 10)).toBe('2023-07-07');
    const auditRows = await t.prisma.auditEvent.findMany({ where: { orgId, action: 'plan.import' } });
    expect(auditRows).toHaveLength(1);
  });

  it('changes nothing and duplicates nothing when the same plan is imported again', async () => {
    const before = await counts(t);
    const result = await commitImport(t.prisma, orgId, await review(t, orgId), 'test');
    expect(result).toMatchObject({ created: 0, updated: 0, retired: 0, unchanged: 29 });
    expect(await counts(t)).toEqual(before);
  });

  it('matches the PDF extraction to the same duties, updating only what differs', async () => {
    const r = await review(t, orgId, 'kh-3131-hcm-pdf.txt');
    expect(r.plan.code).toBe('3131/KH-UBND');
    const codes = r.duties.filter((d) => d.origin === 'appendix').map((d) => d.code);
    expect(codes).toContain('4.2');
    expect(codes).toContain('7');
  });
});

describe('an import that fails half-way', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.close());

  it('leaves nothing behind: no plan, no duty, no proposed unit', async () => {
    const org = await ensureOrganisation(t.prisma, { code: 'broken', name: 'Broken' });
    const r = await review(t, org.id);
    // A duty the database refuses, far into the table: everything before it must roll back too.
    r.duties[20] = { ...r.duties[20]!, title: null as unknown as string };
    await expect(commitImport(t.prisma, org.id, r, 'test')).rejects.toThrow();
    expect(await counts(t)).toMatchObject({ plans: 0, duties: 0, units: 0, groups: 0, assignments: 0 });
  });
});

describe('obligations of the demo organisation', () => {
  let t: TestDatabase;
  let orgId: string;
  beforeAll(async () => {
    t = await createTestDatabase();
    await seedDemo(t.prisma, { orgCode: 'hcm', timeZone: 'Asia/Ho_Chi_Minh', now: NOW, actor: 'test' });
    orgId = (await t.prisma.organisation.findUniqueOrThrow({ where: { code: 'hcm' } })).id;
  });
  afterAll(() => t.close());

  it('exist in 2026 for every lead unit of every scheduled duty, groups expanded to members', async () => {
    await reconcileObligations(t.prisma, orgId, yearWindow(2026), NOW);
    const duties = await t.prisma.duty.findMany({
      where: { orgId, active: true },
      include: {
        schedule: true,
        assignments: { where: { role: 'lead' }, include: { group: { include: { members: true } } } },
        obligations: true,
      },
    });
    let checked = 0;
    for (const d of duties) {
      const kind = d.schedule?.kind;
      const lastYear =
        d.schedule?.toYear ?? (d.schedule?.due && kind === 'once' ? Number(d.schedule.due.slice(0, 4)) : 9999);
      if (!kind || kind === 'unparsed' || lastYear < 2026) continue;
      const leads = new Set(
        d.assignments.flatMap((a) => (a.unitId ? [a.unitId] : (a.group?.members ?? []).map((m) => m.unitId))),
      );
      const withObligation = new Set(d.obligations.filter((o) => o.periodKey.startsWith('2026')).map((o) => o.unitId));
      expect(
        [...leads].filter((u) => !withObligation.has(u)),
        `duty ${d.code}`,
      ).toEqual([]);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(20);
  });

  it('are due at 23:59:59 in Asia/Ho_Chi_Minh, stored in UTC', async () => {
    const duty = await t.prisma.duty.findFirstOrThrow({ where: { orgId, code: '4.2' } });
    const obligations = await t.prisma.obligation.findMany({ where: { dutyId: duty.id, periodKey: '2026' } });
    expect(obligations.length).toBeGreaterThan(0);
    for (const o of obligations) expect(o.dueAt.toISOString()).toBe('2026-11-15T16:59:59.000Z');
    const report = await t.prisma.duty.findFirstOrThrow({
      where: { orgId, origin: 'report', schedule: { due: '11-30' } },
    });
    const consolidated = await t.prisma.obligation.findMany({
      where: { dutyId: report.id, periodKey: '2026' },
      include: { unit: true },
    });
    expect(consolidated.map((o) => [o.unit.name, o.dueAt.toISOString()])).toEqual([
      ['Sở Thông tin và Truyền thông', '2026-11-30T16:59:59.000Z'],
    ]);
  });

  it('writes nothing when reconciled again with nothing changed', async () => {
    const again = await reconcileObligations(t.prisma, orgId, yearWindow(2026), NOW);
    expect(again).toMatchObject({ created: 0, updated: 0, retired: 0 });
  });

  it('follow a schedule change, leaving confirmed obligations as they were', async () => {
    const duty = await t.prisma.duty.findFirstOrThrow({ where: { orgId, code: '4.3' } });
    const [first] = await t.prisma.obligation.findMany({ where: { dutyId: duty.id, periodKey: '2026' } });
    await t.prisma.obligation.update({ where: { id: first!.id }, data: { status: 'done', completedAt: NOW } });
    await fixDuty(t.prisma, orgId, undefined, '4.3', { timeframe: 'Hàng năm, trước ngày 30/6' }, 'test');
    const r = await reconcileObligations(t.prisma, orgId, yearWindow(2026), NOW);
    expect(r.updated).toBeGreaterThanOrEqual(0);
    const after = await t.prisma.obligation.findMany({ where: { dutyId: duty.id, periodKey: '2026' } });
    const done = after.find((o) => o.id === first!.id)!;
    expect(done.status).toBe('done');
    expect(done.dueAt.toISOString()).toBe('2026-11-15T16:59:59.000Z');
    for (const o of after.filter((x) => x.status === 'open'))
      expect(o.dueAt.toISOString()).toBe('2026-06-30T16:59:59.000Z');
  });

  it('follow group membership: a unit leaving a group loses its future open obligations, not its history', async () => {
    const group = 'Các sở, ban, ngành';
    const unit = 'Sở Y tế';
    const yte = await t.prisma.unit.findFirstOrThrow({ where: { orgId, name: unit } });
    const before = await t.prisma.obligation.count({ where: { unitId: yte.id, current: true } });
    expect(before).toBeGreaterThan(0);
    await removeMembers(t.prisma, orgId, group, [unit], 'test');
    const r = await reconcileObligations(t.prisma, orgId, yearWindow(2026), NOW);
    expect(r.retired).toBeGreaterThan(0);
    expect(
      await t.prisma.obligation.count({ where: { unitId: yte.id, current: true, dueAt: { gte: NOW } } }),
    ).toBeLessThan(before);
    await addMembers(t.prisma, orgId, group, [unit], 'test');
    const back = await reconcileObligations(t.prisma, orgId, yearWindow(2026), NOW);
    expect(back.updated).toBe(r.retired);
    expect(await t.prisma.obligation.count({ where: { unitId: yte.id, current: true } })).toBe(before);
  });
});

describe('the plan’s horizon and duties due after it', () => {
  /** An appendix pasted alone, one of whose duties is "Đến năm 2025"; others are due after 2025. */
  const APPENDIX = [
    'TT | Nhiệm vụ | Đơn vị chủ trì | Đơn vị phối hợp | Thời gian thực hiện |',
    '1 | Hoàn thiện quy chế bảo đảm an toàn thông tin | Sở Y tế | | Đến năm 2025 |',
    '2 | Diễn tập ứng cứu sự cố | Sở Nội vụ | | Quý I/2027 |',
    '3 | Báo cáo đánh giá | Sở Y tế | | Trước 15/11/2026 |',
    '4 | Kiểm tra định kỳ | Sở Nội vụ | | Hằng năm |',
  ].join('\n');
  let t: TestDatabase;
  let env: Record<string, string>;
  let file: string;
  beforeAll(async () => {
    t = await createTestDatabase();
    env = { DATABASE_URL: t.url, DEFAULT_ORG: 'hor' };
    await ensureOrganisation(t.prisma, { code: 'hor', name: 'Horizon' });
    file = path.join(await mkdtemp(path.join(tmpdir(), 'dondoc-horizon-')), 'phu-luc.txt');
    await writeFile(file, APPENDIX);
  });
  afterAll(() => t.close());

  const obligationsOf = async (code: string) =>
    (
      await t.prisma.obligation.findMany({
        where: { duty: { code, plan: { code: '12/KH-HOR' } } },
        orderBy: { dueAt: 'asc' },
      })
    ).map((o) => o.periodKey);

  it('gives every duty of a pasted appendix its obligations, however one of its rows is worded', async () => {
    const orgId = (await t.prisma.organisation.findUniqueOrThrow({ where: { code: 'hor' } })).id;
    const r = await reviewImport(t.prisma, orgId, parsePlanText(APPENDIX, { defaultDue: '11-15' }), '12/KH-HOR');
    expect(r.plan.horizonYear).toBeNull();
    await commitImport(t.prisma, orgId, r, 'test');
    for (const year of [2025, 2026, 2027]) await reconcileObligations(t.prisma, orgId, yearWindow(year), NOW);
    expect(await obligationsOf('1')).toEqual(['once']);
    expect(await obligationsOf('2')).toEqual(['once']);
    expect(await obligationsOf('3')).toEqual(['once']);
    expect(await obligationsOf('4')).toEqual(['2025', '2026', '2027']);
  });

  it('shows the horizon in the dry run and takes --horizon: duties due after it keep their dates and are flagged', async () => {
    // Each run starts a process (and its reading thread): two runs, and a bound for a loaded machine.
    const set = await runCli(['import', file, '--plan', '12/KH-HOR', '--horizon', '2025', '--dry-run'], env);
    expect(set.stdout).toContain('Năm kết thúc: 2025 (theo --horizon)');
    expect(set.stdout).toContain(
      '! 2 (dòng 3): Thời hạn của nhiệm vụ vượt quá năm kết thúc của kế hoạch (2025): giữ thời hạn của nhiệm vụ',
    );
    expect(set.stdout).toContain('! 3 (dòng 4): Thời hạn của nhiệm vụ vượt quá năm kết thúc của kế hoạch (2025)');
    expect(set.stdout).not.toContain('! 4 (dòng 5): Thời hạn');
    const json = await runCli(['import', file, '--plan', '12/KH-HOR', '--horizon', '2025', '--json'], env);
    const out = JSON.parse(json.stdout) as {
      plan: { code: string; horizonYear: number; horizonFrom: string };
      duties: { code: string; flags: string[] }[];
      result: { updated: number };
    };
    // The fields of before are all there; the horizon is added.
    expect(out.plan).toMatchObject({
      code: '12/KH-HOR',
      title: null,
      issuedOn: null,
      horizonYear: 2025,
      horizonFrom: 'given',
    });
    expect(out.duties.find((d) => d.code === '2')!.flags).toContainEqual(
      expect.stringContaining('vượt quá năm kết thúc của kế hoạch (2025)'),
    );
    expect(out.duties.find((d) => d.code === '4')!.flags.join()).not.toContain('vượt quá');
    expect(out.result.updated).toBe(4);

    const schedules = await t.prisma.duty.findMany({
      where: { plan: { code: '12/KH-HOR' } },
      include: { schedule: true },
      orderBy: { position: 'asc' },
    });
    expect(schedules.map((d) => [d.code, d.schedule?.endsOn?.toISOString().slice(0, 10)])).toEqual([
      ['1', '2025-12-31'],
      ['2', '2027-03-31'],
      ['3', '2026-11-15'],
      ['4', '2025-12-31'],
    ]);
    const orgId = (await t.prisma.organisation.findUniqueOrThrow({ where: { code: 'hor' } })).id;
    for (const year of [2026, 2027]) await reconcileObligations(t.prisma, orgId, yearWindow(year), NOW);
    // Due after the horizon, still due; the yearly duty stops at the horizon.
    expect(
      await t.prisma.obligation.count({ where: { current: true, duty: { code: '2', plan: { code: '12/KH-HOR' } } } }),
    ).toBe(1);
    expect(
      await t.prisma.obligation.count({ where: { current: true, duty: { code: '3', plan: { code: '12/KH-HOR' } } } }),
    ).toBe(1);
    expect(
      await t.prisma.obligation.count({
        where: {
          current: true,
          status: 'open',
          duty: { code: '4', plan: { code: '12/KH-HOR' } },
          periodKey: { in: ['2026', '2027'] },
        },
      }),
    ).toBe(0);
  }, 120_000);
});
