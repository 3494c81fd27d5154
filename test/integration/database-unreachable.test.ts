import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, createPrisma, withDatabase } from '#root/db/client.js';
import { isDatabaseUnreachable } from '#root/lib/outage.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

/** The error `run` rejects with (the test fails if it resolves). */
async function failure(run: () => Promise<unknown>): Promise<Error> {
  try {
    await run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

// While PostgreSQL is away, jobs fail by the hundred: the workers fold those failures into one
// line every 30 s, and must tell them from a job's own failure, which is logged each time. The
// errors here are real ones, from Prisma over our pool, as the workers see them.
describe('telling PostgreSQL being away from a failing job', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t.close();
  });

  it('recognises a connection closed by the server mid-session (a restart or an administrator)', async () => {
    const pool = createPool({ url: t.url, poolMax: 1, onIdleError: () => {} });
    const db = createPrisma(pool);
    try {
      // Inside a transaction the connection is held, so it cannot be swapped for a fresh one; the
      // server ends the backend asynchronously, so wait until it is gone (however busy the
      // machine) before the next statement: it then meets a closed connection, every time.
      const error = await failure(() =>
        db.$transaction(
          async (tx) => {
            const [{ pid }] = await tx.$queryRaw<[{ pid: number }]>`SELECT pg_backend_pid() AS pid`;
            await t.pool.query('SELECT pg_terminate_backend($1)', [pid]);
            const until = Date.now() + 30_000;
            while ((await t.pool.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount !== 0) {
              if (Date.now() > until) throw new Error(`backend ${pid} still alive 30 s after pg_terminate_backend`);
              await new Promise((r) => setTimeout(r, 20));
            }
            return tx.organisation.updateMany({ where: { code: 'none' }, data: { name: 'none' } });
          },
          { timeout: 60_000, maxWait: 60_000 },
        ),
      );
      expect(isDatabaseUnreachable(error), `${error.message} (${String((error as { code?: unknown }).code)})`).toBe(
        true,
      );
    } finally {
      await db.$disconnect();
      await pool.end();
    }
  });

  it('recognises a server that does not answer at all', async () => {
    const pool = createPool({
      url: withDatabase(t.url.replace(/:\d+\//, ':1/'), 'postgres'),
      poolMax: 1,
      connectTimeoutMs: 1_000,
    });
    const db = createPrisma(pool);
    try {
      const error = await failure(() => db.organisation.count());
      expect(isDatabaseUnreachable(error), error.message).toBe(true);
    } finally {
      await db.$disconnect();
      await pool.end();
    }
  });

  it('recognises the messages of Prisma and the driver, with or without their codes', () => {
    const coded = (message: string, code: string) => Object.assign(new Error(message), { code });
    // What a worker logged in CI while PostgreSQL was stopped (Prisma's P1017, its code lost on the way).
    expect(
      isDatabaseUnreachable(
        new Error(
          '\nInvalid `tx.reminder.updateMany()` invocation in\n/src/services/delivery.ts:463:29\n\nServer has closed the connection.',
        ),
      ),
    ).toBe(true);
    expect(isDatabaseUnreachable(coded('terminating connection due to administrator command', '57P01'))).toBe(true);
    expect(isDatabaseUnreachable(coded('the database system is starting up', '57P03'))).toBe(true);
    expect(isDatabaseUnreachable(coded('x', 'P1001'))).toBe(true);
    // pg's own answer on a held connection the server already closed.
    expect(isDatabaseUnreachable(new Error('Client has encountered a connection error and is not queryable'))).toBe(
      true,
    );
    expect(isDatabaseUnreachable(new Error('connect ECONNREFUSED 127.0.0.1:5432'))).toBe(true);
    expect(isDatabaseUnreachable(new Error('Connection terminated unexpectedly'))).toBe(true);
  });

  it('does not take a job’s own failure for an outage: a constraint, bad SQL, a bug', async () => {
    const duplicate = await failure(async () => {
      const org = await t.prisma.organisation.create({ data: { name: 'Sở A', code: 'so-a-outage' } });
      await t.prisma.organisation.create({ data: { name: 'Sở B', code: org.code } });
    });
    expect(isDatabaseUnreachable(duplicate), duplicate.message).toBe(false);
    const syntax = await failure(() => t.prisma.$queryRawUnsafe('SELEC 1'));
    expect(isDatabaseUnreachable(syntax), syntax.message).toBe(false);
    expect(isDatabaseUnreachable(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(false);
  });
});
