import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandboxChannel } from '#root/channels/sandbox/index.js';
import { createCommandService, type Caller, type Outcome } from '#root/commands/service.js';
import type { Db } from '#root/db/client.js';
import { yearWindow } from '#root/domain/zoned-day.js';
import { createLogger } from '#root/logger.js';
import { loadTemplates } from '#root/messages/templates.js';
import { createMetrics } from '#root/metrics.js';
import { ensureBundleOf } from '#root/services/bundles.js';
import { createDelivery } from '#root/services/delivery.js';
import {
  indicatorSummaries,
  missingIndicators,
  reportIndicatorValue,
  saveIndicator,
  storeIndicators,
} from '#root/services/indicators.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { buildMiniOrg } from '../helpers/builders.js';
import { ManualClock } from '../helpers/clock.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

/** Monday 9 November 2026, 08:00 in Hồ Chí Minh City: the yearly report (15/11) is due this week. */
const NOW = new Date('2026-11-09T01:00:00Z');
const logger = createLogger({ level: 'silent' });

let t: TestDatabase;
let db: Db;
let chatSeq = 880_000;

beforeAll(async () => {
  t = await createTestDatabase();
  db = t.prisma;
});
afterAll(() => t?.close());

/**
 * Three units; duty 1.1 (an appendix duty) led by all three; the plan's yearly report BC-15/11 led
 * by units 1 and 2 only; indicator 1 (a rate, target 80 % in 2026) and 2 (people, target 100).
 * Unit 3 reports no indicator (it is not bound by the yearly report).
 */
async function buildWorld(code: string) {
  const mini = await buildMiniOrg(db, { code, units: 3, duties: [{ code: '1.1', due: '2026-12-10' }], now: NOW });
  const orgId = mini.org.id;
  const report = await db.duty.create({
    data: {
      orgId,
      planId: mini.plan.id,
      code: 'BC-15/11',
      title: 'Báo cáo tình hình thực hiện Kế hoạch',
      origin: 'report',
      timeframe: 'Hằng năm, trước ngày 15/11',
      position: 5,
    },
  });
  await db.schedule.create({ data: { orgId, dutyId: report.id, kind: 'yearly', due: '11-15', raw: 'hằng năm' } });
  await db.assignment.createMany({
    data: mini.units.slice(0, 2).map((u, i) => ({
      orgId,
      dutyId: report.id,
      role: 'lead' as const,
      unitId: u.id,
      target: `u:${u.id}`,
      rawName: u.name,
      position: i,
    })),
  });
  await reconcileObligations(db, orgId, yearWindow(2026), NOW);
  await db.$transaction((tx) =>
    storeIndicators(tx, orgId, mini.plan.id, [
      {
        code: '1',
        title: 'Tỷ lệ hệ thống thông tin được phân loại',
        unit: '%',
        targets: { '2025': 90, '2026': 80 },
        source: 'hàng 2',
      },
      { code: '2', title: 'Số cán bộ được tập huấn', unit: 'người', targets: { '2026': 100 }, source: 'hàng 3' },
    ]),
  );
  const callers: Caller[] = [];
  for (const c of mini.contacts) {
    const id = String(++chatSeq);
    await db.contact.update({ where: { id: c.id }, data: { telegramChatId: BigInt(id), channels: ['telegram'] } });
    callers.push({ channel: 'telegram', userId: id, chatId: id, group: false });
  }
  return { ...mini, orgId, callers };
}

function chat() {
  return createCommandService({ db, logger, clock: new ManualClock(NOW), senders: {} });
}
const reply = (o: Outcome) => {
  expect(o.replies).toHaveLength(1);
  return o.replies[0]!.text;
};
const standing = (orgId: string) =>
  db.indicatorValue.findMany({ where: { orgId, endedAt: null }, orderBy: { createdAt: 'asc' } });
const everything = async (orgId: string) => ({
  values: await db.indicatorValue.findMany({ where: { orgId }, orderBy: { id: 'asc' } }),
  audits: await db.auditEvent.count({ where: { orgId } }),
});

