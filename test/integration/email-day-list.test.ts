import { fromZonedTime } from 'date-fns-tz';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planPass } from '#jobs/maintenance.js';
import { createEmailChannel } from '#root/channels/email/index.js';
import { createSandboxChannel } from '#root/channels/sandbox/index.js';
import { yearWindow } from '#root/domain/zoned-day.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { buildMiniOrg } from '../helpers/builders.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { drained, startTestApp, type TestApp } from '../helpers/app.js';
import { startSmtp } from '../helpers/smtp.js';

const ZONE = 'Asia/Ho_Chi_Minh';
const local = (s: string) => fromZonedTime(s, ZONE);

/**
 * One unit leads 4.2, 1.1 and 2.2, all due Friday 13/11/2026: its contact's email of Tuesday 10/11
 * lists the three, each with its own signed link. An email cannot change once sent, so the page a
 * link opens after confirming is that email's updated list.
 */
describe('the page of an email’s confirmation link', () => {
  let t: TestDatabase;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let s: TestApp;
  let links: string[];

  beforeAll(async () => {
    t = await createTestDatabase();
    smtp = await startSmtp();
    const start = local('2026-11-09T07:00:00');
    const mini = await buildMiniOrg(t.prisma, {
      code: 'edl',
      units: 1,
      duties: [
        { code: '4.2', due: '2026-11-13' },
        { code: '1.1', due: '2026-11-13' },
        { code: '2.2', due: '2026-11-13' },
      ],
      channels: ['email'],
      email: () => 'an@example.gov.vn',
      now: start,
    });
    await reconcileObligations(t.prisma, mini.org.id, yearWindow(2026), start);
    s = await startTestApp(t, {
      start,
      roles: ['worker', 'web'],
      channels: {
        email: createEmailChannel({ url: smtp.url, from: 'dondoc <dondoc@example.gov.vn>', ratePerMinute: 600 }),
        sandbox: createSandboxChannel(),
      },
      env: { PUBLIC_URL: 'http://dondoc.test' },
    });
    s.clock.set(local('2026-11-10T08:00:00'));
    await planPass(s.deps, s.app.delivery, s.app.sendQueue(), mini.org.id, 0);
    await drained(s.app.sendQueue());
    const mail = smtp.received.find((m) => JSON.stringify(m.to).includes('an@example.gov.vn'))!;
    links = [...(mail.text ?? '').matchAll(/http:\/\/dondoc\.test(\/c\/[A-Za-z0-9_.-]+)/g)].map((m) => m[1]!);
  }, 60_000);

  afterAll(async () => {
    await s?.stop();
    await smtp?.close();
    await t?.close();
  });

  const post = async (link: string) => {
    const r = await fetch(`${s.app.address()!}${link}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
    });
    expect(r.status).toBe(200);
    return r.text();
  };

  it('shows, after a confirmation, the email’s items: that one done, each other with a link of its own', async () => {
    expect(new Set(links).size).toBe(3);
    const page = await post(links[0]!);
    expect(page).toContain('Đã ghi nhận hoàn thành');
    expect(page).toContain('Các việc trong thư nhắc: còn 2 việc chưa xong');
    const items = [...page.matchAll(/<li>(.+?)<\/li>/g)].map((m) => m[1]!);
    expect(items).toHaveLength(3);
    expect(items.filter((i) => i.endsWith('✅ đã hoàn thành'))).toHaveLength(1);
    const others = items.flatMap((i) => /<a href="(\/c\/[^"]+)">xác nhận hoàn thành<\/a>/.exec(i)?.[1] ?? []);
    expect(others).toHaveLength(2);
    for (const i of items) expect(i).toMatch(/«Nhiệm vụ \d\.\d», hạn 13\/11\/2026 — /);

    // A link of the page confirms its item; the list then has two done.
    const next = await post(others[0]!);
    expect(next).toContain('Các việc trong thư nhắc: còn 1 việc chưa xong');
    expect([...next.matchAll(/✅ đã hoàn thành<\/li>/g)]).toHaveLength(2);
  });

  it('shows the list in the contact’s language', async () => {
    await t.prisma.contact.updateMany({ where: { email: 'an@example.gov.vn' }, data: { locale: 'en' } });
    const page = await post(links[0]!);
    expect(page).toContain('The items of the reminder email: 1 still open');
    expect(page).toMatch(/«Nhiệm vụ \d\.\d», due 13\/11\/2026 — <a href="\/c\/[^"]+">confirm it is done<\/a>/);
  });
});
