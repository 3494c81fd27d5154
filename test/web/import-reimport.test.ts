import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, type Redis } from '#root/redis.js';
import { createAdmin } from '#root/services/admins.js';
import { ensureOrganisation } from '#root/services/orgs.js';
import { fixDuty } from '#root/services/plans.js';
import { startWebTest, type WebClient, type WebResponse, type WebTest } from '../helpers/web.js';

/** A small appendix: quarterly, yearly (15/11), a timeframe not understood; a title with markup. */
const APPENDIX = [
  'TT | Nhiệm vụ | Đơn vị chủ trì | Đơn vị phối hợp | Thời gian thực hiện |',
  '1 | Rà soát hệ thống thông tin | Sở Y tế | | Hằng quý |',
  '2 | Diễn tập ứng cứu sự cố | Sở Nội vụ | | Hằng năm |',
  '3 | Kiểm tra an toàn | Sở Tài chính | | Khi có yêu cầu |',
].join('\n');
/** Published again: the title cell of 2 changed. */
const CHANGED = APPENDIX.replace('Diễn tập ứng cứu sự cố', 'Diễn tập ứng cứu sự cố mạng');
const PLAN = '88/KH-WEB';

const draftIdOf = (res: WebResponse) => {
  expect(res.status, res.text.slice(0, 2000)).toBe(303);
  const m = /^\/admin\/import\/([\w-]{22})$/.exec(res.location ?? '');
  expect(m, String(res.location)).not.toBeNull();
  return m![1]!;
};

async function flashAfter(c: WebClient, res: WebResponse): Promise<string> {
  expect(res.status, res.text.slice(0, 2000)).toBe(303);
  const page = await c.get(res.location!);
  return /<div class="flash" role="status">([^<]*)<\/div>/.exec(page.text)?.[1] ?? '';
}

const rowOf = (page: string, code: string) =>
  new RegExp(`<tr id="tt-${code.replace('.', '\\.')}"[^>]*>[\\s\\S]*?</tr>`).exec(page)?.[0] ?? '';