describe('reporting an indicator by chat', () => {
  let w: Awaited<ReturnType<typeof buildWorld>>;
  beforeAll(async () => {
    w = await buildWorld('chat');
  });

  it('lists the unit’s own indicators of the year, none reported yet', async () => {
    const text = reply(await chat().handleText(w.callers[0]!, '/chitieu'));
    expect(text).toContain('Chỉ tiêu năm 2026 của Đơn vị thử 1');
    expect(text).toContain('• 1. Tỷ lệ hệ thống thông tin được phân loại (mục tiêu 80%): chưa báo cáo');
    expect(text).toContain('• 2. Số cán bộ được tập huấn (mục tiêu 100 người): chưa báo cáo');
  });

  it('records a rate as numerator/denominator with its note, audited', async () => {
    const text = reply(await chat().handleText(w.callers[0]!, '/chitieu 1 45/50 hệ thống đã phân loại'));
    expect(text).toBe(
      '✅ Đã ghi nhận chỉ tiêu 1 «Tỷ lệ hệ thống thông tin được phân loại» năm 2026: 45/50 (90%). Gõ /chitieu 1 huy để rút lại.',
    );
    const [v] = await standing(w.orgId);
    expect(v).toMatchObject({ unitId: w.units[0]!.id, year: 2026, numerator: 45, denominator: 50, via: 'chat' });
    expect(v!.note).toBe('hệ thống đã phân loại');
    expect(v!.contactId).toBe(w.contacts[0]!.id);
    const event = await db.auditEvent.findFirstOrThrow({ where: { orgId: w.orgId, action: 'indicator.report' } });
    expect(event.actor).toBe(`telegram:${w.callers[0]!.userId}`);
    expect(event.data).toMatchObject({ numerator: 45, denominator: 50, year: 2026, unitId: w.units[0]!.id });
  });

  describe('refuses bad input with a clear message and writes nothing', () => {
    const cases: [string, string, RegExp][] = [
      [
        'a numerator over the denominator',
        '/chitieu 1 51/50',
        /Tử số không được lớn hơn mẫu số \(«51\/50» vượt quá 100%\)/,
      ],
      ['text where a number is expected', '/chitieu 1 bốn/năm', /«bốn\/năm» không phải là số/],
      ['a rate without its denominator', '/chitieu 1 45', /Chỉ tiêu này là tỷ lệ: ghi tử số\/mẫu số/],
      ['a zero denominator', '/chitieu 1 0/0', /Mẫu số phải lớn hơn 0/],
      ['a fraction for a count', '/chitieu 2 3/4', /«3\/4» không phải là số/],
      [
        'an indicator the plan does not have',
        '/chitieu 9 1/2',
        /Đơn vị thử 1 không phải báo cáo chỉ tiêu «9» năm 2026/,
      ],
    ];
    for (const [what, typed, message] of cases) {
      it(what, async () => {
        const before = await everything(w.orgId);
        const text = reply(await chat().handleText(w.callers[0]!, typed));
        expect(text).toMatch(message);
        expect(text).toContain('Chưa có gì thay đổi.');
        expect(await everything(w.orgId)).toEqual(before);
      });
    }

    it('another unit’s indicator (a unit the yearly report does not bind)', async () => {
      const before = await everything(w.orgId);
      const text = reply(await chat().handleText(w.callers[2]!, '/chitieu 1 3/4'));
      expect(text).toBe(
        'Đơn vị thử 3 không phải báo cáo chỉ tiêu «1» năm 2026. Gõ /chitieu để xem các chỉ tiêu của đơn vị. Chưa có gì thay đổi.',
      );
      expect(reply(await chat().handleText(w.callers[2]!, '/chitieu'))).toBe(
        'Đơn vị thử 3 không có chỉ tiêu nào phải báo cáo năm 2026.',
      );
      expect(await everything(w.orgId)).toEqual(before);
    });
  });

  it('replaces a value, and undo brings the one before back; a second undo leaves none; a third has nothing', async () => {
    const svc = chat();
    expect(reply(await svc.handleText(w.callers[0]!, '/chitieu 1 40/50'))).toContain(
      'Số liệu báo trước đó được thay bằng số này.',
    );
    expect((await standing(w.orgId)).map((v) => v.numerator)).toEqual([40]);
    expect(reply(await svc.handleText(w.callers[0]!, '/chitieu 1 huy'))).toBe(
      '↩️ Đã rút lại số liệu chỉ tiêu 1 năm 2026. Số liệu trước đó (45/50 (90%)) được dùng lại.',
    );
    expect((await standing(w.orgId)).map((v) => v.numerator)).toEqual([45]);
    expect(reply(await svc.handleText(w.callers[0]!, '/chitieu 1 huy'))).toBe(
      '↩️ Đã rút lại số liệu chỉ tiêu 1 năm 2026. Chỉ tiêu này trở lại «chưa báo cáo».',
    );
    expect(await standing(w.orgId)).toEqual([]);
    expect(reply(await svc.handleText(w.callers[0]!, '/chitieu 1 huy'))).toBe(
      'Chỉ tiêu «1» năm 2026 chưa có số liệu nào để rút lại.',
    );
    const undos = await db.auditEvent.findMany({ where: { orgId: w.orgId, action: 'indicator.undo' } });
    expect(undos).toHaveLength(2);
    // Nothing is deleted: every value reported is kept, the withdrawn ones marked.
    const all = await db.indicatorValue.findMany({ where: { orgId: w.orgId } });
    expect(
      all
        .filter((v) => v.withdrawn)
        .map((v) => v.numerator)
        .sort(),
    ).toEqual([40, 45]);
  });

  it('answers in English to a contact whose language is English (/indicator)', async () => {
    await db.contact.update({ where: { id: w.contacts[1]!.id }, data: { locale: 'en' } });
    expect(reply(await chat().handleText(w.callers[1]!, '/indicator 1 30/40 servers'))).toBe(
      '✅ Recorded indicator 1 «Tỷ lệ hệ thống thông tin được phân loại» for 2026: 30/40 (75%). Send /indicator 1 undo to withdraw it.',
    );
    expect(reply(await chat().handleText(w.callers[1]!, '/indicator 1 50/40'))).toBe(
      'The numerator cannot exceed the denominator («50/40» is over 100%). Nothing was changed.',
    );
  });

  it('gives the province’s value as Σ numerators / Σ denominators, the target, met or not, and who is missing', async () => {
    await reportIndicatorValue(db, {
      orgId: w.orgId,
      unitId: w.units[0]!.id,
      contactId: null,
      actor: 'web:admin@x',
      via: 'web',
      code: '1',
      year: 2026,
      value: '45/50',
      note: null,
      now: NOW,
    });
    const [rate, people] = await indicatorSummaries(db, w.orgId, [2025, 2026]);
    const y2026 = rate!.years[1]!;
    // (45 + 30) / (50 + 40) = 83.3 % ≥ 80 %.
    expect(y2026.value).toBeCloseTo(83.333, 2);
    expect(y2026.target).toEqual({ value: 80, year: 2026 });
    expect(y2026.met).toBe(true);
    expect(y2026.reported.map((r) => r.unit)).toEqual(['Đơn vị thử 1', 'Đơn vị thử 2']);
    expect(y2026.missing).toEqual([]);
    expect(rate!.years[0]!).toMatchObject({ year: 2025, value: null, met: null, target: { value: 90, year: 2025 } });
    expect(people!.years[1]!.missing.map((m) => m.unit)).toEqual(['Đơn vị thử 1', 'Đơn vị thử 2']);
    expect((await missingIndicators(db, w.orgId, w.units[0]!.id, 2026)).map((i) => i.code)).toEqual(['2']);
  });

  it('lets an administrator choose the units that report an indicator (audited)', async () => {
    const ind = await db.indicator.findFirstOrThrow({ where: { orgId: w.orgId, code: '2' } });
    await saveIndicator(
      db,
      w.orgId,
      { planId: w.plan.id, code: '2', title: ind.title, unit: 'người', targets: '2026: 120', units: 'Đơn vị thử 3' },
      'web:admin@x',
      ind.id,
    );
    const [, people] = await indicatorSummaries(db, w.orgId, [2026]);
    expect(people!.targets).toEqual({ '2026': 120 });
    expect(people!.years[0]!.missing.map((m) => m.unit)).toEqual(['Đơn vị thử 3']);
    expect(reply(await chat().handleText(w.callers[2]!, '/chitieu 2 12 lớp tập huấn'))).toContain('năm 2026: 12 người');
    const edit = await db.auditEvent.findFirstOrThrow({ where: { orgId: w.orgId, action: 'indicator.edit' } });
    expect(edit.data).toMatchObject({ code: '2', targets: { '2026': 120 }, units: ['Đơn vị thử 3'] });
  });

  it('refuses targets that are not numbers, changing nothing', async () => {
    const before = await db.indicator.findMany({ where: { orgId: w.orgId }, orderBy: { code: 'asc' } });
    await expect(
      saveIndicator(
        db,
        w.orgId,
        { planId: w.plan.id, code: '3', title: 'X', unit: '%', targets: '2026: nhiều', units: '' },
        'web:a',
      ),
    ).rejects.toThrow(/Mục tiêu «2026: nhiều» không hợp lệ/);
    expect(await db.indicator.findMany({ where: { orgId: w.orgId }, orderBy: { code: 'asc' } })).toEqual(before);
  });
});

