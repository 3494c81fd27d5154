import { spawn } from 'node:child_process';
import { formatInTimeZone, fromZonedTime } from 'date-fns-tz';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workingCalendarForYears } from '#root/domain/working-days.js';
import { yearWindow, zonedYear } from '#root/domain/zoned-day.js';
import { DEFAULT_CLAIM_LEASE_MS } from '#root/services/delivery.js';
import { seedDemo } from '#root/services/demo.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { planWindow } from '#root/services/planner.js';
import { startTestApp, testPrefix, type TestApp } from '../helpers/app.js';
import { wallClockStart } from '../helpers/clock.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { onText, waitFor } from '../helpers/processes.js';
import { cliTimeout, runCli, runCliInProcess } from '../helpers/run-cli.js';

const ZONE = 'Asia/Ho_Chi_Minh';

/**
 * The administrator's reminder commands against a running worker: as separate processes where a
 * test runs one, in this process where it runs several (a start-up took up to 18 s on a loaded
 * machine).
 */
describe('preview, nudge and the sandbox outbox from the command line', () => {
  let t: TestDatabase;
  let s: TestApp;
  let env: Record<string, string>;
  let orgId: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    // The command line runs on the wall clock: the test's clock starts at it.
    const start = wallClockStart();
    await seedDemo(t.prisma, { orgCode: 'hcm', timeZone: ZONE, now: start, actor: 'test' });
    orgId = (await t.prisma.organisation.findUniqueOrThrow({ where: { code: 'hcm' } })).id;
    const prefix = testPrefix();
    env = { DATABASE_URL: t.url, DEFAULT_ORG: 'hcm', REDIS_PREFIX: prefix };
    s = await startTestApp(t, { start, env: { REDIS_PREFIX: prefix } });
  });
  afterAll(async () => {
    await s?.stop();
    await t?.close();
  });

  it(
    'previews next year’s reminders as JSON, sending and storing none',
    async () => {
      // Next year in the organisation's zone (on 31/12 after 17:00 UTC it is already 1/1 there).
      const year = zonedYear(s.clock.now(), ZONE) + 1;
      // Next year's obligations, as the hourly job keeps them (a preview only reads).
      await reconcileObligations(t.prisma, orgId, yearWindow(year), s.clock.now());
      const r = await runCli(['preview', '--from', `${year}-11-01`, '--to', `${year}-11-20`, '--json'], env);
      expect(r.code, r.stderr).toBe(0);
      // Read whole: no letter of a name cut between two reads of the pipe (see the last test).
      expect(r.stdout).not.toContain('\uFFFD');
      const rows = JSON.parse(r.stdout) as Record<string, string | null>[];
      expect(rows.length).toBeGreaterThan(50);
      for (const row of rows) {
        expect(Object.keys(row)).toEqual(
          expect.arrayContaining(['at', 'unit', 'contact', 'channel', 'stage', 'duty', 'obligation']),
        );
        expect(['lead', 'due', 'overdue', 'escalation', 'digest']).toContain(row.stage);
      }
      // Drill 4.2, due 15/11: its due-day reminder at 08:00 local on the last working day on or before it.
      const dueDay = workingCalendarForYears([year], []).previousWorkingDay(`${year}-11-15`);
      const at = fromZonedTime(`${dueDay}T08:00:00`, ZONE).toISOString();
      expect(rows).toContainEqual(
        expect.objectContaining({
          duty: '4.2',
          unit: 'Sở Thông tin và Truyền thông',
          stage: 'due',
          at,
          channel: 'sandbox',
        }),
      );
      // One message a day per person: every row names the message it goes out in; over the period,
      // for each contact, channel and local day, the reminders carry one message between them, the
      // same instant and recipient; a digest is a message of its own.
      const messagesOf = new Map<string, Set<string>>();
      const rowsOf = new Map<string, Record<string, string | null>[]>();
      for (const row of rows) {
        expect(typeof row.message).toBe('string');
        rowsOf.set(row.message!, [...(rowsOf.get(row.message!) ?? []), row]);
        if (row.stage === 'digest') continue;
        const key = `${row.contact}|${row.channel}|${formatInTimeZone(new Date(row.at!), ZONE, 'yyyy-MM-dd')}`;
        messagesOf.set(key, (messagesOf.get(key) ?? new Set()).add(row.message!));
      }
      for (const [key, messages] of messagesOf) expect(messages.size, key).toBe(1);
      for (const [message, of] of rowsOf) {
        expect(new Set(of.map((r) => `${r.contact}|${r.channel}|${r.at}`)).size, message).toBe(1);
        expect(new Set(of.map((r) => r.stage === 'digest')).size, message).toBe(1);
      }
      // Several items share a message (the demo's contacts have several duties due 15/11).
      expect(rowsOf.size).toBeLessThan(rows.length);
      expect(await t.prisma.reminder.count({ where: { orgId } })).toBe(0);
      expect(await t.prisma.outboxMessage.count({ where: { orgId } })).toBe(0);
    },
    cliTimeout(1),
  );

  it(
    'nudges a unit now; the message reaches the outbox, and answering "xong" confirms once',
    async () => {
      const nudged = await runCli(['nudge', '--unit', 'Sở Y tế', '--duty', '4.7'], env);
      expect(nudged.code, nudged.stderr).toBe(0);
      expect(nudged.stdout).toMatch(/Đã xếp hàng \d+ nhắc nhở cho Sở Y tế/);
      const yte = await t.prisma.unit.findFirstOrThrow({ where: { orgId, name: 'Sở Y tế' } });
      const find = () =>
        t.prisma.outboxMessage.findFirst({
          where: { orgId, contact: { unitId: yte.id } },
          include: { reminder: true },
        });
      await waitFor(async () => (await find()) !== null, 20_000, 'the nudge in the outbox');
      const message = (await find())!;
      expect(message.body).toContain('4.7');

      const listed = await runCliInProcess(['outbox'], env);
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout).toContain('Sở Y tế');

      const bad = await runCliInProcess(['outbox', 'answer', message.id.toString(), 'chưa'], env);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/Chưa hiểu câu trả lời «chưa»/);

      const ok = await runCliInProcess(
        ['outbox', 'answer', message.id.toString(), 'xong', 'Đã', 'gửi', 'báo', 'cáo'],
        env,
      );
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/Đã xác nhận hoàn thành/);
      const obligation = await t.prisma.obligation.findUniqueOrThrow({ where: { id: message.reminder!.obligationId } });
      expect(obligation.status).toBe('done');
      expect(await t.prisma.confirmation.count({ where: { obligationId: obligation.id } })).toBe(1);

      const again = await runCliInProcess(['outbox', 'answer', message.id.toString(), 'xong'], env);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/đã được xác nhận trước đó/);
      expect(await t.prisma.confirmation.count({ where: { obligationId: obligation.id } })).toBe(1);
    },
    cliTimeout(1),
  );

  it('returns a claim older than the lease to pending and counts it as an unknown outcome (the README’s rule)', async () => {
    const now = s.clock.now();
    const obligation = await t.prisma.obligation.findFirstOrThrow({ where: { orgId, status: 'open' } });
    const contact = await t.prisma.contact.findFirstOrThrow({ where: { unitId: obligation.unitId } });
    const base = {
      orgId,
      obligationId: obligation.id,
      contactId: contact.id,
      channel: 'email' as const,
      kind: 'lead' as const,
      scheduledAt: now,
    };
    const dead = await t.prisma.reminder.create({
      data: {
        ...base,
        stage: 'nudge-dead@20990101',
        status: 'claimed',
        claimedAt: new Date(now.getTime() - DEFAULT_CLAIM_LEASE_MS - 1_000),
        claimedBy: 'w1',
      },
    });
    const alive = await t.prisma.reminder.create({
      data: {
        ...base,
        stage: 'nudge-alive@20990101',
        status: 'claimed',
        claimedAt: new Date(now.getTime() - 5_000),
        claimedBy: 'w2',
      },
    });
    await s.app.delivery.reclaimStale(orgId, now);
    expect((await t.prisma.reminder.findUniqueOrThrow({ where: { id: dead.id } })).status).toBe('pending');
    expect((await t.prisma.reminder.findUniqueOrThrow({ where: { id: alive.id } })).status).toBe('claimed');
    const metric = await s.app.metrics.registry.getSingleMetricAsString('dondoc_reminders_unknown_outcome_total');
    expect(metric).toMatch(/dondoc_reminders_unknown_outcome_total\{channel="email"\} 1/);
  });
});

