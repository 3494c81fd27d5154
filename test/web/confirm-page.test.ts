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

  it('answers a link it cannot use in one language, with a link to the other', () => {
    const problems = ['malformed', 'forged', 'expired', 'gone', 'not-allowed'] as const;
    /** The page without its link to the other language (named in that language, «English», «Tiếng Việt»). */
    const withoutSwitch = (page: string) => page.replace(/<p class="lang">[\s\S]*?<\/p>/, '');
    for (const reason of problems) {
      const vi = linkErrorPage(reason, { lang: 'vi', unit: o.unit, otherLanguage: '/c/abc.def?lang=en' });
      expect(vi, reason).toContain('<html lang="vi">');
      expect(vi, reason).toContain(
        '<p class="lang"><a href="/c/abc.def?lang=en" hreflang="en" lang="en">English</a></p>',
      );
      expect(ours(withoutSwitch(vi)), reason).not.toMatch(
        /\b(the|this|link|is|not|valid|expired|duty|nothing|changed|use|only|can|confirm)\b/i,
      );
      const en = linkErrorPage(reason, { lang: 'en', unit: o.unit, otherLanguage: '/c/abc.def?lang=vi' });
      expect(en, reason).toContain('<html lang="en">');
      expect(en, reason).toContain(
        '<p class="lang"><a href="/c/abc.def?lang=vi" hreflang="vi" lang="vi">Tiếng Việt</a></p>',
      );
      expect(ours(withoutSwitch(en)), reason).not.toMatch(
        /[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]/i,
      );
      for (const page of [vi, en]) expect(page, reason).not.toMatch(/\S \/ [A-Za-z]/);
    }
    expect(linkErrorPage('expired', { lang: 'vi' })).toContain('<h1>Liên kết đã hết hạn</h1>');
    expect(linkErrorPage('expired', { lang: 'en' })).toContain('<h1>This link has expired</h1>');
    expect(linkErrorPage('expired', { lang: 'en' })).not.toContain('class="lang"');
    expect(linkErrorPage('not-allowed', { lang: 'en', unit: o.unit })).toContain(
      'Only the contacts of the lead unit (Sở Y tế) can confirm this duty. Nothing was changed.',
    );
    expect(linkErrorPage('not-allowed', { lang: 'vi', unit: o.unit })).toContain(
      'Chỉ đầu mối của đơn vị chủ trì (Sở Y tế) xác nhận hoàn thành nhiệm vụ này. Không có gì thay đổi.',
    );
  });
});
