/**
 * The plan's own header: number and symbol ("5958/KH-UBND"), issuer (the province or city, never
 * a fragment of a sentence), title, issue date (also when the place-and-date line wraps) and
 * horizon, from the document's text outside the duty table, in any layout: a Word or PDF header
 * table, pasted pipes, or a news article ("Ngày 16/11/2023, UBND tỉnh Bình Dương ban hành Kế hoạch
 * số 5958/KH-UBND về …").
 */
import { fold, tidy } from '../../domain/text.js';
import type { IsoDate } from '../../domain/types.js';
import type { PlanDraft } from '../draft.js';

/** A line of the document's text, with where it was read. */
export interface TextLine {
  text: string;
  where: string;
  /** The line may continue the one before it (same paragraph, or the next line of a pasted text). */
  joins: boolean;
}

export function isoFrom(day: number, month: number, year: number): IsoDate | null {
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) return null;
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

const DATE_WORDS = /ngày\s+(\d{1,2})\s*(?:tháng\s*|\/|-|\.)\s*(\d{1,2})\s*(?:năm\s*|\/|-|\.)\s*(\d{4})/iu;

export function capitalize(text: string): string {
  return text ? text[0]!.toUpperCase() + text.slice(1) : text;
}

/** "BÌNH DƯƠNG" → "Bình Dương". */
function titleCase(text: string): string {
  return tidy(text).toLowerCase().split(' ').map(capitalize).join(' ');
}

function sentenceCase(text: string): string {
  const t = tidy(text);
  return t === t.toUpperCase() ? capitalize(t.toLowerCase()) : t;
}

const dateOf = (text: string) => {
  const m = DATE_WORDS.exec(text);
  return m ? isoFrom(Number(m[1]), Number(m[2]), Number(m[3])) : null;
};

/** Words that end an issuer's name in a sentence ("UBND tỉnh đã ban hành" → "UBND tỉnh"). */
const ISSUER_TAIL = /\s+(?:đã|vừa|mới|vừa mới|chính thức|đã chính thức|cũng|cũng đã|ký|đã ký|vừa ký)$/iu;
/** An issuer named without its place ("UBND tỉnh", "Ủy ban nhân dân thành phố"). */
const BARE_ISSUER = /^(?:ủy ban nhân dân|ubnd|uỷ ban nhân dân)(?:\s+(?:tỉnh|thành phố|tp\.?|huyện|quận|thị xã))?$/iu;
/** "tỉnh Bình Dương", "thành phố Hồ Chí Minh", "TP. Hà Nội": a place's name. */
const PLACE = /\b(tỉnh|thành phố|TP\.?)\s+((?:\p{Lu}[\p{L}-]*)(?:\s+\p{Lu}[\p{L}-]*){0,4})/u;

/** The issuer without sentence words around it; a bare "UBND tỉnh" given its place when the text names it. */
function cleanIssuer(raw: string, text: string): string | null {
  let issuer = tidy(raw).replace(/[,;:]+$/u, '');
  for (let k = 0; k < 3; k++) issuer = issuer.replace(ISSUER_TAIL, '');
  if (!issuer) return null;
  if (BARE_ISSUER.test(issuer)) {
    const place = PLACE.exec(text);
    if (!place) return capitalize(issuer);
    const kind = /^tp/iu.test(place[1]!) ? 'thành phố' : place[1]!.toLowerCase();
    const head = /^ubnd/iu.test(issuer) ? 'UBND' : 'Ủy ban nhân dân';
    return `${head} ${kind} ${place[2]!}`;
  }
  return capitalize(issuer);
}

const AREA = /^(.*?)(?:^|\s)(TỈNH|THÀNH PHỐ|HUYỆN|QUẬN|THỊ XÃ)\s+(\S.*)$/u;

/** "ỦY BAN NHÂN DÂN THÀNH PHỐ ĐÀ NẴNG" → "Ủy ban nhân dân thành phố Đà Nẵng"; other case kept. */
function agencyName(text: string): string {
  const t = tidy(text);
  if (t !== t.toUpperCase()) return t;
  const m = AREA.exec(t);
  // "SỞ KẾ HOẠCH VÀ ĐẦU TƯ" → "Sở Kế hoạch và Đầu tư": each part of a department's name capitalised.
  const dept = /^(SỞ|BAN|CHI CỤC|CỤC|TRUNG TÂM|VĂN PHÒNG)\s+(.+)$/u.exec(t);
  if (!m && dept)
    return `${capitalize(dept[1]!.toLowerCase())} ${dept[2]!
      .toLowerCase()
      .split(/(\s+(?:và|-|–)\s+)/u)
      .map((part, i) => (i % 2 === 0 ? capitalize(part) : part))
      .join('')}`;
  if (!m) return sentenceCase(t);
  // "UBND TỈNH ĐẮK LẮK" → "UBND tỉnh Đắk Lắk": the acronym stays one.
  const agency = /^UBND$/u.test(m[1]!.trim()) ? 'UBND' : sentenceCase(m[1]!);
  return tidy(`${agency} ${m[2]!.toLowerCase()} ${titleCase(m[3]!)}`);
}

