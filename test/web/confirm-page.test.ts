import { describe, expect, it } from 'vitest';
import type { Lang } from '#root/domain/wording.js';
import {
  confirmedPage,
  confirmForm,
  indicatorForm,
  indicatorsSavedPage,
  linkErrorPage,
  type ObligationSummary,
} from '#root/web/confirm-page.js';

/**
 * Issue 14, "Languages": the pages behind an email's confirmation link are in the language of the
 * contact it was sent to, not Vietnamese with English below. Names and titles are the organisation's
 * (Vietnamese), so they are left out before looking for words of the other language.
 */
const o: ObligationSummary = {
  unit: 'Sở Y tế',
  dutyCode: '4.2',
  dutyTitle: 'Báo cáo chuyển đổi số',
  planCode: '3131/KH-UBND',
  due: '13/11/2026',
  contact: 'Nguyễn Văn An',
};
const indicator = {
  id: 'i1',
  ref: '1',
  title: 'Tỷ lệ hồ sơ trực tuyến',
  rate: true,
  target: '80%',
  reported: '45/50',
};

const pages = (lang: Lang) => [
  confirmForm(o, '/c/x', lang),
  confirmedPage(o, false, [], lang),
  confirmedPage(o, true, [], lang),
  indicatorForm(2026, [indicator], '/c/x/chi-tieu', ['1. ?'], lang),
  indicatorsSavedPage(o, ['1. Tỷ lệ hồ sơ trực tuyến: 45/50'], lang),
];

/** What is left of a page once the organisation's names and titles are taken out. */
const ours = (page: string) =>
  [o.unit, o.dutyTitle, o.contact, indicator.title, 'Tỷ lệ hồ sơ trực tuyến']
    .reduce((text, name) => text.replaceAll(name, ''), page)
    .replace(/<[^>]*>/g, ' ');

describe('the email link’s pages', () => {
  it('speak Vietnamese to a Vietnamese contact, with no English', () => {
    for (const page of pages('vi')) {
      if (page.startsWith('<!doctype')) expect(page).toContain('<html lang="vi">');
      expect(ours(page)).not.toMatch(/\b(the|confirm|duty|plan|due|note|values?|recorded|target|reported)\b/i);
      expect(page).not.toMatch(/\S \/ [A-Za-z]/);
    }
    expect(pages('vi')[0]).toContain('Xác nhận hoàn thành');
    expect(pages('vi')[1]).toContain('Đã ghi nhận hoàn thành');
  });

  it('speak English to an English contact, with no Vietnamese of ours', () => {
    for (const page of pages('en')) {
      if (page.startsWith('<!doctype')) expect(page).toContain('<html lang="en">');
      expect(ours(page)).not.toMatch(/[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]/i);
      expect(page).not.toMatch(/\S \/ [A-Za-z]/);
    }
    expect(pages('en')[0]).toContain('<h1>Confirm completion</h1>');
    expect(pages('en')[0]).toContain('Confirming as: Nguyễn Văn An');
    expect(pages('en')[1]).toContain('✅ Completion recorded');
    expect(pages('en')[2]).toContain('This duty was already confirmed');
    expect(pages('en')[3]).toContain('The unit’s indicators for 2026');
    expect(pages('en')[3]).toContain('(target 80%)');
    expect(pages('en')[4]).toContain('✅ Indicator values recorded');
  });

  it('still answers a link it cannot read in both languages, since no contact is known', () => {
    const page = linkErrorPage('expired');
    expect(page).toContain('Liên kết đã hết hạn');
    expect(page).toContain('This link has expired.');
  });
});
