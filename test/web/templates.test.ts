import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandboxChannel } from '#root/channels/sandbox/index.js';
import { yearWindow } from '#root/domain/zoned-day.js';
import { loadTemplates, MESSAGES, PARTS } from '#root/messages/templates.js';
import { createDelivery } from '#root/services/delivery.js';
import { nudge } from '#root/services/nudge.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { escapeHtml } from '#root/web/html.js';
import { buildMiniOrg } from '../helpers/builders.js';
import { busiestDutyAhead, startWebTest, type WebTest } from '../helpers/web.js';

const EDIT = '/admin/templates/vi/reminder-lead/sandbox/txt';

describe('message templates on the administrators’ pages', () => {
  let w: WebTest;
  /** An open obligation due after the test's clock, its unit and duty: a nudge about it is a "lead" reminder. */
  let ahead: { unitId: string; unitName: string; dutyCode: string };
  /** A duty many units lead, due after the test's clock: nudges about it are "lead" reminders. */
  let busyDuty: string;

  beforeAll(async () => {
    w = await startWebTest();
    const o = await w.t.prisma.obligation.findFirstOrThrow({
      where: { orgId: w.orgId, status: 'open', current: true, dueAt: { gt: w.s.clock.now() } },
      orderBy: [{ dueAt: 'asc' }, { id: 'asc' }],
      include: { unit: true, duty: true },
    });
    ahead = { unitId: o.unitId, unitName: o.unit.name, dutyCode: o.duty.code };
    const busy = await busiestDutyAhead(w);
    expect(busy.units).toBeGreaterThanOrEqual(6);
    busyDuty = busy.code;
  }, 60_000);
  afterAll(async () => w?.stop());

  /**
   * A worker's delivery of its own over the test's database, reading template overrides every
   * `refreshMs` of `refreshClock` (the real monotonic clock unless given).
   */
  const workerDelivery = (workerId: string, refreshMs: number, refreshClock?: () => number) =>
    createDelivery({
      db: w.t.prisma,
      config: w.s.config,
      templates: loadTemplates(),
      templateRefreshMs: refreshMs,
      ...(refreshClock ? { refreshClock } : {}),
      channels: { sandbox: createSandboxChannel() },
      clock: w.s.clock,
      logger: w.s.deps.logger,
      metrics: w.s.app.metrics,
      workerId,
    });

  /** Nudges units about the duty ahead; the reminders created, one per unit (each has one sandbox contact). */
  async function remindersFor(units: number): Promise<{ id: string; unitName: string }[]> {
    const list = await w.t.prisma.obligation.findMany({
      where: {
        orgId: w.orgId,
        status: 'open',
        current: true,
        duty: { code: busyDuty },
        dueAt: { gt: w.s.clock.now() },
        reminders: { none: {} },
      },
      include: { unit: true },
      orderBy: { id: 'asc' },
      take: units,
    });
    expect(list.length).toBe(units);
    const out = [];
    for (const o of list) {
      await nudge(w.t.prisma, w.orgId, { unitId: o.unitId, dutyCode: busyDuty, actor: 'test', now: w.s.clock.now() });
      const r = await w.t.prisma.reminder.findFirstOrThrow({ where: { obligationId: o.id, status: 'pending' } });
      expect(r.kind).toBe('lead');
      out.push({ id: r.id, unitName: o.unit.name });
    }
    return out;
  }
  const bodyOf = async (reminderId: string) =>
    (await w.t.prisma.outboxMessage.findUniqueOrThrow({ where: { reminderId } })).body;

  it('lists every message, channel, part and language, each linking to its edit page', async () => {
    const res = await w.client.get('/admin/templates');
    expect(res.status).toBe(200);
    expect(res.text).toContain('Mẫu tin nhắn');
    expect(res.text).toContain('Nhắc trước hạn');
    expect(res.text).toContain('Thư tổng hợp hằng ngày cho quản trị');
    // 7 messages (the day's message of several items among them) × every registered channel's
    // parts (sandbox 1, email 3, telegram 1, zalo 1…) × 2 languages.
    expect(res.text.match(/href="\/admin\/templates\/(vi|en)\//g)?.length).toBe(
      Object.keys(MESSAGES).length * Object.values(PARTS).flat().length * 2,
    );
    expect(res.text).toContain('href="/admin/templates/vi/reminder-bundle/webhook/txt"');
    expect(res.text).not.toContain('undefined');
    // The webhook's text, with its preview, as any other.
    const webhook = await w.client.get('/admin/templates/vi/reminder-bundle/webhook/txt');
    expect(webhook.status).toBe(200);
    expect(webhook.text).toContain('Tin nhắc hằng ngày (nhiều việc) · Webhook · Nội dung · Tiếng Việt');
    expect(res.text).toContain('Tin nhắc hằng ngày (nhiều việc)');
    expect(res.text).toContain(`href="${EDIT}"`);
    expect(res.text).toContain('href="/admin/templates/en/digest/email/subject.txt"');
    expect(res.text).not.toContain('đã sửa</a>');
  });

  it('shows the current text, the allowed placeholders and a preview with the organisation’s data', async () => {
    const res = await w.client.get(EDIT);
    expect(res.status).toBe(200);
    // The file's text, escaped inside the textarea.
    expect(res.text).toMatch(/<textarea[^>]*>Kính gửi \{\{contactName\}\} \(\{\{unitName\}\}\),/);
    expect(res.text).toContain('Xin gia hạn: {{extendCommand}} &lt;ngày&gt; &lt;lý do&gt;');
    for (const p of ['{{dutyCode}}', '{{dueDate}}', '{{confirmCommand}}', '{{remaining}}'])
      expect(res.text).toContain(`<code>${p}</code>`);
    expect(res.text).not.toContain('<code>{{responsibleUnit}}</code>');
    // The preview: the nearest obligation ahead, its unit and duty, rendered.
    expect(res.text).toContain(`Kính gửi Đầu mối ${ahead.unitName} (${ahead.unitName}),`);
    expect(res.text).toContain(`Nhiệm vụ ${ahead.dutyCode} «`);
    expect(res.text).toContain('Khi đã hoàn thành, trả lời: /xong');
    // The digest's lists are offered as sections.
    const digest = await w.client.get('/admin/templates/vi/digest/email/html');
    expect(digest.text).toContain('<code>{{#overdue}}</code>');
    expect(digest.text).toContain('<code>{{confirmedBy}}</code>');
  });

  it('previews the day’s message as a realistic list: overdue, due today, due soon and for cooperation', async () => {
    for (const [path, words] of [
      [
        '/admin/templates/vi/reminder-bundle/zalo/txt',
        ['QUÁ HẠN', 'ĐẾN HẠN', 'SẮP ĐẾN HẠN', 'ĐỂ PHỐI HỢP', 'Còn 1 việc khác'],
      ],
      [
        '/admin/templates/en/reminder-bundle/telegram/html',
        [
          '&lt;b&gt;Overdue',
          '&lt;b&gt;Due now',
          '&lt;b&gt;Due soon',
          '&lt;b&gt;For your cooperation',
          '1 more of yours: send /tasks',
        ],
      ],
    ] as const) {
      const res = await w.client.get(path);
      expect(res.status).toBe(200);
      const preview = res.text.slice(res.text.indexOf('</textarea>'));
      for (const word of words) expect(preview, `${path}: ${word}`).toContain(word);
      // The organisation's nearest obligation ahead is among the items due soon.
      expect(preview).toContain(`${ahead.dutyCode}-`);
    }
  });

  it('answers 404 for a template that does not exist', async () => {
    for (const path of [
      '/admin/templates/vi/nope/sandbox/txt',
      '/admin/templates/vi/reminder-due/sandbox/html',
      '/admin/templates/fr/reminder-due/sandbox/txt',
      '/admin/templates/vi/reminder-due/fax/txt',
    ]) {
      expect((await w.client.get(path)).status, path).toBe(404);
    }
    expect((await w.client.post('/admin/templates/vi/nope/sandbox/txt', { action: 'save', source: 'x' })).status).toBe(
      404,
    );
    expect(await w.t.prisma.templateOverride.count()).toBe(0);
  });

  it('previews submitted text without saving it, never putting its HTML into the page', async () => {
    const evil = '<b>{{unitName}}</b><script>alert(1)</script><img src=x onerror=alert(2)>';
    // Telegram takes only its own tags (a <script> is refused, test below): one it takes, previewed as text.
    const tgEvil = '<b>{{unitName}}</b><a href="javascript:alert(1)">x</a>';
    const tg = await w.client.post('/admin/templates/vi/reminder-due/telegram/html', {
      action: 'preview',
      source: tgEvil,
    });
    expect(tg.status).toBe(200);
    expect(tg.text).toContain('Bản xem trước, chưa lưu.');
    expect(tg.text).toContain(
      `&lt;b&gt;${ahead.unitName}&lt;/b&gt;&lt;a href=&quot;javascript:alert(1)&quot;&gt;x&lt;/a&gt;`,
    );
    expect(tg.text).not.toMatch(/<a href="javascript/);
    const refused = await w.client.post('/admin/templates/vi/reminder-due/telegram/html', {
      action: 'preview',
      source: evil,
    });
    expect(refused.status).toBe(400);
    expect(refused.text).not.toMatch(/<script>alert|<img src=x/);
    const mail = await w.client.post('/admin/templates/vi/reminder-due/email/html', {
      action: 'preview',
      source: `<p>{{dutyTitle}}</p>${evil}`,
    });
    expect(mail.status).toBe(200);
    // The email's HTML in a sandboxed frame's srcdoc (an attribute: escaped), and as text below.
    expect(mail.text).toMatch(/<iframe sandbox [^>]*srcdoc="&lt;p&gt;[^"]*&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    expect(mail.text).not.toMatch(/<script>alert|<img src=x/);
    expect(await w.t.prisma.templateOverride.count()).toBe(0);
    expect(await w.t.prisma.auditEvent.count({ where: { action: { startsWith: 'template.' } } })).toBe(0);
  });

  it('escapes values for the channel: a unit name with HTML is text in Telegram, as is in plain text', async () => {
    const u = await w.t.prisma.unit.update({
      where: { id: ahead.unitId },
      data: { name: `${ahead.unitName} <i>&</i>` },
    });
    try {
      const tg = await w.client.post('/admin/templates/vi/reminder-due/telegram/html', {
        action: 'preview',
        source: '<b>{{unitName}}</b>',
      });
      // Telegram's escaping (&lt;i&gt;&amp;), then the page's: each character appears escaped twice.
      expect(tg.text).toContain(`&lt;b&gt;${ahead.unitName} &amp;lt;i&amp;gt;&amp;amp;&amp;lt;/i&amp;gt;&lt;/b&gt;`);
      const txt = await w.client.post(EDIT, { action: 'preview', source: '{{unitName}}' });
      expect(txt.text).toContain(`>${ahead.unitName} &lt;i&gt;&amp;&lt;/i&gt;</pre>`);
    } finally {
      await w.t.prisma.unit.update({ where: { id: u.id }, data: { name: ahead.unitName } });
    }
  });

  it('refuses unknown placeholders, broken Mustache and oversized text, saving nothing', async () => {
    const unknown = await w.client.post(EDIT, {
      action: 'save',
      source: 'Kính gửi {{contactName}}, mật khẩu {{password}} {{#secrets}}{{value}}{{/secrets}}',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.text).toContain('chỗ trống không có');
    expect(unknown.text).toContain('{{password}}');
    expect(unknown.text).toContain('{{secrets}}');
    expect(unknown.text).toContain('Chưa lưu gì.');
    // The text typed is kept in the form, to be fixed.
    expect(unknown.text).toContain('mật khẩu {{password}}');
    const broken = await w.client.post(EDIT, { action: 'save', source: '{{#dutyCode}} không đóng' });
    expect(broken.status).toBe(400);
    expect(broken.text).toContain('sai cú pháp Mustache');
    const long = await w.client.post(EDIT, { action: 'save', source: 'a'.repeat(20_001) });
    expect(long.status).toBe(400);
    expect(long.text).toContain('Mẫu quá dài');
    const empty = await w.client.post(EDIT, { action: 'save', source: '   ' });
    expect(empty.status).toBe(400);
    // A preview of unknown placeholders says the same.
    const preview = await w.client.post(EDIT, { action: 'preview', source: '{{password}}' });
    expect(preview.status).toBe(400);
    expect(preview.text).toContain('{{password}}');
    expect(await w.t.prisma.templateOverride.count()).toBe(0);
    expect(await w.t.prisma.auditEvent.count({ where: { action: { startsWith: 'template.' } } })).toBe(0);
  });

  it('refuses Telegram HTML that Telegram cannot parse and unescaped placeholders, naming where, saving nothing', async () => {
    const TG = '/admin/templates/vi/reminder-lead/telegram/html';
    const cases: [string, string, string][] = [
      [
        TG,
        'Kính gửi {{contactName}}\n<div>{{dutyCode}}</div>',
        'Telegram không đọc được HTML: thẻ <div> Telegram không hỗ trợ — dòng 2, cột 1',
      ],
      [TG, 'Kính gửi {{contactName}},<br>{{dutyCode}}', 'thẻ <br> Telegram không hỗ trợ'],
      [TG, '<b>{{dutyCode}}</i>', 'thẻ đóng </i> không khớp thẻ mở <b>'],
      [TG, 'Nhiệm vụ <b>{{dutyCode}}', 'thẻ <b> không được đóng — dòng 1, cột 10'],
      [TG, '{{#dutyCode}}<i>{{/dutyCode}}x</i>', 'Telegram không đọc được HTML'],
      [TG, 'a < b {{dutyCode}}', 'dấu "<" không mở thẻ nào'],
      [TG, 'Nhiệm vụ {{{dutyTitle}}}', 'không thoát ký tự'],
      [EDIT, 'Nhiệm vụ {{&dutyTitle}}', 'không thoát ký tự'],
    ];
    for (const [path, source, problem] of cases) {
      const res = await w.client.post(path, { action: 'save', source });
      expect(res.status, source).toBe(400);
      expect(res.text, source).toContain(escapeHtml(problem));
      expect(res.text, source).toContain('Chưa lưu gì.');
      // In the page's language only (issue 14): no English half after " / ".
      expect(res.text, source).not.toMatch(/does not|is never closed|cannot parse|unescaped/i);
    }
    // Telegram's own tags pass.
    const good = await w.client.post(TG, {
      action: 'preview',
      source:
        '<b>{{dutyCode}}</b> <i>{{dutyTitle}}</i> <a href="{{confirmUrl}}">mở</a> <span class="tg-spoiler">{{period}}</span>',
    });
    expect(good.status).toBe(200);
    expect(await w.t.prisma.templateOverride.count()).toBe(0);
    expect(await w.t.prisma.auditEvent.count({ where: { action: { startsWith: 'template.' } } })).toBe(0);
  });

  it('saves an edit (audited), which the sandbox then sends, for this organisation only; reset goes back to the file', async () => {
    const [first, second] = await remindersFor(2);
    const source =
      'ĐÃ SỬA: {{unitName}} — nhiệm vụ {{dutyCode}}, hạn {{dueDateShort}} ({{remaining}}). Trả lời {{confirmCommand}}';
    const res = await w.client.post(EDIT, { action: 'save', source });
    expect(res.status).toBe(303);
    expect(res.location).toBe(EDIT);
    const page = await w.client.get(EDIT);
    expect(page.text).toContain('Đã lưu mẫu');
    expect(page.text).toContain(`Đã sửa bởi web:${w.admin.email}`);
    const row = await w.t.prisma.templateOverride.findFirstOrThrow({ where: { orgId: w.orgId } });
    expect(row).toMatchObject({
      lang: 'vi',
      message: 'reminder-lead',
      channel: 'sandbox',
      part: 'txt',
      source,
      updatedBy: `web:${w.admin.email}`,
    });
    const audit = await w.t.prisma.auditEvent.findFirstOrThrow({
      where: { orgId: w.orgId, action: 'template.update' },
    });
    expect(audit.actor).toBe(`web:${w.admin.email}`);
    expect(audit.data).toMatchObject({ template: 'vi/reminder-lead.sandbox.txt' });
    const list = await w.client.get('/admin/templates');
    expect(list.text).toContain(`<a href="${EDIT}">đã sửa</a>`);

    // The program's own delivery (the worker's code) renders with the override.
    expect((await w.s.app.delivery.deliverReminder(first!.id)).outcome).toBe('sent');
    const body = await bodyOf(first!.id);
    expect(body).toMatch(
      new RegExp(
        `^ĐÃ SỬA: ${first!.unitName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} — nhiệm vụ ${busyDuty.replace('.', '\\.')}, hạn \\d\\d/\\d\\d/2026 \\(còn \\d+ ngày làm việc\\)\\. Trả lời /xong `,
      ),
    );

    // Another organisation keeps the file's text.
    const other = await buildMiniOrg(w.t.prisma, {
      code: 'khac',
      units: 1,
      duties: [{ code: '1', due: '2026-12-01' }],
      now: w.s.clock.now(),
    });
    await reconcileObligations(w.t.prisma, other.org.id, yearWindow(2026), w.s.clock.now());
    await nudge(w.t.prisma, other.org.id, {
      unitId: other.units[0]!.id,
      dutyCode: '1',
      actor: 'test',
      now: w.s.clock.now(),
    });
    const theirs = await w.t.prisma.reminder.findFirstOrThrow({ where: { orgId: other.org.id } });
    expect((await w.s.app.delivery.deliverReminder(theirs.id)).outcome).toBe('sent');
    expect(await bodyOf(theirs.id)).toMatch(/^Kính gửi Người 1 \(Đơn vị thử 1\),/);

    const reset = await w.client.post(EDIT, { action: 'reset' });
    expect(reset.status).toBe(303);
    expect(await w.t.prisma.templateOverride.count()).toBe(0);
    const resetAudit = await w.t.prisma.auditEvent.findFirstOrThrow({
      where: { orgId: w.orgId, action: 'template.reset' },
    });
    expect(resetAudit).toMatchObject({
      actor: `web:${w.admin.email}`,
      data: { template: 'vi/reminder-lead.sandbox.txt' },
    });
    expect((await w.client.get(EDIT)).text).toContain('Đang dùng mẫu gốc');
    // A worker that cached the override drops it within the refresh period (10 s by default); a
    // delivery with a short period shows it without waiting.
    const fresh = workerDelivery('test', 0);
    expect((await fresh.deliverReminder(second!.id)).outcome).toBe('sent');
    expect(await bodyOf(second!.id)).toMatch(
      new RegExp(`^Kính gửi Đầu mối .*\\nNhiệm vụ ${busyDuty.replace('.', '\\.')} «`, 's'),
    );
  });

  it('reaches a worker that already read the overrides within its refresh period', async () => {
    const [a, b, c] = await remindersFor(3);
    // The worker's refresh period runs on a monotonic clock the test moves (not the injected
    // wall clock, which the demo and the tests move in jumps).
    const period = 10_000;
    let now = 0;
    const worker = workerDelivery('test-refresh', period, () => now);
    expect((await worker.deliverReminder(a!.id)).outcome).toBe('sent');
    expect(await bodyOf(a!.id)).toMatch(/^Kính gửi /);
    expect((await w.client.post(EDIT, { action: 'save', source: 'BẢN MỚI {{unitName}}' })).status).toBe(303);
    // Read less than the period ago: the cached (file) version, no query per message.
    now += period - 1;
    expect((await worker.deliverReminder(b!.id)).outcome).toBe('sent');
    expect(await bodyOf(b!.id)).toMatch(/^Kính gửi /);
    now += 1;
    expect((await worker.deliverReminder(c!.id)).outcome).toBe('sent');
    expect(await bodyOf(c!.id)).toBe(`BẢN MỚI ${c!.unitName}`);
    await w.client.post(EDIT, { action: 'reset' });
  });
});