/**
 * The day's message of several items (a bundle) of a unit bound by the yearly report: the report's
 * item lists the indicators the unit has not reported yet, as its reminder alone would, and stops
 * listing each once it is reported.
 */
describe('the indicators still missing in the day’s message of several items', () => {
  let w: Awaited<ReturnType<typeof buildWorld>>;
  const templates = loadTemplates();
  const metrics = createMetrics();
  const config = { SECRET_KEY: 'k'.repeat(64), PUBLIC_URL: 'https://dondoc.test', PORT: 3000 };
  const DAY_MS = 24 * 3600_000;

  beforeAll(async () => {
    w = await buildWorld('bundle');
  });

  /**
   * The two items of unit 1's contact on day `n` after Monday 9/11 (the yearly report due Sunday
   * 15/11 and duty 1.1 due 10/12, each a lead reminder), sent as that day's one sandbox message.
   */
  async function dayMessage(n: number) {
    const at = new Date(NOW.getTime() + n * DAY_MS);
    const contact = w.contacts[0]!;
    const obligations = await db.obligation.findMany({
      where: { orgId: w.orgId, unitId: w.units[0]!.id },
      include: { duty: true },
    });
    expect(obligations.map((o) => o.duty.code).sort()).toEqual(['1.1', 'BC-15/11']);
    const ids: string[] = [];
    for (const o of obligations) {
      const due = o.duty.code === '1.1' ? '20261210' : '20261115';
      const r = await db.reminder.create({
        data: {
          orgId: w.orgId,
          obligationId: o.id,
          contactId: contact.id,
          channel: 'sandbox',
          kind: 'lead',
          stage: `lead-${o.duty.code === '1.1' ? 22 - n : 5 - n}@${due}`,
          scheduledAt: at,
        },
      });
      ids.push(r.id);
    }
    const bundleId = await ensureBundleOf(db, ids[0]!);
    expect(bundleId).not.toBeNull();
    const delivery = createDelivery({
      db,
      config,
      templates,
      channels: { sandbox: createSandboxChannel() },
      clock: new ManualClock(at),
      logger,
      metrics,
      workerId: `test-bundle-${n}`,
    });
    expect(await delivery.deliverBundle(bundleId!)).toMatchObject({ outcome: 'sent' });
    const sent = await db.reminder.findMany({ where: { id: { in: ids } } });
    expect(sent.map((r) => [r.status, r.bundleId])).toEqual(ids.map(() => ['sent', bundleId]));
    const message = await db.outboxMessage.findFirstOrThrow({ where: { bundleId: bundleId! } });
    return message.body;
  }

  it('lists them under the yearly report’s item, each with its target and the command to type', async () => {
    const body = await dayMessage(0);
    // A list of two items (the day's message), not the report's reminder alone.
    expect(body).toContain('hôm nay 09/11/2026 có 2 việc cần anh/chị');
    expect(body).toContain('Chỉ tiêu năm chưa báo cáo (2), gửi số liệu kèm báo cáo:');
    expect(body).toContain('– 1. Tỷ lệ hệ thống thông tin được phân loại (mục tiêu 80%): /chitieu 1 <tử số>/<mẫu số>');
    expect(body).toContain('– 2. Số cán bộ được tập huấn (mục tiêu 100 người): /chitieu 2 <số liệu>');
    // Under the report's item, not under duty 1.1's.
    const report = body.indexOf('BC-15/11-2026');
    const heading = body.indexOf('Chỉ tiêu năm chưa báo cáo');
    expect(report).toBeGreaterThanOrEqual(0);
    expect(heading).toBeGreaterThan(report);
    expect(body.indexOf('Xong: /xong BC-15/11-2026')).toBeLessThan(heading);
  });

  it('stops listing an indicator once the unit reports it, and lists none once all are', async () => {
    reply(await chat().handleText(w.callers[0]!, '/chitieu 1 45/50'));
    const next = await dayMessage(1);
    expect(next).toContain('có 2 việc cần anh/chị');
    expect(next).toContain('Chỉ tiêu năm chưa báo cáo (1), gửi số liệu kèm báo cáo:');
    expect(next).not.toContain('– 1. ');
    expect(next).toContain('– 2. Số cán bộ được tập huấn (mục tiêu 100 người): /chitieu 2 <số liệu>');

    reply(await chat().handleText(w.callers[0]!, '/chitieu 2 120'));
    const last = await dayMessage(2);
    expect(last).toContain('có 2 việc cần anh/chị');
    expect(last).not.toContain('Chỉ tiêu năm chưa báo cáo');
    expect(last).not.toContain('/chitieu');
  });
});
