import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zonedDay } from '#root/domain/zoned-day.js';
import { periodInWords } from '#root/domain/wording.js';
import { confirmObligation, extendObligation } from '#root/services/confirmations.js';
import { startWebTest, type WebTest } from '../helpers/web.js';

const PUBLIC_URL = 'http://lich.example.vn';
const UNIT = 'Sở Thông tin và Truyền thông';

interface Ics {
  calendar: Map<string, string>;
  events: Map<string, string>[];
  alarms: number[];
}

/** A small iCalendar reader: unfolds lines, splits VEVENTs, keeps each property's last value (unescaped), counts VALARMs per event. */
function parseIcs(text: string): Ics {
  expect(text.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true);
  expect(text.trimEnd().endsWith('END:VCALENDAR')).toBe(true);
  const lines = text
    .replace(/\r\n[ \t]/g, '')
    .split('\r\n')
    .filter(Boolean);
  const calendar = new Map<string, string>();
  const events: Map<string, string>[] = [];
  const alarms: number[] = [];
  let event: Map<string, string> | null = null;
  let inAlarm = false;
  for (const line of lines) {
    if (line === 'BEGIN:VEVENT') {
      event = new Map();
      alarms.push(0);
      continue;
    }
    if (line === 'END:VEVENT') {
      events.push(event!);
      event = null;
      continue;
    }
    if (line === 'BEGIN:VALARM') {
      inAlarm = true;
      alarms[alarms.length - 1]!++;
      continue;
    }
    if (line === 'END:VALARM') {
      inAlarm = false;
      continue;
    }
    if (inAlarm) continue;
    const colon = line.indexOf(':');
    const key = line.slice(0, colon);
    const value = line
      .slice(colon + 1)
      .replace(/\\n/gi, '\n')
      .replace(/\\([,;\\])/g, '$1');
    (event ?? calendar).set(key, value);
  }
  return { calendar, events, alarms };
}

