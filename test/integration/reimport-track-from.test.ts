import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { yearWindow } from '#root/domain/zoned-day.js';
import { parsePlanText } from '#root/import/plan-document.js';
import { seedDemo } from '#root/services/demo.js';
import { listObligations, reconcileObligations } from '#root/services/obligations.js';
import { ensureOrganisation } from '#root/services/orgs.js';
import { planWindow } from '#root/services/planner.js';
import { commitImport, parseTrackFrom, reviewImport } from '#root/services/plans.js';
import { statusByUnit } from '#root/services/status.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { cliTimeout, runCliInProcess } from '../helpers/run-cli.js';

/** A small appendix: quarterly, yearly (15/11), a timeframe not understood, a deadline in Q1/2026. */
const APPENDIX = [
  'TT | Nhiệm vụ | Đơn vị chủ trì | Đơn vị phối hợp | Thời gian thực hiện |',
  '1 | Rà soát hệ thống thông tin | Sở Y tế | | Hằng quý |',
  '2 | Diễn tập ứng cứu sự cố | Sở Nội vụ | | Hằng năm |',
  '3 | Kiểm tra an toàn | Sở Tài chính | | Khi có yêu cầu |',
  '4 | Xây dựng quy chế | Sở Y tế | | Quý I/2026 |',
].join('\n');

/** The same appendix as published again: the title cell of 2 and the timeframe cell of 3 changed. */
const CHANGED = APPENDIX.replace('Diễn tập ứng cứu sự cố', 'Diễn tập ứng cứu sự cố mạng').replace(
  'Khi có yêu cầu',
  'Khi cấp trên yêu cầu',
);

const PLAN = '77/KH-THU';

