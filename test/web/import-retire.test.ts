import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samplePlanPath } from '#root/services/demo.js';
import { startWebTest, type WebTest, type WebResponse } from '../helpers/web.js';

const draftIdOf = (res: WebResponse) => {
  expect(res.status, res.text.slice(0, 2000)).toBe(303);
  return /^\/admin\/import\/([\w-]{22})$/.exec(res.location ?? '')![1]!;
};

/**
 * Re-importing a plan names what it would retire (issue 16): pasting only the appendix of the demo's
 * plan 3131/KH-UBND lists its body's report duties (BC-15/11, BC-30/11), kept by default, and an
 * appendix duty left out of the paste, retired by default; the commit does what the page chose.
 */
describe('re-importing only the appendix of an imported plan', () => {
  let w: WebTest;
  const db = () => w.t.prisma;
  let appendix: string;

  beforeAll(async () => {
    w = await startWebTest();
    const full = readFileSync(samplePlanPath(), 'utf8');
    const from = full.indexOf('PHÂN CÔNG NHIỆM VỤ');
    expect(from).toBeGreaterThan(0);
    // The appendix, without its duty 7 (a clerk's paste that missed a row).
    appendix = full
      .slice(from)
      .split('\n')
      .filter((l) => !l.startsWith('7 | '))
      .join('\n');
  }, 120_000);
  afterAll(async () => w?.stop());

  it('lists the duties the text leaves out, keeping the report duties and retiring the missing row by default', async () => {
    const id = draftIdOf(await w.client.post('/admin/import', { text: appendix, planCode: '3131/KH-UBND' }));
    const page = (await w.client.get(`/admin/import/${id}`)).text;
    expect(page).toContain('3 nhiệm vụ đã nhập không có trong văn bản này');
    expect(page).toContain('<input type="checkbox" name="retire" value="BC-15/11"> Ngừng <strong>BC-15/11</strong>');
    expect(page).toContain('<input type="checkbox" name="retire" value="BC-30/11"> Ngừng <strong>BC-30/11</strong>');
    expect(page).toContain('<input type="checkbox" name="retire" value="7" checked> Ngừng <strong>7</strong>');
    expect(page).toContain('<input type="hidden" name="retireChosen" value="1">');

    // The page's defaults, as a browser posts them: only the ticked box.
    const res = await w.client.post(`/admin/import/${id}/commit`, { retireChosen: '1', retire: '7' });
    expect(res.status).toBe(303);
    expect((await w.client.get(res.location!)).text).toContain('1 ngừng');
    const duty = (code: string) =>
      db().duty.findFirstOrThrow({ where: { orgId: w.orgId, code, plan: { code: '3131/KH-UBND' } } });
    expect((await duty('BC-15/11')).active).toBe(true);
    expect((await duty('BC-30/11')).active).toBe(true);
    expect((await duty('7')).active).toBe(false);
    const audit = await db().auditEvent.findFirstOrThrow({
      where: { orgId: w.orgId, action: 'plan.import', actor: `web:${w.admin.email}` },
    });
    expect(audit.data).toMatchObject({ retired: 1 });
  });

  it('maps a name the directory does not know to a known unit, from the review', async () => {
    const text = [
      'TT | Nhiệm vụ | Đơn vị chủ trì | Đơn vị phối hợp | Thời gian thực hiện |',
      '1 | Rà soát hệ thống | Phòng Y tế <Thử> | | Hằng năm |',
    ].join('\n');
    const id = draftIdOf(await w.client.post('/admin/import', { text, planCode: '77/KH-MAP' }));
    const page = (await w.client.get(`/admin/import/${id}`)).text;
    expect(page).toContain(`<form method="post" action="/admin/import/${id}/map" class="inline">`);
    expect(page).toContain('<input type="hidden" name="name" value="Phòng Y tế &lt;Thử&gt;">');
    expect(page).toContain('<option value="Sở Y tế">');
    const res = await w.client.post(`/admin/import/${id}/map`, { name: 'Phòng Y tế <Thử>', unit: 'Sở Y tế' });
    expect(res.status).toBe(303);
    expect(res.location).toBe(`/admin/import/${id}`);
    const again = (await w.client.get(res.location!)).text;
    expect(again).toContain('Đã ghép «Phòng Y tế &lt;Thử&gt;» với Sở Y tế');
    expect(again).toContain('Phòng Y tế &lt;Thử&gt; → Sở Y tế');
    const unknown = await w.client.post(`/admin/import/${id}/map`, { name: 'X', unit: 'Không có đơn vị này' });
    expect(unknown.status).toBe(400);
    expect(unknown.text).not.toMatch(/ \/ [a-z]/);
  });
});