/**
 * The issuer from the top of the document: the agency's name in capitals at the head's left
 * ("ỦY BAN NHÂN DÂN" over "TỈNH BÌNH DƯƠNG", or on one line; a department under its province
 * issues itself), in a header table or as lines; a bare "ỦY BAN NHÂN DÂN" takes the place of the
 * place-and-date line ("Thành phố Hồ Chí Minh, ngày …").
 */
function headerIssuer(head: string[]): string | null {
  // The head's left cell: before " | " (a table rendered as text) or a tab (a pasted web page).
  const left = head.slice(0, 25).map((l) => tidy(l.split(/\||\t/u)[0] ?? ''));
  const isAgency = (t: string) =>
    t.length > 3 && t === t.toUpperCase() && /^(uy ban nhan dan|ubnd|so|ban|bo)\b/.test(fold(t));
  const k = left.findIndex(isAgency);
  if (k < 0) return null;
  let name = left[k]!;
  const next = left[k + 1] ?? '';
  if (next && next === next.toUpperCase() && /^(TỈNH|THÀNH PHỐ|HUYỆN|QUẬN|THỊ XÃ)\s/u.test(next) && !AREA.test(name))
    name = `${name} ${next}`;
  else if (next && next === next.toUpperCase() && /^(SỞ|BAN)\s/u.test(next)) name = next;
  const issuer = agencyName(name);
  if (/^(ủy ban nhân dân|uỷ ban nhân dân|ubnd)$/iu.test(issuer)) {
    const placeLine = head.find((l) => /,\s*ngày(?:\s|$)/u.test(l));
    const where = placeLine ? placeOfDate(placeLine) : null;
    if (where) return `${issuer} ${where}`;
  }
  return issuer;
}

/** The place written before "ngày" in the place-and-date line ("Bình Dương, ngày 16 tháng 11 năm 2023"). */
function placeOfDate(text: string): string | null {
  const m = /(?:^|\||\t)\s*([^|\t,]+?)\s*,\s*ngày(?:\s|$)/u.exec(text);
  const place = m ? tidy(m[1]!) : '';
  if (!place || place.split(' ').length > 6 || /\d/.test(place)) return null;
  return place;
}

/**
 * The plan's number, date, issuer, title and horizon from `lines`, the document's text outside
 * the duty table (other tables rendered a row per line, cells between " | "); `cells`: the texts
 * of those tables' cells, whole (a Word header's "Bình Dương, ngày\n16 tháng 11 năm 2023").
 */