describe('a unit’s calendar feed', () => {
  let w: WebTest;
  let unit: { id: string; name: string };
  let feedPath: string;

  const expected = async () => {
    const rows = await w.t.prisma.obligation.findMany({
      where: { unitId: unit.id, current: true },
      include: { duty: true },
    });
    return rows.filter((o) => {
      const day = zonedDay(o.extendedTo ?? o.dueAt, 'Asia/Ho_Chi_Minh');
      return day >= '2025-01-01' && day <= '2027-12-31';
    });
  };
  const feed = async (path = feedPath) => w.newClient().get(path);
  const eventOf = (ics: Ics, obligationId: string) => {
    const i = ics.events.findIndex((e) => e.get('UID') === `${obligationId}@dondoc`);
    expect(i, obligationId).toBeGreaterThanOrEqual(0);
    return { event: ics.events[i]!, alarms: ics.alarms[i]! };
  };

  beforeAll(async () => {
    w = await startWebTest({ env: { PUBLIC_URL } });
    unit = await w.t.prisma.unit.findFirstOrThrow({ where: { orgId: w.orgId, name: UNIT } });
    // Last year's obligation is in the feed; one in 2029 and a retired one are not.
    const o = await w.t.prisma.obligation.findFirstOrThrow({ where: { unitId: unit.id } });
    await w.t.prisma.obligation.createMany({
      data: [
        {
          orgId: w.orgId,
          dutyId: o.dutyId,
          unitId: unit.id,
          periodKey: 'test-2025',
          dueAt: new Date('2025-11-15T16:59:59Z'),
          status: 'done',
          completedAt: new Date('2025-11-10T03:00:00Z'),
        },
        {
          orgId: w.orgId,
          dutyId: o.dutyId,
          unitId: unit.id,
          periodKey: 'test-2029',
          dueAt: new Date('2029-11-15T16:59:59Z'),
        },
        {
          orgId: w.orgId,
          dutyId: o.dutyId,
          unitId: unit.id,
          periodKey: 'test-retired',
          dueAt: new Date('2026-12-15T16:59:59Z'),
          current: false,
        },
      ],
    });
  }, 90_000);
  afterAll(async () => w?.stop());

  it('is given on the unit’s page under PUBLIC_URL once asked for, its token created once and audited', async () => {
    // Viewing the page creates nothing: the administrator asks for the address (a POST).
    const empty = await w.client.get(`/admin/units/${unit.id}`);
    expect(empty.text).toContain('Đơn vị chưa có địa chỉ lịch');
    expect((await w.t.prisma.unit.findUniqueOrThrow({ where: { id: unit.id } })).calendarToken).toBeNull();
    const made = await w.client.post(`/admin/units/${unit.id}/calendar`);
    expect(made.status).toBe(303);
    const page = await w.client.get(made.location!);
    expect(page.text).toContain('Đã tạo địa chỉ lịch; gửi địa chỉ này cho đơn vị');
    const url = new RegExp(`value="${PUBLIC_URL.replace(/\./g, '\\.')}(/ical/([A-Za-z0-9_-]{43})\\.ics)"`).exec(
      page.text,
    );
    expect(url).not.toBeNull();
    feedPath = url![1]!;
    expect((await w.t.prisma.unit.findUniqueOrThrow({ where: { id: unit.id } })).calendarToken).toBe(url![2]);
    await w.client.get(`/admin/units/${unit.id}`);
    expect((await w.t.prisma.unit.findUniqueOrThrow({ where: { id: unit.id } })).calendarToken).toBe(url![2]);
    const audits = await w.t.prisma.auditEvent.findMany({
      where: { action: 'unit.calendar-token', entityId: unit.id },
    });
    expect(audits).toHaveLength(1);
    expect(audits[0]!.actor).toBe(`web:${w.admin.email}`);
    // The audit log never holds the secret.
    expect(JSON.stringify(audits[0]!.data)).not.toContain(url![2]);
  });

  it('serves one all-day event per current obligation from last year to next year, without a login', async () => {
    const res = await feed();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const ics = parseIcs(res.text);
    expect(ics.calendar.get('X-WR-CALNAME')).toBe(UNIT);
    const rows = await expected();
    expect(rows.some((o) => o.periodKey === 'test-2025')).toBe(true);
    expect(ics.events).toHaveLength(rows.length);
    const now = w.s.clock.now();
    for (const o of rows) {
      const { event, alarms } = eventOf(ics, o.id);
      const day = zonedDay(o.extendedTo ?? o.dueAt, 'Asia/Ho_Chi_Minh').replace(/-/g, '');
      expect(event.get('DTSTART;VALUE=DATE')).toBe(day);
      expect(event.get('SUMMARY')).toContain(`[TT ${o.duty.code}] ${o.duty.title}`);
      expect(event.get('DESCRIPTION')).toContain('3131/KH-UBND');
      if (o.status === 'done') expect(event.get('SUMMARY')!.startsWith('✅ ')).toBe(true);
      else if ((o.extendedTo ?? o.dueAt) < now) expect(event.get('SUMMARY')!.startsWith('⚠ ')).toBe(true);
      expect(alarms).toBe(o.status === 'open' ? 1 : 0);
    }
    expect(res.text).toContain('TRIGGER:-PT15H');
    expect(res.text).not.toContain('test-2029');
    expect(res.text).not.toContain('test-retired');
  });

  it('describes each event in one language: Vietnamese, or English with ?lang=en', async () => {
    const vi = parseIcs((await feed()).text);
    const en = parseIcs((await feed(`${feedPath}?lang=en`)).text);
    expect(en.events).toHaveLength(vi.events.length);
    // Titles name the period in words ("Quý IV/2026", "Q4 2026"), never by its key ("2026-Q4").
    const keyed = /\d{4}-(?:Q[1-4]|H[12]|\d{2})\b/;
    const summaries = (cal: typeof vi) => cal.events.map((e) => e.get('SUMMARY')!);
    expect(summaries(vi).filter((t) => keyed.test(t))).toEqual([]);
    expect(summaries(en).filter((t) => keyed.test(t))).toEqual([]);
    expect(summaries(vi).some((t) => / \((Quý|tháng|6 tháng)/.test(t))).toBe(true);
    const open = (await expected()).find((o) => o.status === 'open')!;
    const viText = eventOf(vi, open.id).event.get('DESCRIPTION')!;
    const enText = eventOf(en, open.id).event.get('DESCRIPTION')!;
    expect(viText).toMatch(/^Kế hoạch: 3131\/KH-UBND/);
    expect(viText).toContain('Trạng thái: ');
    expect(enText).toMatch(/^Plan: 3131\/KH-UBND/);
    expect(enText).toContain('State: ');
    expect(enText).toContain(`send /done ${open.duty.code}`);
    for (const text of [viText, enText]) expect(text).not.toMatch(/ \/ (plan|duty|period|due|state)\b/i);
    // The English has no Vietnamese of ours (the plan's and duty's titles are the organisation's).
    const ours = enText.replaceAll(open.duty.title, '').replace(/^Plan: .*$/m, '');
    expect(ours).not.toMatch(/Kế hoạch|Nhiệm vụ|Trạng thái|Hạn|chưa xác nhận|gia hạn/);
    const gone = await feed(`/ical/${'A'.repeat(43)}.ics?lang=en`);
    expect(gone.status).toBe(404);
    expect(gone.text).toBe('There is no such calendar (the address is wrong or was replaced).\n');
  });

  it('reflects a confirmation and an extension made after, under the same UIDs', async () => {
    const open = (await expected()).filter((o) => o.status === 'open');
    expect(open.length).toBeGreaterThanOrEqual(2);
    const [a, b] = open as [(typeof open)[0], (typeof open)[0]];
    const before = eventOf(parseIcs((await feed()).text), a.id);
    expect(before.event.get('SUMMARY')!.startsWith('✅')).toBe(false);
    expect(before.event.get('DESCRIPTION')).toContain(`/xong ${a.duty.code}`);
    await confirmObligation(w.t.prisma, {
      obligationId: a.id,
      contactId: null,
      actor: 'test',
      via: 'web',
      now: w.s.clock.now(),
    });
    await extendObligation(w.t.prisma, {
      obligationId: b.id,
      to: new Date('2026-12-01T16:59:59Z'),
      actor: 'test',
      reason: 'thử gia hạn',
    });
    const ics = parseIcs((await feed()).text);
    expect(ics.events).toHaveLength((await expected()).length);
    const done = eventOf(ics, a.id);
    expect(done.event.get('SUMMARY')).toBe(
      `✅ [TT ${a.duty.code}] ${a.duty.title}${/^\d{4}$/.test(a.periodKey) ? '' : ` (${periodInWords(a.periodKey, 'vi')})`}`,
    );
    expect(done.event.get('DESCRIPTION')).toContain('đã hoàn thành');
    expect(done.alarms).toBe(0);
    const moved = eventOf(ics, b.id);
    expect(moved.event.get('DTSTART;VALUE=DATE')).toBe('20261201');
    expect(moved.event.get('DESCRIPTION')).toContain('gia hạn từ');
    expect(moved.event.get('SUMMARY')!.startsWith('⚠')).toBe(false);
  });

  it('asks before replacing the address, saying what breaks; a second “create” keeps the address', async () => {
    const token = async () => (await w.t.prisma.unit.findUniqueOrThrow({ where: { id: unit.id } })).calendarToken;
    const before = await token();
    const audits = () => w.t.prisma.auditEvent.count({ where: { action: 'unit.calendar-token', entityId: unit.id } });
    const auditsBefore = await audits();
    // The unit's page: "Tạo địa chỉ mới" is a GET to the question page, not a POST that replaces.
    const page = (await w.client.get(`/admin/units/${unit.id}?open=calendar`)).text;
    const form = /<form method="get" action="\/admin\/ask" class="inline">(.*?)<\/form>/.exec(
      page.slice(page.indexOf('id="calendar"')),
    );
    expect(form?.[1]).toContain(`name="do" value="/admin/units/${unit.id}/calendar/replace"`);
    expect(form?.[1]).toContain('Tạo địa chỉ mới');
    const ask = await w.client.get(
      `/admin/ask?do=/admin/units/${unit.id}/calendar/replace&back=${encodeURIComponent(`/admin/units/${unit.id}`)}`,
    );
    expect(ask.status).toBe(200);
    expect(ask.text).toContain('Chắc chắn?');
    expect(ask.text).toContain('Địa chỉ cũ ngừng hoạt động ngay');
    expect(ask.text).toContain(`<form method="post" action="/admin/units/${unit.id}/calendar/replace"`);
    expect(ask.text).toContain('name="_csrf"');
    // Asking changed nothing; nor does the first address's button pressed again (another tab).
    expect(await token()).toBe(before);
    const again = await w.client.post(`/admin/units/${unit.id}/calendar`);
    expect(again.status).toBe(303);
    expect((await w.client.get(again.location!)).text).toContain('Đơn vị đã có địa chỉ lịch; địa chỉ được giữ nguyên');
    expect(await token()).toBe(before);
    expect((await feed()).status).toBe(200);
    // The replacement itself keeps the CSRF check.
    expect((await w.client.post(`/admin/units/${unit.id}/calendar/replace`, { _csrf: null })).status).toBe(403);
    expect(await token()).toBe(before);
    expect(await audits()).toBe(auditsBefore);
  });

  it('stops answering the old address once a new one is made, and answers the new one', async () => {
    const old = feedPath;
    const res = await w.client.post(`/admin/units/${unit.id}/calendar/replace`);
    expect(res.status).toBe(303);
    const page = await w.client.get(res.location!);
    expect(page.text).toContain('Đã tạo địa chỉ lịch mới');
    const token = (await w.t.prisma.unit.findUniqueOrThrow({ where: { id: unit.id } })).calendarToken!;
    feedPath = `/ical/${token}.ics`;
    expect(feedPath).not.toBe(old);
    expect(page.text).toContain(`${PUBLIC_URL}${feedPath}`);
    const gone = await feed(old);
    expect(gone.status).toBe(404);
    expect(gone.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(gone.text).not.toContain(UNIT);
    expect((await feed()).status).toBe(200);
    expect(
      await w.t.prisma.auditEvent.count({
        where: { action: 'unit.calendar-token', entityId: unit.id, actor: `web:${w.admin.email}` },
      }),
    ).toBe(2);
  });

  it('answers 404 with a short text to a wrong, malformed or suffix-less token', async () => {
    const token = feedPath.slice('/ical/'.length, -'.ics'.length);
    const nearMiss = `${token.slice(0, -1)}${token.endsWith('B') ? 'C' : 'B'}`;
    const wrong = [
      `/ical/${'A'.repeat(43)}.ics`,
      `/ical/${nearMiss}.ics`,
      '/ical/x.ics',
      `/ical/${token}`,
      `/ical/${token}.ics.ics`,
      "/ical/'%20OR%201=1.ics",
      '/ical/.ics',
    ];
    const bodies = new Set<string>();
    for (const path of wrong) {
      const res = await feed(path);
      expect(res.status, path).toBe(404);
      expect(res.text).not.toContain('BEGIN:VCALENDAR');
      expect(res.text).not.toContain(UNIT);
      bodies.add(res.text);
    }
    // One message whatever was wrong: nothing tells a near miss from a far one.
    expect(bodies.size).toBe(1);
    expect([...bodies][0]).toContain('Không có lịch này');
  });
});
