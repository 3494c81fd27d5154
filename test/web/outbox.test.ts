import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { yearWindow } from '#root/domain/zoned-day.js';
import { nudge } from '#root/services/nudge.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { buildMiniOrg } from '../helpers/builders.js';
import { busiestDutyAhead, startWebTest, type WebTest } from '../helpers/web.js';

describe('the sandbox outbox page', () => {
  let w: WebTest;
  /** Two units' reminders about one duty due ahead, delivered by the sandbox channel. */
  const sent: { messageId: string; obligationId: string; contactId: string; contactName: string; unitName: string }[] =
    [];
  let dutyCode: string;

  /** Nudges a unit about an obligation and delivers the reminder through the program's delivery (the worker's code). */
  async function deliverFor(orgId: string, obligation: { id: string; unitId: string }, code: string) {
    await nudge(w.t.prisma, orgId, { unitId: obligation.unitId, dutyCode: code, actor: 'test', now: w.s.clock.now() });
    const r = await w.t.prisma.reminder.findFirstOrThrow({
      where: { obligationId: obligation.id, status: 'pending' },
      include: { contact: { include: { unit: true } } },
    });
    expect((await w.s.app.delivery.deliverReminder(r.id)).outcome).toBe('sent');
    const m = await w.t.prisma.outboxMessage.findUniqueOrThrow({ where: { reminderId: r.id } });
    return {
      messageId: m.id.toString(),
      obligationId: obligation.id,
      contactId: r.contactId,
      contactName: r.contact.name,
      unitName: r.contact.unit.name,
    };
  }

  beforeAll(async () => {
    w = await startWebTest();
    const duty = await busiestDutyAhead(w);
    dutyCode = duty.code;
    const obligations = await w.t.prisma.obligation.findMany({
      where: { orgId: w.orgId, dutyId: duty.id, status: 'open', current: true, dueAt: { gt: w.s.clock.now() } },
      orderBy: { id: 'asc' },
      take: 3,
    });
    // A contact whose name carries HTML: the page shows it as text.
    await w.t.prisma.contact.updateMany({
      where: { unitId: obligations[2]!.unitId, role: 'contact' },
      data: { name: 'Chị <img src=x onerror=alert(1)> Ba' },
    });
    for (const o of obligations) sent.push(await deliverFor(w.orgId, o, dutyCode));
  }, 60_000);
  afterAll(async () => w?.stop());

  it('lists what the sandbox sent, newest first: recipient, unit, duty, text', async () => {
    const res = await w.client.get('/admin/outbox');
    expect(res.status).toBe(200);
    for (const s of sent.slice(0, 2)) {
      expect(res.text).toContain(`href="/admin/outbox/${s.messageId}"`);
      expect(res.text).toMatch(new RegExp(`<td[^>]*>${s.contactName}</td><td[^>]*>${s.unitName}</td>`));
    }
    expect(res.text).toMatch(
      new RegExp(`<td[^>]*>${dutyCode.replace('.', '\\.')}<br><span class="muted">Nhắc trước hạn</span></td>`),
    );
    // The rendered text.
    expect(res.text).toContain(`Kính gửi ${sent[0]!.contactName} (${sent[0]!.unitName}),`);
    const order = sent.map((s) => res.text.indexOf(`href="/admin/outbox/${s.messageId}"`));
    expect(order[2]).toBeLessThan(order[1]!);
    expect(order[1]).toBeLessThan(order[0]!);
    expect(res.text).toContain('Chị &lt;img src=x onerror=alert(1)&gt; Ba');
    expect(res.text).not.toContain('<img src=x');
  });

  it('calls the channel by its words in Vietnamese, not by its stored name "sandbox"', async () => {
    const vi = (await w.client.get('/admin/outbox')).text;
    expect(vi).toContain('<title>Hộp thư thử · dondoc</title>');
    expect(vi).toContain('<h1>Hộp thư thử</h1>');
    expect(vi).toContain('<p>Những tin kênh thử “đã gửi”, mới nhất trước.');
    expect(vi).not.toMatch(/sandbox/i);
    const c = w.newClient();
    c.cookies.set('lang', 'en');
    await c.login(w.admin.email, w.admin.password);
    const en = (await c.get('/admin/outbox')).text;
    expect(en).toContain('<h1>Sandbox outbox</h1>');
    expect(en).toContain('<p>What the sandbox channel “sent”, newest first.');
  });

  it('filters by recipient', async () => {
    const res = await w.client.get(`/admin/outbox?contact=${sent[1]!.contactId}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain(`href="/admin/outbox/${sent[1]!.messageId}"`);
    expect(res.text).not.toContain(`href="/admin/outbox/${sent[0]!.messageId}"`);
    expect(res.text).toMatch(new RegExp(`<option value="${sent[1]!.contactId}" selected>`));
    expect((await w.client.get('/admin/outbox?contact=not-a-uuid')).status).toBe(400);
  });

  it('shows one message with a form to answer as its recipient', async () => {
    const res = await w.client.get(`/admin/outbox/${sent[0]!.messageId}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain(`Trả lời như ${sent[0]!.contactName}`);
    expect(res.text).toContain(`action="/admin/outbox/${sent[0]!.messageId}/answer"`);
    expect(res.text).toContain('<option value="xong">');
    expect(res.text).toContain(`Kính gửi ${sent[0]!.contactName}`);
  });

  it('refuses an answer it does not understand, changing nothing', async () => {
    const before = await w.t.prisma.auditEvent.count();
    const res = await w.client.post(`/admin/outbox/${sent[1]!.messageId}/answer`, { answer: 'chưa', note: '' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('Chưa hiểu câu trả lời «chưa»');
    expect((await w.t.prisma.obligation.findUniqueOrThrow({ where: { id: sent[1]!.obligationId } })).status).toBe(
      'open',
    );
    expect(await w.t.prisma.auditEvent.count()).toBe(before);
  });

  it('answering “xong” confirms the obligation as the contact, audited with the administrator', async () => {
    const s = sent[0]!;
    const res = await w.client.post(`/admin/outbox/${s.messageId}/answer`, {
      answer: 'xong',
      note: 'Đã nộp <b>báo cáo</b>',
    });
    expect(res.status).toBe(303);
    expect(res.location).toBe(`/admin/outbox/${s.messageId}`);
    const page = await w.client.get(res.location!);
    expect(page.text).toContain(`Đã xác nhận hoàn thành nhiệm vụ ${dutyCode}`);
    expect(page.text).toContain('xong Đã nộp &lt;b&gt;báo cáo&lt;/b&gt;');
    const o = await w.t.prisma.obligation.findUniqueOrThrow({ where: { id: s.obligationId } });
    expect(o.status).toBe('done');
    const confirmations = await w.t.prisma.confirmation.findMany({ where: { obligationId: s.obligationId } });
    expect(confirmations).toHaveLength(1);
    expect(confirmations[0]).toMatchObject({
      contactId: s.contactId,
      actor: `contact:${s.contactId}`,
      via: 'sandbox',
      note: 'Đã nộp <b>báo cáo</b>',
    });
    expect(
      await w.t.prisma.auditEvent.count({
        where: {
          orgId: w.orgId,
          action: 'obligation.confirm',
          entityId: s.obligationId,
          actor: `contact:${s.contactId}`,
        },
      }),
    ).toBe(1);
    const answered = await w.t.prisma.auditEvent.findFirstOrThrow({
      where: { orgId: w.orgId, action: 'outbox.answer', entityId: s.messageId },
    });
    expect(answered.actor).toBe(`web:${w.admin.email}`);
    expect(answered.data).toMatchObject({
      answer: 'xong Đã nộp <b>báo cáo</b>',
      contactId: s.contactId,
      obligationId: s.obligationId,
      outcome: 'confirmed',
    });
    const m = await w.t.prisma.outboxMessage.findUniqueOrThrow({ where: { id: BigInt(s.messageId) } });
    expect(m.answer).toBe('xong Đã nộp <b>báo cáo</b>');
    // Again: already confirmed, one confirmation still.
    const again = await w.client.post(`/admin/outbox/${s.messageId}/answer`, { answer: 'xong' });
    expect(again.status).toBe(303);
    expect((await w.client.get(again.location!)).text).toContain('đã được xác nhận trước đó');
    expect(await w.t.prisma.confirmation.count({ where: { obligationId: s.obligationId } })).toBe(1);
  });

  it('answers 404 for an unknown id or another organisation’s message, changing nothing', async () => {
    const other = await buildMiniOrg(w.t.prisma, {
      code: 'khac',
      units: 1,
      duties: [{ code: '1', due: '2026-12-01' }],
      now: w.s.clock.now(),
    });
    await reconcileObligations(w.t.prisma, other.org.id, yearWindow(2026), w.s.clock.now());
    const theirObligation = await w.t.prisma.obligation.findFirstOrThrow({ where: { orgId: other.org.id } });
    const theirs = await deliverFor(other.org.id, theirObligation, '1');
    const before = await w.t.prisma.auditEvent.count();
    expect((await w.client.get(`/admin/outbox/${theirs.messageId}`)).status).toBe(404);
    for (const id of [theirs.messageId, '999999999', 'abc', '1e3']) {
      const res = await w.client.post(`/admin/outbox/${id}/answer`, { answer: 'xong' });
      expect(res.status, id).toBe(404);
    }
    expect((await w.t.prisma.obligation.findUniqueOrThrow({ where: { id: theirObligation.id } })).status).toBe('open');
    expect(
      (await w.t.prisma.outboxMessage.findUniqueOrThrow({ where: { id: BigInt(theirs.messageId) } })).answer,
    ).toBeNull();
    expect(await w.t.prisma.confirmation.count({ where: { obligationId: theirObligation.id } })).toBe(0);
    expect(await w.t.prisma.auditEvent.count()).toBe(before);
    // Nor is it listed.
    expect((await w.client.get('/admin/outbox')).text).not.toContain(`href="/admin/outbox/${theirs.messageId}"`);
  });
});