export function planHeader(lines: TextLine[], cells: string[] = []): PlanDraft['plan'] {
  const texts = lines.map((l) => l.text);
  const head = texts.slice(0, 40);
  const joined = tidy(texts.join(' '));
  const headJoined = tidy(head.join(' ').replace(/\|/g, ' '));
  const cleanCode = (c: string) => c.replace(/[.,;:)|]+$/, '');

  let code: string | null = null;
  let codeLine = -1;
  for (const [i, line] of texts.entries()) {
    // "Số: 5958/KH-UBND", or "Số 5958/KH-UBND" opening a line or a cell (never "Quyết định số 749/…").
    const m =
      /(?:^|[\s|])Số\s*:\s*(\d+[\p{L}\p{N}.-]*\/[\p{L}\p{N}./-]+)/u.exec(line) ??
      /(?:^|\|)\s*Số\s+(\d+[\p{L}\p{N}.-]*\/[\p{L}\p{N}./-]+)/u.exec(line);
    if (m) {
      code = cleanCode(m[1]!);
      codeLine = i;
      break;
    }
  }
  if (!code) {
    const m = /Kế hoạch\s+(?:số\s*:?\s*)?(\d+[\p{L}\p{N}.-]*\/[\p{L}\p{N}./-]+)/iu.exec(joined);
    if (m) code = cleanCode(m[1]!);
  }
  if (!code) {
    for (const line of texts.slice(0, 15)) {
      const m = /\b(\d+\/KH-[\p{L}\p{N}-]+)/u.exec(line);
      if (m) {
        code = cleanCode(m[1]!);
        break;
      }
    }
  }

  // The date: beside the number, on the place-and-date line (even wrapped: "Bình Dương, ngày" /
  // "16 tháng 11 năm 2023"), or in the sentence that announces the plan.
  let issuedOn: IsoDate | null = null;
  if (codeLine >= 0) issuedOn = dateOf(texts[codeLine]!) ?? dateOf(texts[codeLine + 1] ?? '');
  if (!issuedOn && code) {
    const at = joined.indexOf(code);
    if (at >= 0) {
      const after = joined.slice(at + code.length, at + code.length + 40);
      if (/^\s*,?\s*(?:ban hành\s+)?ngày/iu.test(after)) issuedOn = dateOf(after);
    }
  }
  const placeDate = /[\p{L})]\s*,\s*(ngày\s+\d{1,2}\s*(?:tháng\s*|\/|-|\.)\s*\d{1,2}\s*(?:năm\s*|\/|-|\.)\s*\d{4})/iu;
  for (const text of [...cells.slice(0, 12).map(tidy), headJoined]) {
    if (issuedOn) break;
    const m = placeDate.exec(text);
    if (m) issuedOn = dateOf(m[1]!);
  }
  if (!issuedOn && code) {
    const sentence = joined.split(/(?<=[.!?])\s+(?=\p{Lu})/u).find((s) => s.includes(code!) && /ban hành/iu.test(s));
    if (sentence) issuedOn = dateOf(sentence);
  }

  let issuer = headerIssuer(head);
  if (!issuer) {
    const m =
      /((?:Ủy ban nhân dân|Uỷ ban nhân dân|UBND|Sở)\s(?:[^.;:,]*?))\s+(?:đã\s+|vừa\s+|mới\s+)*ban hành\s+Kế hoạch/u.exec(
        joined,
      );
    if (m) issuer = cleanIssuer(m[1]!, joined);
  }
  if (!issuer) {
    const m = /Kèm theo Kế hoạch số [^)]*? của ([^)]+)\)/iu.exec(joined);
    if (m) issuer = cleanIssuer(m[1]!, joined);
  }
  if (!issuer && code) {
    // "… Kế hoạch số 5958/KH-UBND ngày 16/11/2023 của UBND tỉnh Bình Dương về …"
    const at = joined.indexOf(code);
    const m =
      at >= 0
        ? /^[^.;]{0,40}?\bcủa\s+((?:Ủy ban nhân dân|Uỷ ban nhân dân|UBND)[^.;:,()]*?)(?=\s+(?:về|triển khai|thực hiện|nhằm|ban hành)(?=\s)|[.;:,()]|$)/u.exec(
            joined.slice(at + code.length),
          )
        : null;
    if (m) issuer = cleanIssuer(m[1]!, joined);
  }

  const title = planTitle(texts, joined, code);
  return { code, title, issuer, issuedOn, horizonYear: planHorizon(texts, title) };
}

function planTitle(texts: string[], joined: string, code: string | null): string | null {
  // "KẾ HOẠCH" on its own line, the title on the lines below it; else "… ban hành Kế hoạch … như
  // sau" in the body (which may be as short as "Kế hoạch triển khai", so the heading comes first).
  const t = /ban hành\s+(Kế hoạch(?:[^:;.]|\.(?=\S))*?)\s+như sau/iu.exec(joined);
  const heading = headingTitle(texts);
  if (heading && (!t || heading.length >= tidy(t[1]!).length)) return heading;
  if (t) return capitalize(tidy(t[1]!));
  return belowTitle(texts, joined, code);
}

