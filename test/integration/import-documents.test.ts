import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { samplePlanPath } from '#root/services/demo.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { runCliInProcess } from '../helpers/run-cli.js';

// `dondoc import <file> --org <code> --dry-run --json` on Word and PDF plans (issue 13): the same
// JSON as a text import, each duty's source cells; a file that cannot be read: a Vietnamese message,
// a non-zero exit, nothing written.

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/import/${name}`, import.meta.url));

interface ImportJson {
  plan: { code: string | null; issuer: string | null; issuedOn: string | null };
  duties: {
    code: string;
    leads: string[];
    cooperating: string[];
    timeframe: string;
    schedule: unknown;
    source: string[];
  }[];
  flags: string[];
}

describe('dondoc import of Word and PDF plans', () => {
  let t: TestDatabase;
  let env: Record<string, string>;
  beforeAll(async () => {
    t = await createTestDatabase();
    env = { DATABASE_URL: t.url };
    const r = await runCliInProcess(['org', 'create', 'hcm', '--name', 'Sở TTTT TP.HCM'], env);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(() => t.close());

  const counts = async () => ({
    plans: await t.prisma.plan.count(),
    duties: await t.prisma.duty.count(),
    units: await t.prisma.unit.count(),
  });

  it.each(['kh-3131-hcm.docx', 'kh-3131-hcm.doc', 'kh-3131-hcm.pdf'])(
    'reviews %s as JSON with --dry-run like its text, and writes nothing',
    async (name) => {
      const before = await counts();
      const text = await runCliInProcess(
        ['import', samplePlanPath('kh-3131-hcm.txt'), '--org', 'hcm', '--dry-run', '--json'],
        env,
      );
      const r = await runCliInProcess(['import', fixture(name), '--org', 'hcm', '--dry-run', '--json'], env);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout) as ImportJson;
      const want = JSON.parse(text.stdout) as ImportJson;
      expect(out.plan).toEqual(want.plan);
      // 27 appendix duties and the two report duties ('BC-…').
      expect(out.duties.filter((d) => !d.code.startsWith('BC-'))).toHaveLength(27);
      expect(out.duties).toHaveLength(29);
      const key = (d: ImportJson['duties'][number]) => [
        d.code,
        d.leads,
        d.cooperating,
        d.timeframe,
        d.schedule,
        d.source.map((c) => c.replace(/\s+/g, ' ')),
      ];
      expect(out.duties.map(key)).toEqual(want.duties.map(key));
      expect(await counts()).toEqual(before);
    },
  );

  it.each([
    ['scanned.pdf', /^Lỗi: Tệp PDF là ảnh quét, không có lớp chữ/u],
    ['password.pdf', /^Lỗi: Tệp PDF được đặt mật khẩu/u],
    ['corrupt.docx', /^Lỗi: Tệp Word \(\.docx\) bị hỏng/u],
    ['corrupt.doc', /^Lỗi: Tệp Word \(\.doc\) bị hỏng/u],
  ])('refuses %s with a Vietnamese message and writes nothing', async (name, message) => {
    const before = await counts();
    const r = await runCliInProcess(['import', fixture(name), '--org', 'hcm'], env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(await counts()).toEqual(before);
  });
});
