/**
 * Report duties the body text states: "Định kỳ hằng năm, các cơ quan … gửi báo cáo về Sở Thông tin
 * và Truyền thông trước ngày 15 tháng 11" → a yearly duty due 15/11 whose lead is the reporting
 * units. When the sentence names no one ("Định kỳ hằng năm, báo cáo … trước ngày 15/11"), the
 * units named in the sentence before report.
 */
import { inBothLanguages } from '#root/errors/index.js';
import { deadlinesIn, parseTimeframe } from '../../domain/timeframe.js';
import { fold, tidy } from '../../domain/text.js';
import { splitUnitCell } from '../../domain/units.js';
import type { DutyDraft, ParseOptions } from '../draft.js';
import { capitalize, type TextLine } from './plan-header.js';
import { serviceWords } from '#root/messages/service-words.js';

const importWords = serviceWords('import');

const SUBJECT_END =
  /\s(?:chủ trì|có trách nhiệm|xây dựng|gửi|báo cáo|tổng hợp|thực hiện|trước ngày|phối hợp|tham mưu|tổ chức|triển khai|định kỳ|hàng năm|hằng năm|căn cứ|chịu trách nhiệm|khẩn trương|chủ động|theo dõi|rà soát)(?=[\s,.;:]|$)/iu;
const SUBJECT_START =
  /^(cac|so|uy ban|ubnd|ban|bo|cong an|van phong|trung tam|phong|chi cuc|cuc|doanh nghiep|don vi|co quan|hoi|giam doc|thu truong|chu tich|tong cong ty|cong ty|dai|bao|thanh vien|nguoi dung dau)\b/;

function subjectOf(clause: string): string | null {
  const body = clause
    .trim()
    .replace(/^(?:\d+(?:\.\d+)*\.|[IVX]+\.|[a-zđ]\)|[-–+•])\s*/u, '')
    .replace(/^(?:định kỳ\s*)?(?:(?:hàng|hằng)\s+(?:năm|quý|tháng))?\s*,?\s*/iu, '')
    // "Kế hoạch giao các sở …", "UBND tỉnh yêu cầu các sở …": those given the task.
    .replace(/^(?:[^,;]{0,40}?\s)?(?:giao|đề nghị|yêu cầu|chỉ đạo|giao cho)\s+(?=\p{L})/iu, '');
  const m = SUBJECT_END.exec(` ${body}`);
  const subject = tidy(m ? body.slice(0, Math.max(0, m.index - 1)) : '').replace(/[,;:]+$/, '');
  if (!subject || subject.length > 160 || subject.split(' ').length > 22) return null;
  if (!SUBJECT_START.test(fold(subject))) return null;
  return capitalize(subject);
}

/** A clause that names units and nothing else ("Các sở, ban, ngành cấp tỉnh"). */
function isBareSubject(clause: string): boolean {
  const t = tidy(clause).replace(/^(?:\d+(?:\.\d+)*\.|[IVX]+\.|[a-zđ]\)|[-–+•])\s*/u, '');
  return t.length > 0 && t.length <= 120 && SUBJECT_START.test(fold(t)) && !SUBJECT_END.test(` ${t}`);
}

/**
 * The units of "…, các sở báo cáo về …": a subject after a comma, right before the verb of
 * reporting (never the recipient: "báo cáo về Sở X, UBND tỉnh trước ngày …" names none).
 */
function subjectBeforeReport(clause: string): string | null {
  for (const m of clause.matchAll(/,\s+/gu)) {
    const rest = clause.slice((m.index ?? 0) + m[0].length);
    const hit = /^(\S.{2,120}?)\s+(?:định kỳ\s+)?(?:có trách nhiệm\s+)?(?:gửi\s+)?báo cáo\b/iu.exec(rest);
    if (!hit || SUBJECT_END.test(` ${hit[1]!}`)) continue;
    if (SUBJECT_START.test(fold(hit[1]!))) return capitalize(tidy(hit[1]!));
  }
  return null;
}

interface Paragraph {
  text: string;
  where: string;
  /** Where each line of the paragraph starts in `text`, and where it was read. */
  lines: { at: number; where: string }[];
}

/** Where a sentence starting at `at` in the paragraph was read: its first line's place. */
function whereIn(p: Paragraph, at: number): string {
  let where = p.where;
  for (const l of p.lines) if (l.at <= at) where = l.where;
  return where;
}