describe('the import review: from when to track, the administrator’s fixes, the source (issue 13)', () => {
  let w: WebTest;
  let redis: Redis;
  let prefix: string;
  let orgId: string;
  let client: WebClient;
  beforeAll(async () => {
    w = await startWebTest();
    redis = createRedis(w.s.config.REDIS_URL);
    prefix = w.s.config.REDIS_PREFIX;
    const org = await ensureOrganisation(w.t.prisma, { code: 'theo-doi', name: 'Sở TTTT tỉnh Thử' });
    orgId = org.id;
    await createAdmin(
      w.t.prisma,
      orgId,
      { email: 'qt@theodoi.example.vn', name: 'Quản trị', password: 'mat-khau-theo-doi-1' },
      'test',
    );
    client = w.newClient();
    expect((await client.login('qt@theodoi.example.vn', 'mat-khau-theo-doi-1')).status).toBe(303);
  }, 60_000);
  afterAll(async () => {
    await redis?.quit();
    await w?.stop();
  });

  const duty = (code: string) => w.t.prisma.duty.findFirstOrThrow({ where: { orgId, code, plan: { code: PLAN } } });

  it('asks from when to track, showing the default (today, the current period), takes a day or «all», and refuses a bad day', async () => {
    const id = draftIdOf(await client.post('/admin/import', { text: APPENDIX, planCode: PLAN }));
    const page = await client.get(`/admin/import/${id}`);
    const form =
      /<form method="post" action="\/admin\/import\/[\w-]+\/track-from"[\s\S]*?<\/form>/.exec(page.text)?.[0] ?? '';
    // The test's clock is 16/11/2026 in Hồ Chí Minh City: the default, in words and as the field's value.
    expect(form).toContain('<span class="track-from-day">16/11/2026</span>');
    expect(form).toContain('mặc định: kỳ hiện tại của mỗi nhiệm vụ');
    expect(form).toContain('value="16/11/2026"');
    expect(form).not.toMatch(/\d{4}-\d{2}-\d{2}/);

    expect(
      await flashAfter(client, await client.post(`/admin/import/${id}/track-from`, { trackFrom: '01/07/2026' })),
    ).toBe('Theo dõi từ 01/07/2026; các kỳ trước đó là lịch sử. Chưa lưu cho đến khi bấm «Nhập».');
    const bad = await client.post(`/admin/import/${id}/track-from`, { trackFrom: '31/02/2026' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('Ngày bắt đầu theo dõi «31/02/2026» không hợp lệ');
    // Refused: the day set before stays.
    expect((await client.get(`/admin/import/${id}`)).text).toContain('<span class="track-from-day">01/07/2026</span>');
    expect(
      await flashAfter(client, await client.post(`/admin/import/${id}/track-from`, { trackFrom: '', all: '1' })),
    ).toBe('Theo dõi mọi kỳ, kể cả đã qua. Chưa lưu cho đến khi bấm «Nhập».');
    await client.post(`/admin/import/${id}/track-from`, { trackFrom: '01/07/2026' });

    expect((await client.post(`/admin/import/${id}/commit`, {})).status).toBe(303);
    const plan = await w.t.prisma.plan.findFirstOrThrow({ where: { orgId, code: PLAN } });
    expect(plan.trackFrom?.toISOString().slice(0, 10)).toBe('2026-07-01');
    const quarterly = await w.t.prisma.obligation.findMany({
      where: { orgId, duty: { code: '1', plan: { code: PLAN } } },
      orderBy: { dueAt: 'asc' },
    });
    expect(quarterly.filter((o) => o.history).map((o) => o.periodKey)).toEqual(['2026-Q1', '2026-Q2']);
    expect(quarterly.filter((o) => !o.history).map((o) => o.periodKey)).toContain('2026-Q3');
    // The unit's page counts them as history, and its whole year (?page=) marks them so.
    const unit = await w.t.prisma.unit.findFirstOrThrow({ where: { orgId, name: 'Sở Y tế' } });
    expect((await client.get(`/admin/units/${unit.id}`)).text).toContain('2 kỳ lịch sử (trước khi theo dõi)');
    const unitPage = await client.get(`/admin/units/${unit.id}?page=1`);
    expect(unitPage.text.match(/Lịch sử \(trước khi theo dõi\)/g)).toHaveLength(2);
    const q1 = await client.get(`/admin/obligations/${quarterly[0]!.id}`);
    expect(q1.text).toContain('Kỳ trước ngày bắt đầu theo dõi kế hoạch (01/07/2026): không nhắc');
    const q3 = await client.get(`/admin/obligations/${quarterly.find((o) => o.periodKey === '2026-Q3')!.id}`);
    expect(q3.text).not.toContain('Kỳ trước ngày bắt đầu theo dõi kế hoạch');
  });

  it('shows the source cells of each duty, escaped, in a details element', async () => {
    const id = draftIdOf(await client.post('/admin/import', { text: APPENDIX, planCode: PLAN }));
    // The cells as the readers give them (`duties[].source`), put into the stored draft here.
    const key = `${prefix}:import:${id}`;
    const stored = JSON.parse((await redis.get(key))!) as { draft: { duties: { code: string; source: unknown }[] } };
    stored.draft.duties[0]!.source = ['1', 'Rà soát <script>alert(1)</script> hệ thống', 'Sở Y tế', '', 'Hằng quý'];
    await redis.set(key, JSON.stringify(stored), 'KEEPTTL');
    const page = await client.get(`/admin/import/${id}`);
    const row = rowOf(page.text, '1');
    // «Nguồn», with where the duty was read when the reader says so (helper 2's readers: «dòng 2»).
    expect(row).toMatch(
      /<details class="source"><summary>Nguồn(?: <span class="muted">\(dòng \d+\)<\/span>)?<\/summary><ol>/,
    );
    expect(row).toContain('<li>Rà soát &lt;script&gt;alert(1)&lt;/script&gt; hệ thống</li>');
    expect(row).toContain('<li><span class="muted">(ô trống)</span></li>');
    expect(row).not.toContain('<script>');
    // A duty read with only where it was read gives that.
    expect(rowOf(page.text, '2')).toMatch(
      /<details class="source"><summary>Nguồn <span class="muted">\(dòng \d+\)<\/span><\/summary>/,
    );
  });

  it('keeps a fix when the document is the same; where its cell changed, shows both and takes the choice', async () => {
    await fixDuty(w.t.prisma, orgId, PLAN, '2', { title: 'Diễn tập ứng cứu sự cố (quản trị sửa)' }, 'test');
    const dutyPage = await client.get(`/admin/duties/${(await duty('2')).id}`);
    expect(dutyPage.text).toContain('Quản trị viên đã sửa: tên nhiệm vụ.');
    const same = draftIdOf(await client.post('/admin/import', { text: APPENDIX, planCode: PLAN }));
    const samePage = await client.get(`/admin/import/${same}`);
    expect(rowOf(samePage.text, '2')).toContain('Diễn tập ứng cứu sự cố (quản trị sửa)');
    expect(rowOf(samePage.text, '2')).toContain('Giữ bản quản trị viên đã sửa: tên nhiệm vụ');
    expect(samePage.text).not.toContain('class="card flag conflicts"');
    await client.post(`/admin/import/${same}/discard`, {});

    const id = draftIdOf(await client.post('/admin/import', { text: CHANGED, planCode: PLAN }));
    const page = await client.get(`/admin/import/${id}`);
    const box = /<div class="card flag conflicts">[\s\S]*?<\/div>/.exec(page.text)?.[0] ?? '';
    expect(box).toContain('Văn bản đã đổi ở chỗ quản trị viên đã sửa');
    expect(box).toContain(
      '<input type="radio" name="take:2:title" value="admin" checked> Diễn tập ứng cứu sự cố (quản trị sửa)',
    );
    expect(box).toContain('<input type="radio" name="take:2:title" value="document"> Diễn tập ứng cứu sự cố mạng');
    // The choices are part of the commit form.
    expect(page.text).toMatch(/action="\/admin\/import\/[\w-]+\/commit" class="inline">[\s\S]*?name="take:2:title"/);

    const bad = await client.post(`/admin/import/${id}/commit`, { 'take:9:title': 'document' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('«9:title» không phải một chỗ văn bản khác với bản quản trị viên đã sửa');
    expect((await duty('2')).title).toBe('Diễn tập ứng cứu sự cố (quản trị sửa)');

    expect((await client.post(`/admin/import/${id}/commit`, { 'take:2:title': 'document' })).status).toBe(303);
    expect((await duty('2')).title).toBe('Diễn tập ứng cứu sự cố mạng');
    expect((await client.get(`/admin/duties/${(await duty('2')).id}`)).text).not.toContain('Quản trị viên đã sửa');
    const audit = await w.t.prisma.auditEvent.findFirstOrThrow({
      where: { orgId, action: 'plan.import' },
      orderBy: { id: 'desc' },
    });
    expect((audit.data as { conflicts: { code: string; take: string }[] }).conflicts).toMatchObject([
      { code: '2', field: 'title', take: 'document' },
    ]);
  });
});
