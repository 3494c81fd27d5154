import { describe, expect, it } from 'vitest';
import { fold } from '#root/domain/text.js';

describe('folding text for matching', () => {
  it('drops case, diacritics and đ', () => {
    expect(fold('Sở Thông tin và Truyền thông')).toBe('so thong tin va truyen thong');
    expect(fold('ĐỊNH KỲ  hằng năm')).toBe('dinh ky hang nam');
  });
});
