import { Writable } from 'node:stream';
import type { Job } from 'bullmq';
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMaintenanceProcessor } from '#jobs/maintenance.js';
import { JOB_RECONCILE, MAINTENANCE_QUEUE, type OrgJobData } from '#jobs/queues.js';
import { isTimeZone, isYearlyDue } from '#root/domain/org-settings.js';
import { UserError } from '#root/errors/index.js';
import { createRedis } from '#root/redis.js';
import { createOrganisation, ensureOrganisation, setOrganisation } from '#root/services/orgs.js';
import { buildMiniOrg } from '../helpers/builders.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { runCli } from '../helpers/run-cli.js';

/** A pino logger whose lines the test reads. */
function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n'))
        if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

async function until<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('an organisation’s zone and yearly due day', () => {
  it('accepts IANA zones and real MM-DD days only (02-29 included: 28/02 outside leap years)', () => {
    for (const z of ['Asia/Ho_Chi_Minh', 'UTC', 'Europe/Paris', 'America/New_York'])
      expect(isTimeZone(z), z).toBe(true);
    for (const z of ['Mars/Olympus', '', ' Asia/Ho_Chi_Minh', 'GMT+25', 'Asia/Hanoi City'])
      expect(isTimeZone(z), z).toBe(false);
    for (const d of ['11-15', '12-31', '01-01', '02-29', '04-30']) expect(isYearlyDue(d), d).toBe(true);
    for (const d of ['02-30', '04-31', '13-01', '00-10', '11-00', '11-5', '1115', ''])
      expect(isYearlyDue(d), d).toBe(false);
  });

  describe('in the database', () => {
    let t: TestDatabase;
    let env: Record<string, string>;
    beforeAll(async () => {
      t = await createTestDatabase();
      env = { DATABASE_URL: t.url, DEFAULT_ORG: 'hcm' };
    }, 60_000);
    afterAll(async () => t?.close());

    it('refuses a bad zone or due day, storing nothing', async () => {
      await expect(
        ensureOrganisation(t.prisma, { code: 'sao-hoa', name: 'Sao Hỏa', timeZone: 'Mars/Olympus' }),
      ).rejects.toThrow(/Múi giờ «Mars\/Olympus» không hợp lệ/);
      await expect(
        createOrganisation(t.prisma, { code: 'sao-hoa', name: 'Sao Hỏa', yearlyDue: '02-30' }),
      ).rejects.toThrow(/«02-30» không phải ngày có thật/);
      expect(await t.prisma.organisation.count({ where: { code: 'sao-hoa' } })).toBe(0);
    });

    it('on the command line: create refuses bad values and a different name for an existing code, set repairs an organisation (audited)', async () => {
      const badTz = await runCliInProcess(
        ['org', 'create', 'sao-hoa', '--name', 'Sao Hỏa', '--tz', 'Mars/Olympus'],
        env,
      );
      expect(badTz.code).toBe(1);
      expect(badTz.stderr).toMatch(/Múi giờ «Mars\/Olympus» không hợp lệ/);
      const badDue = await runCliInProcess(
        ['org', 'create', 'sao-hoa', '--name', 'Sao Hỏa', '--yearly-due', '02-30'],
        env,
      );
      expect(badDue.code).toBe(1);
      expect(badDue.stderr).toMatch(/Hạn hằng năm «02-30» không phải ngày có thật/);
      expect(await t.prisma.organisation.count({ where: { code: 'sao-hoa' } })).toBe(0);

      const created = await runCliInProcess(['org', 'create', 'dn', '--name', 'Sở TTTT Đà Nẵng'], env);
      expect(created.code).toBe(0);
      const same = await runCliInProcess(['org', 'create', 'dn', '--name', 'Sở TTTT Đà Nẵng'], env);
      expect(same.code).toBe(0);
      expect(same.stdout).toMatch(/đã có, không đổi gì/);
      // The real program's exit status, once.
      const renamed = await runCli(['org', 'create', 'dn', '--name', 'Tên khác'], env);
      expect(renamed.code).toBe(1);
      expect(renamed.stderr).toMatch(
        /^Lỗi: Tổ chức «dn» đã có, với tên «Sở TTTT Đà Nẵng»: không thay đổi gì\. Để sửa: dondoc org set dn /,
      );
      // One language per run: Vietnamese unless asked.
      expect(renamed.stderr).not.toContain('The organisation');
      expect((await t.prisma.organisation.findUniqueOrThrow({ where: { code: 'dn' } })).name).toBe('Sở TTTT Đà Nẵng');

      // An organisation stored before values were checked is repaired with `org set`.
      await t.prisma.organisation.create({
        data: { code: 'cu', name: 'Tổ chức cũ', timeZone: 'Mars/Olympus', yearlyDue: '02-30' },
      });
      const listed = await runCliInProcess(['org', 'list'], env);
      expect(listed.stdout).toMatch(/Mars\/Olympus \(KHÔNG HỢP LỆ\)/);
      expect(listed.stdout).toContain('dondoc org set <mã>');
      const stillBad = await runCliInProcess(['org', 'set', 'cu', '--tz', 'Mars/Olympus'], env);
      expect(stillBad.code).toBe(1);
      const fixed = await runCliInProcess(
        ['org', 'set', 'cu', '--tz', 'Asia/Ho_Chi_Minh', '--yearly-due', '11-15'],
        env,
      );
      expect(fixed.stderr).toBe('');
      expect(fixed.code).toBe(0);
      const org = await t.prisma.organisation.findUniqueOrThrow({ where: { code: 'cu' } });
      expect(org).toMatchObject({ timeZone: 'Asia/Ho_Chi_Minh', yearlyDue: '11-15' });
      const audit = await t.prisma.auditEvent.findFirstOrThrow({ where: { orgId: org.id, action: 'org.update' } });
      expect(audit.data).toEqual({
        before: { timeZone: 'Mars/Olympus', yearlyDue: '02-30' },
        after: { timeZone: 'Asia/Ho_Chi_Minh', yearlyDue: '11-15' },
      });
      expect((await runCliInProcess(['org', 'list'], env)).stdout).not.toContain('KHÔNG HỢP LỆ');
      await expect(
        setOrganisation(t.prisma, 'cu', {}, { actor: 'test', now: new Date('2026-12-11T01:00:00Z') }),
      ).rejects.toBeInstanceOf(UserError);
    }, 120_000);
  });

  describe('a bad organisation beside a good one', () => {
    let t: TestDatabase;
    let s: TestApp | undefined;
    beforeAll(async () => {
      t = await createTestDatabase();
    }, 60_000);
    afterAll(async () => {
      await s?.stop();
      await t?.close();
    });

    it('the scheduler starts, schedules the good one, logs the bad one by code; once repaired it is scheduled too', async () => {
      const now = new Date('2026-12-11T01:00:00Z');
      // Inserted straight into the database, as stored before zones were checked; "aaa" sorts first.
      await t.prisma.organisation.create({
        data: { code: 'aaa-bad', name: 'Sai múi giờ', timeZone: 'Mars/Olympus', yearlyDue: '02-30' },
      });
      await buildMiniOrg(t.prisma, { code: 'zzz-good', units: 1, duties: [{ code: 'A', due: '2026-12-31' }], now });
      const { logger, lines } = capturingLogger();
      s = await startTestApp(t, { start: now, roles: ['scheduler'], logger, env: { SCHEDULER_RESYNC_SECONDS: '1' } });

      const connection = createRedis(s.config.REDIS_URL);
      const queue = new Queue<OrgJobData>(MAINTENANCE_QUEUE, { connection, prefix: s.config.REDIS_PREFIX });
      try {
        const ids = async () => (await queue.getJobSchedulers()).map((j) => j.key).sort();
        expect(await ids()).toEqual(['plan-zzz-good', 'reconcile-zzz-good']);
        const logged = lines.find((l) => l.org === 'aaa-bad' && l.level === 50);
        expect(logged?.timeZone).toBe('Mars/Olympus');
        expect(logged?.err).toMatchObject({
          type: expect.any(String) as string,
          message: expect.any(String) as string,
          stack: expect.any(String) as string,
        });

        await setOrganisation(
          t.prisma,
          'aaa-bad',
          { timeZone: 'Asia/Ho_Chi_Minh', yearlyDue: '11-15' },
          { actor: 'test', now },
        );
        await until('the repaired organisation scheduled', async () => (await ids()).includes('reconcile-aaa-bad'));
      } finally {
        await queue.close();
        await connection.quit();
      }
    }, 60_000);

    it('the maintenance job of a bad organisation fails alone, logged with its code', async () => {
      const now = new Date('2026-12-11T01:00:00Z');
      await t.prisma.organisation.create({ data: { code: 'bbb-bad', name: 'Sai múi giờ', timeZone: 'Mars/Olympus' } });
      const bad = await t.prisma.organisation.findUniqueOrThrow({ where: { code: 'bbb-bad' } });
      const good = await t.prisma.organisation.findUniqueOrThrow({ where: { code: 'zzz-good' } });
      const { logger, lines } = capturingLogger();
      const processor = createMaintenanceProcessor(
        { db: t.prisma, clock: { now: () => now }, logger },
        { reclaimStale: async () => 0 },
        null as never,
        0,
      );
      const job = (orgId: string) => ({ id: `r-${orgId}`, name: JOB_RECONCILE, data: { orgId } }) as Job<OrgJobData>;
      await expect(processor(job(bad.id))).rejects.toThrow(RangeError);
      expect(lines.find((l) => l.org === 'bbb-bad' && l.level === 50)?.err).toMatchObject({ type: 'RangeError' });
      await expect(processor(job(good.id))).resolves.toHaveLength(2);
    });
  });
});