function headingTitle(texts: string[]): string | null {
  const k = texts.findIndex((l) => fold(l.replace(/\|/g, ' ')) === 'ke hoach');
  if (k >= 0) {
    const below: string[] = [];
    for (const l of texts.slice(k + 1, k + 6)) {
      const t2 = tidy(l);
      if (!t2 || /^(căn cứ|i\.|1\.|phần|[-–])/iu.test(t2) || t2.includes('|')) break;
      // "Thực hiện Quyết định số 749/QĐ-TTg …" opens the body; "Thực hiện chuyển đổi số …" is a title.
      if (/^thực hiện\b/iu.test(t2) && /\bsố\s+\d+\s*\//iu.test(t2)) break;
      // Body text, not the title: a sentence ends in it, or it is a paragraph's length.
      if (/[.!?;:]$|[.!?]\s+\p{Lu}/u.test(t2) || t2.length > 300) break;
      below.push(t2);
    }
    if (below.length)
      return capitalize(`Kế hoạch ${sentenceCase(below.join(' ')).replace(/^\p{Lu}/u, (c) => c.toLowerCase())}`);
  }
  return null;
}

function belowTitle(texts: string[], joined: string, code: string | null): string | null {
  const kk = texts.findIndex((l) => /^\(?\s*Kèm theo Kế hoạch/iu.test(l.trim()));
  // The title lines just above "(Kèm theo Kế hoạch …)", not the body text before them.
  const above: string[] = [];
  for (let j = kk - 1; j >= 0 && j >= kk - 4; j--) {
    const l = tidy(texts[j]!);
    if (!l || l.includes('|') || /[.;:]$|[.!?]\s+\p{Lu}/u.test(l) || /^\d+\.\s/u.test(l)) break;
    if (/^phụ lục(\s+[\dIVX]+)?$/iu.test(l)) break;
    above.unshift(l);
  }
  if (above.length) return sentenceCase(above.join(' '));
  // A news article: "… ban hành Kế hoạch số 5958/KH-UBND (ngày …) về/triển khai …".
  if (code) {
    const at = joined.indexOf(code);
    if (at >= 0) {
      const after = joined
        .slice(at + code.length)
        .replace(/^\s*,?\s*(?:ngày\s+\d{1,2}\s*(?:tháng\s*|\/|-)\s*\d{1,2}\s*(?:năm\s*|\/|-)\s*\d{4})?\s*,?\s*/iu, '')
        // "… của UBND tỉnh về việc …"
        .replace(/^của\s+(?:Ủy ban nhân dân|Uỷ ban nhân dân|UBND)[^,.;]*?\s(?=về\s)/iu, '');
      const m =
        /^((?:[Vv]ề|[Tt]riển khai|[Tt]hực hiện|[Tt]ổ chức|[Nn]hằm)\s[^.;:!?]{10,300}?)(?=[.;:!?]|,\s*(?:theo đó|trong đó|với mục tiêu|nhằm|các|những)\s|,\s*\p{Lu}|$)/u.exec(
          after,
        );
      if (m)
        return `Kế hoạch ${tidy(m[1]!)
          .replace(/^về việc\s+/iu, '')
          .replace(/^về\s+/iu, '')}`;
    }
  }
  return null;
}

const HORIZON =
  /(?:đến\s+(?:hết\s+)?(?:năm\s+)?|tầm nhìn\s+(?:đến\s+)?(?:năm\s+)?|giai đoạn\s+(?:từ\s+)?(?:năm\s+)?\d{4}\s*(?:[-–]|đến)\s*(?:năm\s+)?)(\d{4})\b/giu;

/** The last year a text gives as a horizon ("giai đoạn 2024-2030", "đến năm 2030", "tầm nhìn 2045"), or null. */
export function horizonIn(text: string): number | null {
  let horizon: number | null = null;
  for (const m of tidy(text).matchAll(HORIZON)) {
    const y = Number(m[1]);
    if (y >= 2000 && y <= 2100 && (horizon === null || y > horizon)) horizon = y;
  }
  return horizon;
}

/**
 * The horizon is the plan's own: its title's, else its body's, never a table row's (one duty's
 * "Giai đoạn 2023 - 2025" is that duty's timeframe, not the plan's end) nor a cited document's.
 */
export function planHorizon(texts: string[], title: string | null): number | null {
  const body = texts.filter(
    (l) =>
      !l.includes('|') &&
      !l.includes('\t') &&
      !/^\s*(?:[-–+•]\s*)?(?:\d+\s+)?(?:căn cứ|quyết định|kế hoạch|nghị quyết|chỉ thị|thông tư|luật)\s+(?:số\s+)?\d/iu.test(
        l,
      ) &&
      // "Căn cứ Quyết định số 749/QĐ-TTg … đến năm 2025, định hướng đến năm 2030": a cited document's.
      !/^\s*(?:[-–+•]\s*)?căn cứ\b/iu.test(l),
  );
  // A plan for one year ("Kế hoạch chuyển đổi số năm 2024") ends with it.
  const yearOfTitle = title ? /\bnăm\s+(\d{4})\s*$/iu.exec(tidy(title)) : null;
  return (
    (title ? horizonIn(title) : null) ?? (yearOfTitle ? Number(yearOfTitle[1]) : null) ?? horizonIn(body.join(' '))
  );
}
