import { describe, expect, it } from 'vitest';
import { classifyName, matchName, normalizeUnitName, splitUnitCell } from '#root/domain/units.js';

describe('splitting a cell into unit names', () => {
  it.each([
    [
      '- Các sở, ban, ngành - Ủy ban nhân dân quận, huyện, thành phố Thủ Đức - Các đơn vị có liên quan',
      ['Các sở, ban, ngành', 'Ủy ban nhân dân quận, huyện, thành phố Thủ Đức', 'Các đơn vị có liên quan'],
    ],
    [
      '- Sở Thông tin và Truyền thông - Chi hội an toàn thông tin phía nam',
      ['Sở Thông tin và Truyền thông', 'Chi hội an toàn thông tin phía nam'],
    ],
    ['Sở Lao động - Thương binh và Xã hội', ['Sở Lao động - Thương binh và Xã hội']],
    ['- Sở Quy hoạch - Kiến trúc - Sở Tư pháp', ['Sở Quy hoạch - Kiến trúc', 'Sở Tư pháp']],
    ['Các cơ quan, đơn vị liên quan.', ['Các cơ quan, đơn vị liên quan']],
    ['Công an Thành phố, Bộ Tư lệnh Thành phố', ['Công an Thành phố', 'Bộ Tư lệnh Thành phố']],
    // A name wrapped inside its cell is one name: a new one starts only where a new name starts.
    ['Sở Thông tin và\nTruyền thông', ['Sở Thông tin và Truyền thông']],
    ['Các sở, ban,\nngành', ['Các sở, ban, ngành']],
    ['Ủy ban nhân dân các\nhuyện, thị xã, thành phố', ['Ủy ban nhân dân các huyện, thị xã, thành phố']],
    ['Ủy ban nhân dân\nHuyện Củ Chi', ['Ủy ban nhân dân Huyện Củ Chi']],
    ['Sở Lao động -\nThương binh và Xã hội\nSở Y tế', ['Sở Lao động - Thương binh và Xã hội', 'Sở Y tế']],
    ['Sở Tài chính,\nSở Nội vụ', ['Sở Tài chính', 'Sở Nội vụ']],
    ['Sở Tài chính\nSở Nội vụ; Sở Y tế', ['Sở Tài chính', 'Sở Nội vụ', 'Sở Y tế']],
    ['+ Sở Tài chính + Sở Nội vụ', ['Sở Tài chính', 'Sở Nội vụ']],
    ['Công ty TNHH MTV Vàng bạc đá quý Sài Gòn - SJC', ['Công ty TNHH MTV Vàng bạc đá quý Sài Gòn - SJC']],
    ['  ', []],
    ['- Sở Y tế - Sở Y tế', ['Sở Y tế']],
  ])('%s', (cell, names) => {
    expect(splitUnitCell(cell)).toEqual(names);
  });

  it('treats decomposed (NFD) text like composed text', () => {
    expect(splitUnitCell('- Sở Tài chính - Ủy ban nhân dân Quận 3'.normalize('NFD'))).toEqual([
      'Sở Tài chính',
      'Ủy ban nhân dân Quận 3',
    ]);
  });
});

describe('normalising unit names', () => {
  it.each([
    ['Sở Thông tin và Truyền thông', 'Sở TTTT'],
    ['Sở Thông tin và Truyền thông', 'Sở TT&TT'],
    ['Sở Thông tin và Truyền thông', 'SỞ THÔNG TIN VÀ TRUYỀN THÔNG'],
    ['Sở Thông tin và Truyền thông', 'So Thong tin va Truyen thong'],
    ['Ủy ban nhân dân Quận 3', 'UBND Quận 3'],
    ['Ủy ban nhân dân Quận 3', 'UBND Q.3'],
    ['Ủy ban nhân dân Quận 3', 'UBND Q3'],
    ['Ủy ban nhân dân huyện Củ Chi', 'UBND H. Củ Chi'],
    ['Công an Thành phố', 'CA TP'],
    ['Công an Thành phố', 'CATP'],
    ['Bộ Tư lệnh Thành phố', 'BTL TP'],
    ['Bộ Chỉ huy Quân sự tỉnh', 'BCHQS tỉnh'],
    ['Sở Lao động - Thương binh và Xã hội', 'Sở LĐ-TB&XH'],
    ['Văn phòng Ủy ban nhân dân Thành phố', 'VP UBND TP'],
    ['Sở Kế hoạch và Đầu tư', 'Sở KH&ĐT'],
    ['Quận 3', 'Q.3'],
    ['Quận 3', 'Q3'],
    ['Quận Bình Thạnh', 'Q. Bình Thạnh'],
    ['Phường 12', 'P.12'],
    ['Phường Bến Nghé', 'P. Bến Nghé'],
    ['Huyện Củ Chi', 'H. Củ Chi'],
    ['Thành phố Thủ Đức', 'TP. Thủ Đức'],
    ['Ủy ban nhân dân Thành phố Thủ Đức', 'UBND TP.Thủ Đức'],
  ])('%s = %s', (a, b) => {
    expect(normalizeUnitName(b)).toBe(normalizeUnitName(a));
  });

  it('keeps different districts apart', () => {
    expect(normalizeUnitName('UBND Quận 3')).not.toBe(normalizeUnitName('UBND Quận 5'));
    expect(normalizeUnitName('Ủy ban nhân dân Quận 1')).not.toBe(normalizeUnitName('Ủy ban nhân dân Quận 11'));
  });

  it('does not read "ca" inside a name as Công an', () => {
    expect(normalizeUnitName('Cảng vụ đường thủy nội địa')).toBe('cang vu duong thuy noi dia');
  });
});

