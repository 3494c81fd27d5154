import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrgData } from '#root/services/delivery/context.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

/** A pino logger whose lines the test reads. */
function capturingLogger() {
  const lines: { msg: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line) as { msg: string });
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe('an organisation’s policy and calendar as the workers keep them', () => {
  let t: TestDatabase;
  let orgId: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    orgId = (await t.prisma.organisation.create({ data: { code: 'refresh', name: 'Tổ chức thử' } })).id;
  }, 60_000);
  afterAll(async () => t?.close());

  /** Makes every read of the reminder policies fail, as a database that is away would, until undone. */
  const breakPolicies = () => t.pool.query('ALTER TABLE reminder_policies RENAME TO reminder_policies_away');
  const mendPolicies = () => t.pool.query('ALTER TABLE reminder_policies_away RENAME TO reminder_policies');
  const setWindowEnd = (windowEnd: string) =>
    t.prisma.reminderPolicy.upsert({
      where: { orgId_target: { orgId, target: 'org' } },
      update: { settings: { windowEnd } },
      create: { orgId, target: 'org', settings: { windowEnd } },
    });

  it('reads an edit once the refresh period has passed, not before', async () => {
    let now = 0;
    const org = createOrgData(t.prisma, 10_000, { now: () => now });
    await setWindowEnd('16:00');
    expect((await org.policy(orgId)).windowEnd).toBe('16:00');
    await setWindowEnd('16:30');
    now += 9_999;
    expect((await org.policy(orgId)).windowEnd).toBe('16:00');
    now += 1;
    expect((await org.policy(orgId)).windowEnd).toBe('16:30');
  });

  describe('when a refresh fails (the database is away)', () => {
    it('keeps sending with the last policy read, says so once per period, and reads again after it', async () => {
      const { logger, lines } = capturingLogger();
      let now = 0;
      const org = createOrgData(t.prisma, 10_000, { logger, now: () => now });
      await setWindowEnd('17:00');
      expect((await org.policy(orgId)).windowEnd).toBe('17:00');
      await breakPolicies();
      try {
        now += 10_000;
        // Before, every bundle sharing this read failed and went back to the queue.
        expect((await org.policy(orgId)).windowEnd).toBe('17:00');
        expect((await org.policy(orgId)).windowEnd).toBe('17:00');
        expect(lines.filter((l) => l.msg.includes('not refreshed'))).toHaveLength(1);
      } finally {
        await mendPolicies();
      }
      await setWindowEnd('17:30');
      now += 10_000;
      expect((await org.policy(orgId)).windowEnd).toBe('17:30');
    });

    it('fails a first read, and reads again at the next call', async () => {
      const org = createOrgData(t.prisma, 10_000, { now: () => 0 });
      await breakPolicies();
      try {
        await expect(org.policy(orgId)).rejects.toThrow();
      } finally {
        await mendPolicies();
      }
      await setWindowEnd('15:00');
      expect((await org.policy(orgId)).windowEnd).toBe('15:00');
    });
  });
});
