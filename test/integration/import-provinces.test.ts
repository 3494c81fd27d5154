import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { runCliInProcess } from '../helpers/run-cli.js';

// The held-out contract, `dondoc import <file> --org <code> --dry-run --json`, on plans of other
// provinces (test/fixtures/import/provinces) in each form: the plan, every duty with its fields and
// source cells, the report duties, the indicators; nothing written.

const DIR = new URL('../fixtures/import/provinces/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('expected.json', DIR), 'utf8')) as Record<
  string,
  {
    number: string;
    issuer: string;
    issuedOn: string;
    title: string;
    reports: number;
    duties: { code: string; leads: string[]; cooperating: string[]; timeframe: string }[];
  }
>;

interface ImportJson {
  plan: { code: string | null; title: string | null; issuer: string | null; issuedOn: string | null };
  duties: {
    code: string;
    leads: string[];
    cooperating: string[];
    timeframe: string;
    schedule: { kind: string } | null;
    flags: string[];
    source: string[];
  }[];
  flags: string[];
  newUnits: { name: string }[];
  indicators: unknown[];
}

describe('dondoc import --dry-run --json on plans of other provinces', () => {
  let t: TestDatabase;
  let env: Record<string, string>;
  beforeAll(async () => {
    t = await createTestDatabase();
    env = { DATABASE_URL: t.url };
    const r = await runCliInProcess(['org', 'create', 'kh', '--name', 'Thử'], env);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(() => t.close());

  it.each([
    ['kh-quang-ninh-web.txt', 'kh-quang-ninh'],
    ['kh-ha-noi-word.txt', 'kh-ha-noi'],
    ['kh-nghe-an.docx', 'kh-nghe-an'],
    ['kh-can-tho.doc', 'kh-can-tho'],
    ['kh-dak-lak.pdf', 'kh-dak-lak'],
    ['kh-lam-dong.pdf', 'kh-lam-dong'],
  ])('%s', async (file, plan) => {
    const want = expected[plan]!;
    const before = await t.prisma.duty.count();
    const r = await runCliInProcess(
      ['import', fileURLToPath(new URL(file, DIR)), '--org', 'kh', '--dry-run', '--json'],
      env,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as ImportJson;
    expect(out.plan).toMatchObject({
      code: want.number,
      title: want.title,
      issuer: want.issuer,
      issuedOn: want.issuedOn,
    });
    const appendix = out.duties.filter((d) => !d.code.startsWith('BC-'));
    expect(appendix.map((d) => [d.code, d.leads, d.cooperating, d.timeframe])).toEqual(
      want.duties.map((d) => [d.code, d.leads, d.cooperating, d.timeframe]),
    );
    for (const d of appendix) {
      expect(d.schedule?.kind).not.toBe('unparsed');
      // The source cells hold what the duty was read from.
      expect(d.source.join(' ').replace(/\s+/g, ' ')).toContain(d.timeframe);
    }
    expect(out.duties.filter((d) => d.code.startsWith('BC-'))).toHaveLength(want.reports);
    // Units proposed are whole names, never a fragment of one broken over lines.
    for (const u of out.newUnits) expect(u.name).toMatch(/^\p{Lu}\S*\s+\S/u);
    if (want.duties.length === 0) expect(out.flags.join('\n')).toMatch(/Không tìm thấy bảng nhiệm vụ/u);
    expect(await t.prisma.duty.count()).toBe(before);
  });
});
