import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusMatrix } from '#root/services/matrix.js';
import { startWebTest, type WebTest } from '../helpers/web.js';

/**
 * The matrix a page of units at a time (issue 16, measured: 1,000 units): the search, the filters
 * and the sort apply to every unit before the page is cut; the totals, the legend's counts and the
 * share of units done are over every unit matching, whatever the page.
 */
describe('the status matrix in pages', () => {
  let w: WebTest;
  const now = () => w.s.clock.now();

  beforeAll(async () => {
    w = await startWebTest();
  }, 120_000);
  afterAll(async () => w?.stop());

  it('cuts the sorted units into pages, with the same totals on each', async () => {
    for (const sort of ['name', 'late'] as const) {
      const whole = await statusMatrix(w.t.prisma, w.orgId, { now: now(), filter: { sort }, pageSize: 1000 });
      expect(whole.pages).toBe(1);
      expect(whole.unitCount).toBeGreaterThan(20);
      const pages = [];
      for (let page = 1; page <= Math.ceil(whole.unitCount / 7); page++)
        pages.push(await statusMatrix(w.t.prisma, w.orgId, { now: now(), filter: { sort }, pageSize: 7, page }));
      expect(pages[0]!.pages).toBe(pages.length);
      // Every unit once, in the order of the whole list, each with the same cells.
      expect(pages.flatMap((p) => p.units.map((u) => u.name))).toEqual(whole.units.map((u) => u.name));
      expect(pages.flatMap((p) => p.units)).toEqual(whole.units);
      for (const p of pages) {
        expect(p.units.length).toBeLessThanOrEqual(7);
        expect(p).toMatchObject({
          unitCount: whole.unitCount,
          unitsComplete: whole.unitsComplete,
          cellCounts: whole.cellCounts,
          duties: whole.duties,
        });
      }
      if (sort === 'late') {
        const overdue = pages.flatMap((p) => p.units.map((u) => u.overdue));
        expect(overdue).toEqual([...overdue].sort((a, b) => b - a));
        expect(overdue[0]).toBeGreaterThan(0);
      }
    }
  });

  it('searches and filters every unit before paging; a page past the last shows the last', async () => {
    const found = await statusMatrix(w.t.prisma, w.orgId, { now: now(), filter: { unitQuery: 'uy ban' }, pageSize: 3 });
    expect(found.unitCount).toBeGreaterThan(3);
    expect(found.units).toHaveLength(3);
    const last = await statusMatrix(w.t.prisma, w.orgId, {
      now: now(),
      filter: { unitQuery: 'uy ban' },
      pageSize: 3,
      page: 999,
    });
    expect(last.page).toBe(last.pages);
    expect(last.units.length).toBe(found.unitCount - 3 * (last.pages - 1));
    for (const u of [...found.units, ...last.units]) expect(u.name).toMatch(/Ủy ban nhân dân/);
    const overdue = await statusMatrix(w.t.prisma, w.orgId, { now: now(), filter: { state: 'overdue' }, pageSize: 5 });
    for (const u of overdue.units) expect(u.states.has('overdue')).toBe(true);
    expect(overdue.cellCounts.overdue).toBeGreaterThan(0);
    // The page: fewer units than a page, so no pager; a page number past the end is the last page.
    const page = await w.client.get('/admin/status?page=9');
    expect(page.status).toBe(200);
    expect(page.text).not.toContain('class="pager"');
    const whole = await statusMatrix(w.t.prisma, w.orgId, { now: now() });
    expect(page.text).toContain(`/${whole.unitCount} đơn vị đã hoàn thành`);
  });
});
