import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '#root/cli/commands.js';
import { createCliContext } from '#root/cli/context.js';
import { buildMiniOrg } from '../helpers/builders.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

/**
 * The read commands' default year is this year where the organisation is: from 17:00 UTC on 31/12
 * it is already the next year in Hanoi (the year of UTC used to be taken).
 */
describe('the command line: the default year', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
    await buildMiniOrg(t.prisma, { code: 'nam', units: 1, duties: [], now: new Date('2026-11-09T01:00:00Z') });
  }, 60_000);
  afterAll(async () => t?.close());

  /** `obligations --json` at `now`, in this process, with the clock given. */
  async function obligationsYearAt(now: string, extra: string[] = []): Promise<number> {
    const ctx = createCliContext({ DATABASE_URL: t.url, DEFAULT_ORG: 'nam', LOG_LEVEL: 'silent' });
    let printed = '';
    try {
      const program = buildProgram({ ...ctx, now: () => new Date(now) }, (text) => (printed += text));
      await program.parseAsync(['obligations', '--json', ...extra], { from: 'user' });
    } finally {
      await ctx.close();
    }
    return (JSON.parse(printed) as { year: number }).year;
  }

  it('is the year in the organisation’s zone, on either side of midnight there', async () => {
    // 31/12/2026 16:59 UTC is 23:59 in Hanoi; 17:00 UTC is 00:00 on 1/1/2027 there.
    expect(await obligationsYearAt('2026-12-31T16:59:00Z')).toBe(2026);
    expect(await obligationsYearAt('2026-12-31T17:00:00Z')).toBe(2027);
    expect(await obligationsYearAt('2026-12-31T23:00:00Z')).toBe(2027);
  });

  it('is the year asked for when --year is given', async () => {
    expect(await obligationsYearAt('2026-12-31T23:00:00Z', ['--year', '2025'])).toBe(2025);
  });
});
