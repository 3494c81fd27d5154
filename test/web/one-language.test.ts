import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebTest, type WebClient, type WebResponse, type WebTest } from '../helpers/web.js';

/**
 * Issue 16, item 6: what the administrators' pages answer to bad input is in the page's language
 * only. Every form below is sent with bad input from a Vietnamese page and from an English one;
 * each message shown (the page's error, a field's note, the refusal page, the flash) must be
 * refused if it joins two languages with " / ", holds an English word on a Vietnamese page, or a
 * Vietnamese word on an English page (names of units, quoted «…» text and codes aside), or writes
 * a day YYYY-MM-DD that the person did not type.
 */
describe('messages in the page’s language only', () => {
  let w: WebTest;
  let ids: {
    unit: string;
    other: string;
    contact: string;
    duty: string;
    obligation: string;
    group: string;
    indicator: string;
  };
  let names: string[];

  beforeAll(async () => {
    w = await startWebTest();
    const db = w.t.prisma;
    const unit = await db.unit.findFirstOrThrow({ where: { orgId: w.orgId, name: 'Sở Y tế' } });
    const other = await db.unit.findFirstOrThrow({ where: { orgId: w.orgId, name: 'Sở Tư pháp' } });
    const contact = await db.contact.findFirstOrThrow({ where: { unitId: unit.id } });
    const duty = await db.duty.findFirstOrThrow({ where: { orgId: w.orgId, code: 'BC-15/11' } });
    const obligation = await db.obligation.findFirstOrThrow({ where: { unitId: unit.id, dutyId: duty.id } });
    const group = await db.unitGroup.findFirstOrThrow({ where: { orgId: w.orgId } });
    const indicator = await db.indicator.findFirstOrThrow({ where: { orgId: w.orgId } });
    ids = {
      unit: unit.id,
      other: other.id,
      contact: contact.id,
      duty: duty.id,
      obligation: obligation.id,
      group: group.id,
      indicator: indicator.id,
    };
    names = [
      ...(await db.unit.findMany({ where: { orgId: w.orgId }, select: { name: true } })).map((u) => u.name),
      ...(await db.unitGroup.findMany({ where: { orgId: w.orgId }, select: { name: true } })).map((g) => g.name),
      ...(await db.contact.findMany({ where: { orgId: w.orgId }, select: { name: true } })).map((c) => c.name),
    ].sort((a, b) => b.length - a.length);
  }, 120_000);
  afterAll(async () => w?.stop());

  /** The bad inputs: a form (or a query) each, with what makes it bad. */
  const forms = (): [string, (c: WebClient) => Promise<WebResponse>][] => [
    ['a unit without a name', (c) => c.post('/admin/units', { name: '' })],
    ['a unit whose name is taken', (c) => c.post('/admin/units', { name: 'Sở Y tế' })],
    ['a unit name too long', (c) => c.post('/admin/units', { name: 'Sở '.repeat(150) })],
    ['an alias taken', (c) => c.post(`/admin/units/${ids.unit}/aliases`, { alias: 'Sở Tư pháp' })],
    ['an empty alias', (c) => c.post(`/admin/units/${ids.unit}/aliases`, { alias: '' })],
    ['a unit merged into itself', (c) => c.post(`/admin/units/${ids.unit}/merge`, { into: ids.unit })],
    ['a group that is not one', (c) => c.post(`/admin/units/${ids.unit}/groups`, { group: 'x', op: 'add' })],
    ['a contact without a name', (c) => c.post(`/admin/units/${ids.unit}/contacts`, { name: '', role: 'contact' })],
    [
      'a contact with a bad email',
      (c) => c.post(`/admin/units/${ids.unit}/contacts`, { name: 'Chị Lan', email: 'khong-phai-email' }),
    ],
    [
      'a contact with an unknown channel',
      (c) => c.post(`/admin/units/${ids.unit}/contacts`, { name: 'Chị Lan', channels: 'fax' }),
    ],
    [
      'channels unknown',
      (c) => c.post(`/admin/units/${ids.unit}/contacts/${ids.contact}/channels`, { channels: 'bồ câu' }),
    ],
    ['a duty led by nobody known', (c) => c.post(`/admin/duties/${ids.duty}/units`, { leads: 'Sở Không Có' })],
    ['a duty led by nobody', (c) => c.post(`/admin/duties/${ids.duty}/units`, { leads: '' })],
    ['a duty without a title', (c) => c.post(`/admin/duties/${ids.duty}/fix`, { title: '', timeframe: '' })],
    ['a policy out of range', (c) => c.post('/admin/policies', { target: 'org', leadDays: '999' })],
    ['a policy of no target', (c) => c.post('/admin/policies', { target: 'unit:khong-co', leadDays: '3' })],
    ['a holiday on no date', (c) => c.post('/admin/policies/holidays', { date: '31/02', name: 'Nghỉ' })],
    ['a holiday removed that is none', (c) => c.post('/admin/policies/holidays/remove', { date: '2026-07-07' })],
    ['a confirmation without a reason', (c) => c.post(`/admin/obligations/${ids.obligation}/confirm`, { reason: '' })],
    ['a nudge without a reason', (c) => c.post('/admin/nudge', { unit: ids.unit, reason: '' })],
    ['a group member unknown', (c) => c.post(`/admin/groups/${ids.group}/members`, { unit: 'Sở Không Có' })],
    ['a group renamed to a taken name', (c) => c.post(`/admin/groups/${ids.group}/rename`, { name: 'Sở Y tế' })],
    ['an import of nothing', (c) => c.post('/admin/import', { text: '' })],
    [
      'an indicator value that is no number',
      (c) => c.post(`/admin/indicators/${ids.indicator}/values`, { unit: ids.unit, year: '2026', value: 'nhiều' }),
    ],
    ['an audit log filtered by a bad date', (c) => c.get('/admin/audit?from=hôm-qua')],
    [
      'an obligation that is none',
      (c) => c.post('/admin/obligations/00000000-0000-4000-8000-000000000000/confirm', { reason: 'đã nộp bản giấy' }),
    ],
    ['a preview of a reversed range', (c) => c.get('/admin/preview?from=2026-12-01&to=2026-11-01')],
    ['a preview of a bad day', (c) => c.get('/admin/preview?from=2026-13-01&to=2026-12-01')],
    ['a matrix of a bad year', (c) => c.get('/admin/status?year=20x6&plan=khong-co')],
  ];

  /** Every message a page shows a person: the error box, the fields' notes, the refusal page, the flash. */
  const messages = (text: string): string[] =>
    [
      ...text.matchAll(/<div class="(?:error|flash)" role="(?:alert|status)">([\s\S]*?)<\/div>/g),
      ...text.matchAll(/class="field-error"[^>]*>([\s\S]*?)<\/(?:span|p)>/g),
      ...text.matchAll(/<h1>(?:Không thực hiện được|Not done|Không tìm thấy|Not found)<\/h1><p>([\s\S]*?)<\/p>/g),
    ].map((m) =>
      m[1]!
        .replace(/<[^>]+>/g, ' ')
        .replace(/&[a-z]+;|&#\d+;/g, ' ')
        .trim(),
    );

  /** The words a person gave or a record holds (names, «quoted» text, codes, numbers, dates) taken out. */
  const ownWords = (m: string) => {
    let s = m.replace(/«[^»]*»/g, ' ').replace(/“[^”]*”/g, ' ');
    for (const n of names) s = s.split(n).join(' ');
    return s.replace(/\S*[\d/@_:.-]\S*/g, ' ');
  };
  const ENGLISH =
    /\b(the|is|are|not|no such|unknown|invalid|must|cannot|empty|taken|required|already|missing|between|should|unit|group|name|only|error)\b/i;
  const VIETNAMESE = /[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]/i;

  for (const lang of ['vi', 'en'] as const) {
    it(`answers bad input in ${lang === 'vi' ? 'Vietnamese' : 'English'} only`, async () => {
      const c = w.newClient();
      if (lang === 'en') c.cookies.set('lang', 'en');
      await c.login(w.admin.email, w.admin.password);
      const bad: string[] = [];
      let seen = 0;
      for (const [what, send] of forms()) {
        await c.get('/admin/units');
        let res = await send(c);
        if (res.status === 303 && res.location) res = await c.get(res.location);
        const shown = messages(res.text);
        if (!shown.length) bad.push(`${what}: no message shown (status ${res.status})`);
        for (const m of shown) {
          seen++;
          if (m.includes(' / ')) bad.push(`${what}: two languages joined: ${m}`);
          // A day is shown day first (15/11/2026): YYYY-MM-DD only as typed («…») or as the
          // example of how to write an address's parameter ("VD 2026-11-16").
          if (/\d{4}-\d{2}-\d{2}/.test(m.replace(/«[^»]*»/g, ' ').replace(/(?:VD|e\.g\.) \d{4}-\d{2}-\d{2}/g, ' ')))
            bad.push(`${what}: a day written YYYY-MM-DD: ${m}`);
          const rest = ownWords(m);
          if (lang === 'vi' && ENGLISH.test(rest)) bad.push(`${what}: English in Vietnamese: ${m}`);
          if (lang === 'en' && VIETNAMESE.test(rest)) bad.push(`${what}: Vietnamese in English: ${m}`);
        }
      }
      expect(bad).toEqual([]);
      expect(seen).toBeGreaterThanOrEqual(forms().length);
    }, 180_000);
  }

  it('names the program as the system, in the page’s language, not by its code', async () => {
    await w.t.prisma.auditEvent.create({
      data: { orgId: w.orgId, actor: 'system:demo', action: 'demo.seed', entity: 'org', entityId: w.orgId },
    });
    const what = (text: string) => [...text.matchAll(/<td data-label="" class="what">([\s\S]*?)<\/td>/g)][0]![1]!;
    const vi = (await w.client.get('/admin/audit?actor=system:demo')).text;
    expect(what(vi)).toContain('hệ thống');
    expect(what(vi)).not.toContain('system:demo');
    const c = w.newClient();
    c.cookies.set('lang', 'en');
    await c.login(w.admin.email, w.admin.password);
    const en = (await c.get('/admin/audit?actor=system:demo')).text;
    expect(what(en)).toContain('the system');
    expect(what(en)).not.toContain('system:demo');
  });

  it('names who did what in the reader’s language: the audit log on an English page', async () => {
    const c = w.newClient();
    c.cookies.set('lang', 'en');
    await c.login(w.admin.email, w.admin.password);
    const res = await c.get('/admin/audit');
    expect(res.status).toBe(200);
    // The rows' "who" column: an administrator, the system, a command-line user, in English.
    expect(res.text).toMatch(/\((?:administrator|command line)\)/);
    for (const word of ['(quản trị viên)', '(dòng lệnh)', 'hệ thống', 'cả tổ chức', 'đầu mối (đã xoá)'])
      expect(res.text, word).not.toContain(word);
  });
});