describe('classifying names', () => {
  it.each([
    ['Các sở, ban, ngành', 'group'],
    ['Ủy ban nhân dân quận, huyện, thành phố Thủ Đức', 'group'],
    ['Các cơ quan, đơn vị liên quan', 'group'],
    ['Sở Thông tin và Truyền thông', 'unit'],
    ['Ban quản lý các khu chế xuất và công nghiệp', 'unit'],
    ['Sở Lao động - Thương binh và Xã hội', 'unit'],
  ] as const)('%s is a %s', (name, kind) => {
    expect(classifyName(name)).toBe(kind);
  });
});

describe('matching names against units and groups', () => {
  const entry = (id: string, kind: 'unit' | 'group', ...names: string[]) => ({
    id,
    kind,
    keys: names.map(normalizeUnitName),
  });
  const directory = [
    entry('tttt', 'unit', 'Sở Thông tin và Truyền thông', 'Sở TT&TT'),
    entry('q3', 'unit', 'Ủy ban nhân dân Quận 3'),
    entry('q5', 'unit', 'Ủy ban nhân dân Quận 5'),
    entry('sbn', 'group', 'Các sở, ban, ngành'),
    entry('ca', 'unit', 'Công an Thành phố'),
  ];

  it('finds a unit whatever the spelling', () => {
    expect(matchName('SỞ TTTT', directory)).toEqual({ id: 'tttt', kind: 'unit' });
    expect(matchName('UBND Q.3', directory)).toEqual({ id: 'q3', kind: 'unit' });
    expect(matchName('Cac so ban nganh', directory)).toEqual({ id: 'sbn', kind: 'group' });
    expect(matchName('Thành phố Công an', directory)).toEqual({ id: 'ca', kind: 'unit' });
  });

  it('takes a district named alone, abbreviated or not, for its People’s Committee', () => {
    for (const name of ['Q.3', 'Q3', 'q. 3', 'Quận 3', 'quan 3'])
      expect(matchName(name, directory), name).toEqual({ id: 'q3', kind: 'unit' });
    expect(matchName('H. Củ Chi', [...directory, entry('cc', 'unit', 'UBND huyện Củ Chi')])).toEqual({
      id: 'cc',
      kind: 'unit',
    });
    expect(matchName('P.12', [...directory, entry('p12', 'unit', 'Ủy ban nhân dân Phường 12')])).toEqual({
      id: 'p12',
      kind: 'unit',
    });
    // A unit that is the district itself wins over its committee; numbers still must agree.
    expect(matchName('Q.3', [...directory, entry('q3self', 'unit', 'Quận 3')])).toEqual({ id: 'q3self', kind: 'unit' });
    expect(matchName('Q.7', directory)).toBeNull();
    expect(matchName('Q.33', directory)).toBeNull();
  });

  it('never takes one district for another and returns null for strangers', () => {
    expect(matchName('UBND Quận 7', directory)).toBeNull();
    expect(matchName('Sở Y tế', directory)).toBeNull();
    expect(matchName('', directory)).toBeNull();
  });

  it('returns null when two different entries answer', () => {
    expect(matchName('Sở Y tế', [entry('a', 'unit', 'Sở Y tế'), entry('b', 'unit', 'Y tế Sở')])).toEqual({
      id: 'a',
      kind: 'unit',
    });
    expect(matchName('Sở Y tế', [entry('a', 'unit', 'Sở Y tế'), entry('b', 'unit', 'Sở Y tế')])).toBeNull();
  });
});
