import net from 'node:net';
import { fromZonedTime } from 'date-fns-tz';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchDue } from '#jobs/dispatch.js';
import { planPass } from '#jobs/maintenance.js';
import { createEmailChannel } from '#root/channels/email/index.js';
import { createChannels } from '#root/channels/index.js';
import { DeliveryError, type Recipient } from '#root/channels/types.js';
import { loadConfig } from '#root/config.js';
import { createLogger } from '#root/logger.js';
import { createSandboxChannel } from '#root/channels/sandbox/index.js';
import { yearWindow } from '#root/domain/zoned-day.js';
import { linkExpiry, LINK_VALIDITY_SECONDS, signLink, verifyLink } from '#root/services/links.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { buildMiniOrg } from '../helpers/builders.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { drained, startTestApp, type TestApp } from '../helpers/app.js';
import { waitFor } from '../helpers/processes.js';
import { startSmtp } from '../helpers/smtp.js';

const ZONE = 'Asia/Ho_Chi_Minh';
const local = (s: string) => fromZonedTime(s, ZONE);

describe('reminders by email', () => {
  let t: TestDatabase;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let s: TestApp;
  let orgId: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    smtp = await startSmtp();
    const start = local('2026-11-09T07:00:00');
    const mini = await buildMiniOrg(t.prisma, {
      units: 3,
      duties: [{ code: '4.2', due: '2026-11-13' }],
      channels: ['email', 'sandbox'],
      email: (i) => ['an@example.gov.vn', 'rejected@example.gov.vn', 'flaky@example.gov.vn'][i]!,
      now: start,
    });
    orgId = mini.org.id;
    await reconcileObligations(t.prisma, orgId, yearWindow(2026), start);
    s = await startTestApp(t, {
      start,
      roles: ['worker', 'web'],
      channels: {
        email: createEmailChannel({ url: smtp.url, from: 'dondoc <dondoc@example.gov.vn>', ratePerMinute: 600 }),
        sandbox: createSandboxChannel(),
      },
      env: { PUBLIC_URL: 'http://dondoc.test' },
    });
    // lead-3 of a Friday due date: Tuesday 10/11 at 08:00.
    s.clock.set(local('2026-11-10T08:00:00'));
    await planPass(s.deps, s.app.delivery, s.app.sendQueue(), orgId, 0);
    await drained(s.app.sendQueue());
  }, 60_000);

  afterAll(async () => {
    await s?.stop();
    await smtp?.close();
    await t?.close();
  });

  it('arrive at the SMTP server as HTML and plain text, in Vietnamese', () => {
    const mail = smtp.received.find((m) => m.to && JSON.stringify(m.to).includes('an@example.gov.vn'))!;
    expect(mail).toBeDefined();
    expect(mail.subject).toBe('Nhắc hạn: nhiệm vụ 4.2 — còn 3 ngày làm việc');
    expect(mail.text).toContain('đến hạn thứ Sáu, ngày 13 tháng 11 năm 2026 (còn 3 ngày làm việc)');
    expect(mail.html).toContain('Xác nhận đã hoàn thành');
  });

  it('retry a temporary failure (451) and deliver once it passes', async () => {
    const flaky = smtp.received.filter((m) => JSON.stringify(m.to).includes('flaky@'));
    expect(flaky).toHaveLength(1);
    const r = await t.prisma.reminder.findFirstOrThrow({
      where: { orgId, contact: { email: 'flaky@example.gov.vn' }, channel: 'email' },
    });
    expect(r.status).toBe('sent');
    expect(r.attempts).toBe(2);
  });

  it('fall back to the next channel when the address is rejected (550), disabling email for that contact', async () => {
    const contact = await t.prisma.contact.findFirstOrThrow({ where: { email: 'rejected@example.gov.vn' } });
    expect(contact.disabledChannels).toEqual(['email']);
    const rows = await t.prisma.reminder.findMany({ where: { contactId: contact.id }, orderBy: { channel: 'asc' } });
    expect(rows.map((r) => [r.channel, r.status])).toEqual([
      ['sandbox', 'sent'],
      ['email', 'failed'],
    ]);
    expect(
      await t.prisma.auditEvent.count({ where: { action: 'contact.channel-disabled', entityId: contact.id } }),
    ).toBe(1);
  });

  it('carry a link that shows a page on GET and confirms only on POST, exactly once', async () => {
    const mail = smtp.received.find((m) => JSON.stringify(m.to).includes('an@example.gov.vn'))!;
    const link = /http:\/\/dondoc\.test(\/c\/[A-Za-z0-9_.-]+)/.exec(mail.text ?? '')![1]!;
    const base = s.app.address()!;
    const get = await fetch(`${base}${link}`);
    expect(get.status).toBe(200);
    expect(await get.text()).toContain('<form method="post"');
    const o = await t.prisma.obligation.findFirstOrThrow({
      where: { unit: { contacts: { some: { email: 'an@example.gov.vn' } } } },
    });
    expect(o.status).toBe('open'); // a GET (a link preview) confirmed nothing
    const post = await fetch(`${base}${link}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'note=%C4%90%C3%A3+g%E1%BB%ADi',
    });
    expect(post.status).toBe(200);
    expect(await post.text()).toContain('Đã ghi nhận hoàn thành');
    const again = await fetch(`${base}${link}`, { method: 'POST' });
    expect(await again.text()).toContain('đã được xác nhận trước đó');
    const confirmations = await t.prisma.confirmation.findMany({ where: { obligationId: o.id } });
    expect(confirmations.map((c) => [c.via, c.note])).toEqual([['email', 'Đã gửi']]);
    expect((await t.prisma.obligation.findUniqueOrThrow({ where: { id: o.id } })).status).toBe('done');
  });

  it('refuse a forged, re-targeted or malformed link without changing anything', async () => {
    const mail = smtp.received.find((m) => JSON.stringify(m.to).includes('flaky@'))!;
    const link = /\/c\/([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)/.exec(mail.text ?? '')!;
    const base = s.app.address()!;
    const body = Buffer.from(link[1]!, 'base64url');
    body[0] = body[0]! ^ 1; // another obligation id, same signature
    const forged = await fetch(`${base}/c/${body.toString('base64url')}.${link[2]}`, { method: 'POST' });
    expect(forged.status).toBe(400);
    expect((await fetch(`${base}/c/nonsense`, { method: 'POST' })).status).toBe(400);
    const open = await t.prisma.obligation.count({ where: { orgId, status: 'open' } });
    expect(open).toBe(2);
  });

  it('carry a link valid for a fixed time from when it is sent, even about an obligation due long ago', async () => {
    const contact = await t.prisma.contact.findFirstOrThrow({ where: { email: 'flaky@example.gov.vn' } });
    const o = await t.prisma.obligation.findFirstOrThrow({ where: { unitId: contact.unitId, status: 'open' } });
    // 292 days after the due date (13/11/2026): the link used to expire 60 days after it.
    const sentAt = local('2027-09-01T09:00:00');
    s.clock.set(sentAt);
    const r = await t.prisma.reminder.create({
      data: {
        orgId,
        obligationId: o.id,
        contactId: contact.id,
        channel: 'email',
        kind: 'overdue',
        stage: 'nudge-late@20261113',
        scheduledAt: sentAt,
      },
    });
    await dispatchDue(t.prisma, s.app.sendQueue(), orgId, sentAt, 0);
    await waitFor(
      async () => (await t.prisma.reminder.findUniqueOrThrow({ where: { id: r.id } })).status === 'sent',
      15_000,
      'the late reminder sent',
    );
    const mail = smtp.received.filter((m) => JSON.stringify(m.to).includes('flaky@')).at(-1)!;
    const token = /\/c\/([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/.exec(mail.text ?? '')![1]!;
    const secret = s.config.SECRET_KEY;
    expect(LINK_VALIDITY_SECONDS).toBe(30 * 86_400);
    expect(verifyLink(token, secret, sentAt)).toMatchObject({
      ok: true,
      claims: { obligationId: o.id, contactId: contact.id },
    });
    const end = sentAt.getTime() + LINK_VALIDITY_SECONDS * 1000;
    expect(verifyLink(token, secret, new Date(end - 1_000)).ok).toBe(true);
    expect(verifyLink(token, secret, new Date(end + 1_000))).toMatchObject({
      ok: false,
      reason: 'expired',
      claims: { obligationId: o.id, contactId: contact.id },
    });
    // The page opens now, as the recipient clicks it.
    const get = await fetch(`${s.app.address()!}/c/${token}`);
    expect(get.status).toBe(200);
    expect(await get.text()).toContain('<form method="post"');
    s.clock.set(new Date(end + 60_000));
    expect((await fetch(`${s.app.address()!}/c/${token}`)).status).toBe(410);
    s.clock.set(sentAt);
  });

  it('answer a link naming another unit’s obligation with a clear page (403), changing nothing', async () => {
    const other = await t.prisma.contact.findFirstOrThrow({ where: { email: 'rejected@example.gov.vn' } });
    const owner = await t.prisma.contact.findFirstOrThrow({
      where: { email: 'flaky@example.gov.vn' },
      include: { unit: true },
    });
    const o = await t.prisma.obligation.findFirstOrThrow({ where: { unitId: owner.unitId, status: 'open' } });
    // As a reminder to a cooperating unit, or to a contact since moved to another unit, would carry.
    const token = signLink(
      { obligationId: o.id, contactId: other.id, exp: linkExpiry(s.clock.now()) },
      s.config.SECRET_KEY,
    );
    const url = `${s.app.address()!}/c/${token}`;
    const audits = await t.prisma.auditEvent.count();
    for (const res of [
      await fetch(url),
      await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'note=x',
      }),
    ]) {
      expect(res.status).toBe(403);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const page = await res.text();
      expect(page).toContain('Anh/chị không xác nhận được nhiệm vụ này');
      expect(page).toContain(
        `Chỉ đầu mối của đơn vị chủ trì (${owner.unit.name}) xác nhận hoàn thành nhiệm vụ này. Không có gì thay đổi.`,
      );
    }
    expect((await t.prisma.obligation.findUniqueOrThrow({ where: { id: o.id } })).status).toBe('open');
    expect(await t.prisma.confirmation.count({ where: { obligationId: o.id } })).toBe(0);
    expect(await t.prisma.auditEvent.count()).toBe(audits);
  });
});

describe('an SMTP server that stops answering', () => {
  it('is given up after SMTP_TIMEOUT_SECONDS, the channel built from the configuration', async () => {
    // Greets, then never answers: the send waits for the server's answer to EHLO.
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.write('220 mail.example ESMTP\r\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const config = loadConfig({ SMTP_URL: `smtp://127.0.0.1:${port}`, SMTP_TIMEOUT_SECONDS: '1' });
    const channels = await createChannels(config, createLogger({ level: 'silent' }));
    const email = channels.email as ReturnType<typeof createEmailChannel>;
    try {
      const to: Recipient = {
        contactId: 'c1',
        name: 'An',
        locale: 'vi',
        email: 'an@example.gov.vn',
        telegramChatId: null,
        zaloUserId: null,
      };
      const started = performance.now();
      const error = await email
        .send(to, { orgId: 'o1', ref: { reminderId: 'r1' }, subject: 'Nhắc hạn', text: 'x' })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      // The pool's socket timeout: the setting's 1 s, not the default 30 s (the test's own limit).
      expect(error).toBeInstanceOf(DeliveryError);
      expect(error).toMatchObject({ permanent: false, cause: { code: 'ETIMEDOUT' } });
      expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    } finally {
      for (const channel of Object.values(channels)) if ('close' in channel) await channel.close?.();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