describe('re-importing a plan keeps what an administrator fixed (issue 13, Must 7)', () => {
  let t: TestDatabase;
  let env: Record<string, string>;
  let orgId: string;
  let first: string;
  let changed: string;
  beforeAll(async () => {
    t = await createTestDatabase();
    env = { DATABASE_URL: t.url, DEFAULT_ORG: 'fix' };
    orgId = (await ensureOrganisation(t.prisma, { code: 'fix', name: 'Sở thử sửa' })).id;
    const dir = await mkdtemp(path.join(tmpdir(), 'dondoc-reimport-'));
    first = path.join(dir, 'phu-luc.txt');
    changed = path.join(dir, 'phu-luc-moi.txt');
    await writeFile(first, APPENDIX);
    await writeFile(changed, CHANGED);
  });
  afterAll(() => t.close());

  const duty = (code: string) =>
    t.prisma.duty.findFirstOrThrow({ where: { orgId, code, plan: { code: PLAN } }, include: { schedule: true } });
  const cli = (args: string[]) => runCliInProcess(args, env);

  it(
    'keeps a fixed title, timeframe and cleared flags when the same document is imported again',
    async () => {
      expect((await cli(['import', first, '--plan', PLAN, '--track-from', 'all'])).code).toBe(0);
      expect((await duty('3')).flags.join()).toContain('Không hiểu thời hạn');
      const fixTitle = await cli(['duties', 'fix', '2', '--plan', PLAN, '--title', 'Diễn tập ứng cứu sự cố (đã sửa)']);
      expect(fixTitle.code, fixTitle.stderr).toBe(0);
      const fixTime = await cli(['duties', 'fix', '3', '--plan', PLAN, '--timeframe', 'Hằng năm']);
      expect(fixTime.code, fixTime.stderr).toBe(0);
      expect((await cli(['duties', 'fix', '1', '--plan', PLAN, '--clear-flags'])).code).toBe(0);
      expect((await duty('3')).fixedFields).toEqual(['timeframe']);

      const again = await cli(['import', first, '--plan', PLAN]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toContain('Giữ bản quản trị viên đã sửa');
      expect(again.stdout).not.toContain('Văn bản đã đổi ở ô quản trị viên đã sửa');
      // Nothing the document says changed, so nothing changes: the fixes stay.
      expect(again.stdout).toMatch(/0 mới, 0 cập nhật, 4 không đổi/);
      expect((await duty('2')).title).toBe('Diễn tập ứng cứu sự cố (đã sửa)');
      const d3 = await duty('3');
      expect(d3.timeframe).toBe('Hằng năm');
      expect(d3.schedule?.kind).toBe('yearly');
      expect(d3.flags.join()).not.toContain('Không hiểu thời hạn');
      expect((await duty('1')).fixedFields).toEqual(['flags']);
    },
    cliTimeout(0),
  );

  it(
    'shows both values where the document changed a fixed cell, keeps the administrator’s by default and takes the document’s when told',
    async () => {
      const before = await t.prisma.auditEvent.count({ where: { orgId } });
      const dry = await cli(['import', changed, '--plan', PLAN, '--dry-run']);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toContain('Văn bản đã đổi ở ô quản trị viên đã sửa (2)');
      expect(dry.stdout).toContain(
        '2, tên nhiệm vụ: quản trị viên đã sửa «Diễn tập ứng cứu sự cố (đã sửa)», văn bản nay ghi «Diễn tập ứng cứu sự cố mạng» — giữ bản của quản trị viên',
      );
      expect(dry.stdout).toContain(
        '3, thời gian thực hiện: quản trị viên đã sửa «Hằng năm», văn bản nay ghi «Khi cấp trên yêu cầu»',
      );
      const json = JSON.parse((await cli(['import', changed, '--plan', PLAN, '--dry-run', '--json'])).stdout) as {
        conflicts: { code: string; field: string; admin: string; document: string; take: string }[];
      };
      expect(json.conflicts).toEqual([
        {
          code: '2',
          field: 'title',
          admin: 'Diễn tập ứng cứu sự cố (đã sửa)',
          document: 'Diễn tập ứng cứu sự cố mạng',
          take: 'admin',
        },
        { code: '3', field: 'timeframe', admin: 'Hằng năm', document: 'Khi cấp trên yêu cầu', take: 'admin' },
      ]);
      // A choice that is not a conflict of this import: refused, nothing written.
      const bad = await cli(['import', changed, '--plan', PLAN, '--take-document', '4']);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain('«4» không phải một chỗ văn bản khác với bản quản trị viên đã sửa');
      expect(bad.stderr).toContain('2:title, 3:timeframe');
      expect(await t.prisma.auditEvent.count({ where: { orgId } })).toBe(before);
      expect((await duty('2')).title).toBe('Diễn tập ứng cứu sự cố (đã sửa)');

      const taken = await cli(['import', changed, '--plan', PLAN, '--take-document', '2:title']);
      expect(taken.code, taken.stderr).toBe(0);
      const d2 = await duty('2');
      expect(d2.title).toBe('Diễn tập ứng cứu sự cố mạng');
      expect(d2.fixedFields).toEqual([]);
      const d3 = await duty('3');
      expect(d3.timeframe).toBe('Hằng năm');
      expect(d3.fixedFields).toEqual(['timeframe']);
      const audit = await t.prisma.auditEvent.findFirstOrThrow({
        where: { orgId, action: 'plan.import' },
        orderBy: { id: 'desc' },
      });
      expect((audit.data as { conflicts: unknown[] }).conflicts).toEqual([
        {
          code: '2',
          field: 'title',
          take: 'document',
          admin: 'Diễn tập ứng cứu sự cố (đã sửa)',
          document: 'Diễn tập ứng cứu sự cố mạng',
        },
        { code: '3', field: 'timeframe', take: 'admin', admin: 'Hằng năm', document: 'Khi cấp trên yêu cầu' },
      ]);

      // The document as now seen: importing it again asks nothing, and the kept fix stays.
      const same = await cli(['import', changed, '--plan', PLAN, '--dry-run']);
      expect(same.stdout).not.toContain('Văn bản đã đổi ở ô quản trị viên đã sửa');
      expect(same.stdout).toMatch(/Giữ bản quản trị viên đã sửa .*: 1, 3/);
    },
    cliTimeout(0),
  );
});

describe('tracking a plan from a day (issue 13, Must 8)', () => {
  let t: TestDatabase;
  let orgId: string;
  const TODAY = '2026-12-06';
  const NOW = new Date('2026-12-06T03:00:00Z');
  beforeAll(async () => {
    t = await createTestDatabase();
    orgId = (await ensureOrganisation(t.prisma, { code: 'track', name: 'Sở thử theo dõi' })).id;
  });
  afterAll(() => t.close());

  const periods = async (code: string, history: boolean) =>
    (
      await t.prisma.obligation.findMany({
        where: { orgId, history, duty: { code, plan: { code: PLAN } } },
        orderBy: { dueAt: 'asc' },
      })
    ).map((o) => o.periodKey);

  it('reads the day as typed, or «all», and refuses what is not a day', () => {
    expect(parseTrackFrom('2026-07-01')).toBe('2026-07-01');
    expect(parseTrackFrom('1/7/2026')).toBe('2026-07-01');
    expect(parseTrackFrom('all')).toBeNull();
    expect(parseTrackFrom('tất cả')).toBeNull();
    expect(parseTrackFrom('')).toBeUndefined();
    expect(() => parseTrackFrom('31/02/2026')).toThrow(/Ngày bắt đầu theo dõi «31\/02\/2026» không hợp lệ/);
    expect(() => parseTrackFrom('hôm qua')).toThrow(/không hợp lệ/);
  });

  it('by default tracks each duty from its current period: the earlier ones are history, outside reminders and overdue counts', async () => {
    const r = await reviewImport(t.prisma, orgId, parsePlanText(APPENDIX, { defaultDue: '11-15' }), PLAN, {
      today: TODAY,
    });
    expect(r.trackFrom).toBe(TODAY);
    expect(r.trackFromFrom).toBe('default');
    await commitImport(t.prisma, orgId, r, 'test');
    const plan = await t.prisma.plan.findFirstOrThrow({ where: { orgId, code: PLAN } });
    expect(plan.trackFrom?.toISOString().slice(0, 10)).toBe(TODAY);
    await reconcileObligations(t.prisma, orgId, yearWindow(2026), NOW);

    // Quarterly: Q4/2026 is the current period; yearly: 2026 (due 15/11, overdue, still tracked).
    expect(await periods('1', true)).toEqual(['2026-Q1', '2026-Q2', '2026-Q3']);
    expect(await periods('1', false)).toEqual(['2026-Q4']);
    expect(await periods('2', false)).toEqual(['2026']);
    // A deadline that passed before the day is history too.
    expect(await periods('4', true)).toEqual(['once']);

    const status = await statusByUnit(t.prisma, orgId, 2026, NOW);
    expect(status.find((s) => s.unit === 'Sở Nội vụ')).toMatchObject({ total: 1, overdue: 1 });
    expect(status.find((s) => s.unit === 'Sở Y tế')).toMatchObject({ total: 1, overdue: 0, open: 1 });
    const rows = await listObligations(t.prisma, orgId, yearWindow(2026));
    expect(rows.filter((o) => o.history).map((o) => o.period)).toEqual(['2026-Q1', 'once', '2026-Q2', '2026-Q3']);

    // No reminder, nudge or escalation about history, whatever the window.
    const history = new Set((await t.prisma.obligation.findMany({ where: { orgId, history: true } })).map((o) => o.id));
    await t.prisma.contact.createMany({
      data: (await t.prisma.unit.findMany({ where: { orgId } })).map((u) => ({
        orgId,
        unitId: u.id,
        name: `Đầu mối ${u.name}`,
        channels: ['sandbox' as const],
      })),
    });
    const plan2026 = await planWindow(
      t.prisma,
      orgId,
      new Date('2026-01-01T00:00:00Z'),
      new Date('2027-01-01T00:00:00Z'),
    );
    expect(plan2026.reminders.length).toBeGreaterThan(0);
    expect(plan2026.reminders.filter((x) => history.has(x.obligationId))).toEqual([]);
  });

  it('keeps the plan’s day on re-import, and tracks every period again when told «all»', async () => {
    const draft = parsePlanText(APPENDIX, { defaultDue: '11-15' });
    const again = await reviewImport(t.prisma, orgId, draft, PLAN, { today: '2027-06-01' });
    expect(again.trackFrom).toBe(TODAY);
    expect(again.trackFromFrom).toBe('existing');
    const all = await reviewImport(t.prisma, orgId, draft, PLAN, { trackFrom: null, today: TODAY });
    await commitImport(t.prisma, orgId, all, 'test');
    await reconcileObligations(t.prisma, orgId, yearWindow(2026), NOW);
    expect(await periods('1', true)).toEqual([]);
    expect(await periods('1', false)).toEqual(['2026-Q1', '2026-Q2', '2026-Q3', '2026-Q4']);
  });

  it('seeds the demo tracked from the seeding day: no period before it is overdue', async () => {
    await seedDemo(t.prisma, { orgCode: 'demo-track', timeZone: 'Asia/Ho_Chi_Minh', now: NOW, actor: 'test' });
    const demo = await t.prisma.organisation.findUniqueOrThrow({ where: { code: 'demo-track' } });
    const open = await t.prisma.obligation.findMany({
      where: { orgId: demo.id, status: 'open', current: true, dueAt: { lt: NOW } },
    });
    const overdue = open.filter((o) => !o.history);
    // The quarters before Q4 are history; what is overdue is of this year's yearly reports, still in their period.
    expect(open.filter((o) => o.history).length).toBeGreaterThan(0);
    expect(overdue.length).toBeGreaterThan(0);
    for (const o of overdue) expect(o.periodKey).toBe('2026');
    const status = await statusByUnit(t.prisma, demo.id, 2026, NOW);
    expect(status.reduce((n, s) => n + s.overdue, 0)).toBe(overdue.length);
  });
});
