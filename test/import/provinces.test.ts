import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { splitUnitCell } from '#root/domain/units.js';
import { parsePlanFile } from '#root/import/spreadsheet.js';

// Plans of provinces and layouts the first corpus has not (test/fixtures/import/provinces, made by
// make-provinces.py with LibreOffice): each as pasted from its web page, as copied from Word (tabs,
// a cell's lines kept), and as .docx, .doc and .pdf; the last one's table also as CSV and XLSX with
// a two-row header. Every field a careful reader reads is compared, in every form.

const options = { defaultDue: '11-15' } as const;
const DIR = new URL('../fixtures/import/provinces/', import.meta.url);

interface Expected {
  number: string;
  issuer: string;
  issuedOn: string;
  title: string;
  reports: number;
  /** The units of each report duty the body states, in order. */
  reportLeads: string[][];
  indicators: number;
  duties: {
    code: string;
    title: string;
    leads: string[];
    cooperating: string[];
    timeframe: string;
    schedule: Record<string, unknown> | string | null;
  }[];
}
const expected = JSON.parse(readFileSync(new URL('expected.json', DIR), 'utf8')) as Record<string, Expected>;
const files = readdirSync(DIR).filter((f) => f.startsWith('kh-'));
const planOf = (file: string) => file.replace(/(-web|-word)?\.[a-z]+$/u, '');

describe('plans of other provinces, in every form they are published or pasted', () => {
  it('has each plan in five forms', () => {
    for (const plan of Object.keys(expected))
      expect(files.filter((f) => planOf(f) === plan).length, plan).toBeGreaterThanOrEqual(5);
  });

  it.each(files)('%s: the plan header, every duty, its report duties and indicators', async (file) => {
    const want = expected[planOf(file)]!;
    const draft = await parsePlanFile(file, readFileSync(new URL(file, DIR)), options);
    const sheet = /\.(csv|xlsx)$/u.test(file);
    // A CSV or a sheet holds the appendix only: no header, no body, and the flag that says so.
    if (sheet) expect(draft.plan.code).toBeNull();
    else
      expect(draft.plan).toMatchObject({
        code: want.number,
        issuer: want.issuer,
        issuedOn: want.issuedOn,
        title: want.title,
      });
    const appendix = draft.duties.filter((d) => d.origin === 'appendix');
    expect(
      appendix.map((d) => ({
        code: d.code,
        title: d.title.replace(/\s+/g, ' '),
        leads: d.leads,
        cooperating: d.cooperating,
        timeframe: d.timeframe,
      })),
    ).toEqual(want.duties.map(({ schedule: _, ...d }) => d));
    want.duties.forEach((w, i) => {
      const got = appendix[i]!.schedule;
      if (w.schedule === null) expect(got.kind, w.code).toBe('ongoing');
      else if (w.schedule === 'half-yearly') expect(got, w.code).toMatchObject({ kind: 'every', months: 6 });
      else if (w.schedule === 'range') expect(got, w.code).toMatchObject({ kind: 'yearly', from: 2025, to: 2030 });
      else expect(got, w.code).toMatchObject(w.schedule as Record<string, unknown>);
      // Nothing misread in silence: a duty's only flags are new units proposed.
      expect(
        appendix[i]!.flags.filter((f) => !/chưa có trong danh mục|vượt quá năm kết thúc/u.test(f)),
        w.code,
      ).toEqual([]);
    });
    if (!sheet) {
      expect(draft.duties.filter((d) => d.origin === 'report').map((d) => d.leads)).toEqual(want.reportLeads);
      expect(draft.indicators ?? []).toHaveLength(want.indicators);
    }
    if (want.duties.length === 0) expect(draft.flags.some((f) => /Không tìm thấy bảng nhiệm vụ/u.test(f))).toBe(true);
    else expect(draft.flags.filter((f) => !/số hiệu kế hoạch/u.test(f))).toEqual([]);
  });

  it('reads the Cần Thơ indicators with their unit and year', async () => {
    for (const file of ['kh-can-tho.docx', 'kh-can-tho-web.txt', 'kh-can-tho.pdf']) {
      const draft = await parsePlanFile(file, readFileSync(new URL(file, DIR)), options);
      expect(
        draft.indicators?.map((i) => [i.code, i.title, i.unit, i.targets]),
        file,
      ).toEqual([
        ['1', 'Tỷ lệ hồ sơ thủ tục hành chính được xử lý trực tuyến', '%', { 2025: 80 }],
        ['2', 'Số doanh nghiệp nhỏ và vừa sử dụng nền tảng số', 'Doanh nghiệp', { 2025: 1500 }],
      ]);
    }
  });

  it('splits a cell naming several units by commas, semicolons, "và" and line breaks, not inside a name', () => {
    expect(splitUnitCell('Sở Khoa học và Công nghệ, Sở Xây dựng')).toEqual(['Sở Khoa học và Công nghệ', 'Sở Xây dựng']);
    expect(splitUnitCell('Sở Khoa học và Công nghệ; Công an Thành phố')).toEqual([
      'Sở Khoa học và Công nghệ',
      'Công an Thành phố',
    ]);
    expect(splitUnitCell('Sở Quy hoạch - Kiến trúc và Sở Nông nghiệp và Môi trường')).toEqual([
      'Sở Quy hoạch - Kiến trúc',
      'Sở Nông nghiệp và Môi trường',
    ]);
    expect(splitUnitCell('Sở Tư pháp và UBND các huyện')).toEqual(['Sở Tư pháp', 'UBND các huyện']);
    expect(splitUnitCell('Văn phòng HĐND và UBND huyện')).toEqual(['Văn phòng HĐND và UBND huyện']);
    expect(splitUnitCell('Sở Văn hóa, Thể thao và Du lịch')).toEqual(['Sở Văn hóa, Thể thao và Du lịch']);
    expect(splitUnitCell('Trung tâm Thông tin và Báo chí')).toEqual(['Trung tâm Thông tin và Báo chí']);
    // A PDF cell wrapped after its head word: one office, not "Văn phòng" and "UBND thành phố".
    expect(splitUnitCell('Văn phòng\nUBND thành phố')).toEqual(['Văn phòng UBND thành phố']);
    expect(splitUnitCell('- Sở Nội vụ\n- Sở Tài chính')).toEqual(['Sở Nội vụ', 'Sở Tài chính']);
  });
});