/** Lines joined into paragraphs: a numbered or bulleted line starts one. Table rows are not body text. */
function paragraphs(lines: TextLine[]): Paragraph[] {
  const out: Paragraph[] = [];
  let cur: Paragraph | null = null;
  for (const line of lines) {
    const t = tidy(line.text);
    if (!t || line.text.includes('|') || line.text.includes('\t')) {
      cur = null;
      continue;
    }
    // A heading in capitals ("III. TỔ CHỨC THỰC HIỆN") is a paragraph of its own.
    const heading = (text: string) => /\p{Lu}{2}/u.test(text) && text === text.toUpperCase();
    // A line goes on from the one before when that one was cut short of its sentence: it is long
    // and ends without a stop, or this one starts in lower case.
    const wraps = (prev: string) => (prev.length >= 50 && !/[.:;!?]$/u.test(prev)) || /^\p{Ll}/u.test(t);
    if (
      !cur ||
      !line.joins ||
      !wraps(cur.text.slice(cur.lines.at(-1)!.at)) ||
      heading(t) ||
      heading(cur.text) ||
      /^(?:\d+(?:\.\d+)*\.|[IVX]+\.|[a-zđ]\)|[-–+•])\s/u.test(t)
    ) {
      cur = { text: t, where: line.where, lines: [{ at: 0, where: line.where }] };
      out.push(cur);
    } else {
      cur.lines.push({ at: cur.text.length + 1, where: line.where });
      cur.text = `${cur.text} ${t}`;
    }
  }
  return out;
}

/** The report duties of the body text (`lines`: the text outside the duty table). */
export function reportDuties(lines: TextLine[], options: ParseOptions): DutyDraft[] {
  const out: DutyDraft[] = [];
  let previous: string | null = null;
  for (const p of paragraphs(lines)) {
    const sentences = p.text.split(/(?<=[.!?])\s+(?=\p{Lu})/u);
    let from = 0;
    for (const sentence of sentences) {
      const at = p.text.indexOf(sentence, from);
      from = at + sentence.length;
      const before = previous;
      previous = sentence;
      if (!fold(sentence).includes('bao cao')) continue;
      // "Các sở, ban, ngành cấp tỉnh; Ủy ban nhân dân các huyện … báo cáo …": clauses that only name
      // units (no verb) before the clause that reports are part of its subject.
      const clauses = sentence.split(';').reduce<string[]>((out, c) => {
        const last = out[out.length - 1];
        if (last !== undefined && isBareSubject(last)) out[out.length - 1] = `${last};${c}`;
        else out.push(c);
        return out;
      }, []);
      for (const clause of clauses) {
        for (const deadline of deadlinesIn(clause)) {
          const { day, month, year } = deadline;
          const lead =
            subjectOf(clause) ??
            subjectOf(clauses[0]!) ??
            subjectOf(sentence) ??
            (before ? subjectOf(before) : null) ??
            subjectBeforeReport(clause);
          const timeframe = deadline.phrase;
          const parsed = parseTimeframe(timeframe, { defaultDue: options.defaultDue });
          let schedule = parsed.schedule;
          let flags = [...parsed.flags];
          // "chậm nhất là ngày 10/12": the day and month were read; the words around them do not matter.
          if (schedule.kind === 'unparsed' && month !== null && deadline.months === 12) {
            const md = `${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
            schedule = year ? { kind: 'once', due: `${year}-${md}` } : { kind: 'yearly', due: md };
            flags = [];
          }
          if (!lead) flags.push(inBothLanguages(importWords('unclearReportingUnit')));
          const title = capitalize(
            tidy(clause)
              .replace(/^(?:\d+(?:\.\d+)*\.|[a-zđ]\)|[-–+•])\s*/u, '')
              .replace(/[.;,\s/]+$/u, ''),
          );
          const period = deadline.months === 3 ? 'quý' : 'tháng';
          let code = `BC-${day}/${month ?? period}${year ? `/${year}` : ''}`;
          if (out.some((d) => d.code === code))
            code = `${code} (${out.filter((d) => d.code.startsWith(code)).length + 1})`;
          out.push({
            code,
            title,
            section: null,
            sectionTitle: null,
            origin: 'report',
            leads: lead ? splitUnitCell(lead) : [],
            cooperating: [],
            timeframe,
            schedule,
            flags,
            where: whereIn(p, at),
            source: [sentence],
          });
        }
      }
    }
  }
  return out;
}