describe('a plan imported after its due date', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t?.close());

  it('gets the overdue nudges still ahead, and nothing backdated', async () => {
    const now = fromZonedTime('2026-11-25T09:00:00', ZONE);
    await seedDemo(t.prisma, { orgCode: 'late', timeZone: ZONE, now, actor: 'test' });
    const org = await t.prisma.organisation.findUniqueOrThrow({ where: { code: 'late' } });
    expect(await t.prisma.obligation.count({ where: { orgId: org.id, createdAt: { not: now } } })).toBe(0);
    const plan = await planWindow(
      t.prisma,
      org.id,
      fromZonedTime('2026-11-01T00:00:00', ZONE),
      fromZonedTime('2026-12-06T00:00:00', ZONE),
    );
    const drill = plan.reminders.filter(
      (r) => r.duty === '4.2' && r.unit === 'Sở Thông tin và Truyền thông' && r.kind !== 'escalation',
    );
    expect(drill.map((r) => [r.stage.split('@')[0], formatInTimeZone(r.at, ZONE, 'yyyy-MM-dd HH:mm')])).toEqual([
      ['overdue-4', '2026-11-27 08:00'],
      ['overdue-5', '2026-12-02 08:00'],
    ]);
    for (const r of plan.reminders) expect(r.at.getTime()).toBeGreaterThanOrEqual(now.getTime());
  });
});

/**
 * Once in CI the preview's JSON named one contact two ways, «Đầu mối …» and «\uFFFD\uFFFDầu mối …»,
 * and one message looked as if it went to two people: the 400 kB came through the pipe in reads
 * whose sizes depend on when this process caught up, and each read was decoded on its own, so a
 * letter cut between two reads ("Đ" is C4 90) became two replacement characters.
 */
describe('the output of a command, read from its pipe', () => {
  it('keeps a letter cut between two reads of the pipe whole', async () => {
    // The child writes "a" and the first byte of "Đ" in one write, waits until this process has
    // read them, then writes the second byte: two reads, the letter cut between them, every time.
    const child = spawn(
      process.execPath,
      [
        '-e',
        `process.stdout.write(Buffer.from([0x61, 0xc4]));
         process.stdin.once('data', () => process.stdout.write(Buffer.from([0x90, 0x0a]), () => process.exit(0)));`,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    let text = '';
    const reads: string[] = [];
    onText(child.stdout, (d) => {
      text += d;
      reads.push(d);
      if (reads.length === 1) child.stdin.write('\n');
    });
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code).toBe(0);
    expect(reads.length).toBe(2);
    expect(text).toBe('aĐ\n');
  });
});
