import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebTest, type WebTest } from '../helpers/web.js';

/**
 * Undoing a confirmation or a waiver from the web (issue 16): it asks first (a question page, no
 * script), needs a reason and the CSRF token, reopens the obligation, withdraws its confirmation,
 * and is audited with the reason.
 */
describe('undoing a confirmation or a waiver, asking first', () => {
  let w: WebTest;
  const db = () => w.t.prisma;
  let ids: string[];

  beforeAll(async () => {
    w = await startWebTest();
    ids = (
      await db().obligation.findMany({
        where: { orgId: w.orgId, status: 'open', duty: { code: 'BC-15/11' } },
        orderBy: { unit: { name: 'asc' } },
        take: 2,
      })
    ).map((o) => o.id);
  }, 120_000);
  afterAll(async () => w?.stop());

  it('a waiver asks first: the obligation page’s form goes to a question page that posts it', async () => {
    const page = (await w.client.get(`/admin/obligations/${ids[0]}`)).text;
    expect(page).toContain(
      `<form method="get" action="/admin/ask" class="row"><input type="hidden" name="do" value="/admin/obligations/${ids[0]}/waive">`,
    );
    const ask = await w.client.get(
      `/admin/ask?do=/admin/obligations/${ids[0]}/waive&back=/admin&reason=${encodeURIComponent('Không áp dụng <b>x</b>')}`,
    );
    expect(ask.status).toBe(200);
    expect(ask.text).toContain('Miễn nghĩa vụ này cho đơn vị?');
    expect(ask.text).toContain('Lý do: «Không áp dụng &lt;b&gt;x&lt;/b&gt;»');
    expect(ask.text).toContain(`<form method="post" action="/admin/obligations/${ids[0]}/waive" class="row">`);
    expect(ask.text).toContain('<input type="hidden" name="reason" value="Không áp dụng &lt;b&gt;x&lt;/b&gt;">');
    expect(await db().obligation.findUniqueOrThrow({ where: { id: ids[0] } })).toMatchObject({ status: 'open' });
    // Only the known actions: anything else is not asked about.
    expect((await w.client.get('/admin/ask?do=/logout')).status).toBe(404);
    expect((await w.client.get('/admin/ask?do=https://example.com/x')).status).toBe(404);
  });

  it('undoes a confirmation and a waiver, with a reason, audited; refuses without one or without the token', async () => {
    const confirm = await w.client.post(`/admin/obligations/${ids[0]}/confirm`, { reason: 'Đã nhận bản giấy' });
    expect(confirm.status).toBe(303);
    const waive = await w.client.post(`/admin/obligations/${ids[1]}/waive`, { reason: 'Không áp dụng' });
    expect(waive.status).toBe(303);
    const page = (await w.client.get(`/admin/obligations/${ids[0]}`)).text;
    expect(page).toContain(`<input type="hidden" name="do" value="/admin/obligations/${ids[0]}/undo">`);

    const audits = () =>
      db().auditEvent.count({ where: { orgId: w.orgId, action: { startsWith: 'obligation.undo' } } });
    const before = await audits();
    expect((await w.client.post(`/admin/obligations/${ids[0]}/undo`, { reason: '' })).status).toBe(400);
    // A reason longer than its field takes is refused, saying so, not saved cut.
    const long = await w.client.post(`/admin/obligations/${ids[0]}/undo`, { reason: 'Nhầm. '.repeat(300) });
    expect(long.status).toBe(400);
    expect(long.text).toContain('Lý do quá dài: 1799 ký tự, tối đa 1000.');
    expect((await w.client.post(`/admin/obligations/${ids[0]}/undo`, { _csrf: null, reason: 'Nhầm' })).status).toBe(
      403,
    );
    expect(await audits()).toBe(before);
    expect((await db().obligation.findUniqueOrThrow({ where: { id: ids[0] } })).status).toBe('done');

    const res = await w.client.post(`/admin/obligations/${ids[0]}/undo`, {
      reason: 'Đơn vị gửi nhầm báo cáo năm trước',
    });
    expect(res.status).toBe(303);
    expect((await w.client.get(res.location!)).text).toContain('Đã hoàn tác xác nhận:');
    expect(await db().obligation.findUniqueOrThrow({ where: { id: ids[0] } })).toMatchObject({
      status: 'open',
      completedAt: null,
    });
    expect(await db().confirmation.count({ where: { obligationId: ids[0], withdrawnAt: null } })).toBe(0);
    expect(
      await db().auditEvent.findFirstOrThrow({ where: { action: 'obligation.undo-confirm', entityId: ids[0] } }),
    ).toMatchObject({
      actor: `web:${w.admin.email}`,
      data: { reason: 'Đơn vị gửi nhầm báo cáo năm trước', was: 'done', withdrawnConfirmations: 1 },
    });

    const undoWaive = await w.client.post(`/admin/obligations/${ids[1]}/undo`, { reason: 'Miễn nhầm đơn vị' });
    expect(undoWaive.status).toBe(303);
    expect((await db().obligation.findUniqueOrThrow({ where: { id: ids[1] } })).status).toBe('open');
    expect(
      await db().auditEvent.findFirstOrThrow({ where: { action: 'obligation.undo-waive', entityId: ids[1] } }),
    ).toMatchObject({ data: { reason: 'Miễn nhầm đơn vị', was: 'waived' } });
    // Nothing left to undo: said in Vietnamese only.
    const again = await w.client.post(`/admin/obligations/${ids[1]}/undo`, { reason: 'Lần nữa' });
    expect(again.status).toBe(400);
    expect(again.text).toContain('Nghĩa vụ này đang mở: không có xác nhận hay miễn nào để hoàn tác.');
    expect(again.text).not.toContain('It is open already');
    // The history says it in words.
    const o = await db().obligation.findUniqueOrThrow({ where: { id: ids[1] }, include: { unit: true } });
    const unitPage = (await w.client.get(`/admin/units/${o.unitId}`)).text;
    expect(unitPage).toContain(`đã hủy miễn <a href="/admin/obligations/${ids[1]}">BC-15/11 của ${o.unit.name}</a>`);
  });
});
