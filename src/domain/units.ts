/**
 * Unit names as plans write them: splitting a "Chủ trì" / "Phối hợp" cell into names, folding a
 * name into a matching key, and matching it against the organisation's units and groups.
 */
import { fold, tidy } from './text.js';

/**
 * Words a unit or group name starts with. A " - " or ", " followed by one of these (capitalised, as
 * plans write them) starts a new name; otherwise it is part of the name ("Sở Lao động - Thương binh
 * và Xã hội", "Các sở, ban, ngành").
 */
const HEADS = [
  'Ban',
  'Báo',
  'Bảo hiểm',
  'Bệnh viện',
  'Bộ',
  'BCH',
  'BTL',
  'BQL',
  'CA',
  'Cảng vụ',
  'Các',
  'Cơ quan',
  'Công an',
  'Công ty',
  'Cục',
  'Chi cục',
  'Chi hội',
  'Doanh nghiệp',
  'Đài',
  'Đại học',
  'Đảng ủy',
  'Đoàn',
  'Đội',
  'Hiệp hội',
  'Hội',
  'Huyện',
  'Học viện',
  'Kho bạc',
  'Liên đoàn',
  'Lực lượng',
  'Mặt trận',
  'Ngân hàng',
  'Phòng',
  'Quận',
  'Sở',
  'Thanh tra',
  'Thành đoàn',
  'Thành ủy',
  'Thị xã',
  'Tỉnh đoàn',
  'Tỉnh ủy',
  'Tổng công ty',
  'Trung tâm',
  'Trường',
  'Tòa án',
  'UBND',
  'Ủy ban',
  'Văn phòng',
  'Viện',
  'VP',
  'Vụ',
  'Những',
  'Tất cả',
  'Toàn bộ',
  'Thủ trưởng',
  'Người đứng đầu',
  'Cá nhân',
  'Tổ chức',
  'Nhà',
  'Ban Chỉ huy',
  'Bộ Chỉ huy',
  'Bộ Tư lệnh',
];
const HEAD_RE = new RegExp(
  `^(?:${HEADS.map((h) => h.normalize('NFC').replace(/\s+/g, '\\s+')).join('|')})(?=$|[\\s.,&-])`,
  'u',
);

const startsWithHead = (part: string) => HEAD_RE.test(part.normalize('NFC'));

const isBareHead = (part: string) => {
  const m = HEAD_RE.exec(part.normalize('NFC'));
  return m !== null && m[0].length === part.trim().length;
};

/** Splits on `sep`, gluing back the pieces that do not start a new name. */
function splitWhereHeads(text: string, sep: RegExp): string[] {
  const out: string[] = [];
  for (const piece of text.split(sep)) {
    const p = piece.trim();
    if (!p) continue;
    if (out.length && !startsWithHead(p)) out[out.length - 1] += sep.source.includes(',') ? `, ${p}` : ` - ${p}`;
    else out.push(p);
  }
  return out;
}

/**
 * Words that, after " và ", start the name of a second unit ("Sở Quy hoạch - Kiến trúc và Sở Xây
 * dựng"): fewer than HEADS, since many HEADS also go on a name ("Trung tâm Thông tin và Báo chí",
 * "Ban Chỉ đạo Phòng, chống …").
 */
const AND_HEAD_RE =
  /^(?:Sở|UBND|Ủy ban nhân dân|Công an|Văn phòng|Bộ|Cục|Chi cục|Kho bạc|Ngân hàng|Bảo hiểm xã hội|Bộ Chỉ huy|Tỉnh đoàn|Thành đoàn|Liên đoàn|Mặt trận)\s+\p{Lu}/u;

/** "A và B" as two names when both are unit names (each starts with a unit's head word). */
function splitAnd(name: string): string[] {
  const parts = name.split(/\s+và\s+/u);
  if (parts.length < 2 || !startsWithHead(parts[0]!)) return [name];
  const out: string[] = [parts[0]!];
  for (const p of parts.slice(1)) {
    // "Văn phòng HĐND và UBND huyện" is one office: the people's councils and committees share it.
    const council = /^(?:UBND|Ủy ban nhân dân|HĐND|Hội đồng nhân dân)(?:\s|$)/u.test(p);
    const office = /^Văn phòng\s/u.test(out[out.length - 1]!);
    if ((AND_HEAD_RE.test(p.normalize('NFC')) || council) && !(office && council)) out.push(p);
    else out[out.length - 1] += ` và ${p}`;
  }
  return out;
}

/**
 * The names in one cell: `- Các sở, ban, ngành - Ủy ban nhân dân quận, huyện, thành phố Thủ Đức` →
 * `["Các sở, ban, ngành", "Ủy ban nhân dân quận, huyện, thành phố Thủ Đức"]`. Bullets (-, +, •)
 * and semicolons separate names; new lines, " - " and ", " only where a new name starts.
 */
export function splitUnitCell(cell: string): string[] {
  const names: string[] = [];
  // A line break inside a cell starts a new name only where a new name (or a bullet) starts:
  // "Sở Thông tin và\nTruyền thông" is one unit, "Các sở, ban,\nngành" one phrase.
  const joined = cell
    .normalize('NFC')
    .split(/\r?\n/u)
    .map((l) => l.trim())
    .filter(Boolean)
    .reduce<string[]>((out, line) => {
      const previous = out[out.length - 1];
      // A line that ends mid-name ("… và", "… các,", "Ủy ban nhân dân") goes on on the next line.
      // So does a line that is a head word alone ("Văn phòng" / "UBND thành phố"): no unit is named so.
      const open =
        previous !== undefined &&
        (/(?:\s(?:và|các|của|thuộc)|[,\-–&]|^(?:Ủy ban nhân dân|UBND))$/u.test(previous) ||
          isBareHead(previous.replace(/^[-–—+•]\s*/u, '')));
      if (previous !== undefined && !/^[-–—+•]/u.test(line) && (open || !startsWithHead(line)))
        out[out.length - 1] = `${previous} ${line}`;
      else out.push(line);
      return out;
    }, []);
  const lines = joined
    .join('\n')
    .split(/\n|;|•|(?:^|\s)\+\s/u)
    .map((l) => l.trim())
    .filter(Boolean);
  for (const line of lines) {
    const body = line.replace(/^[-–—]\s*/u, '');
    for (const dashed of splitWhereHeads(body, /\s+[-–—]\s+/u)) {
      for (const name of splitWhereHeads(dashed, /\s*,\s+/u).flatMap(splitAnd)) {
        const clean = tidy(name)
          .replace(/[.,;:]+$/u, '')
          .trim();
        if (clean) names.push(clean);
      }
    }
  }
  return [...new Set(names)];
}

/** Abbreviations plans use, as folded token sequences → their folded long form. */
const ABBREVIATIONS: [RegExp, string][] = [
  [/\bubnd\b/g, 'uy ban nhan dan'],
  [/\bhdnd\b/g, 'hoi dong nhan dan'],
  [/\bvp\b/g, 'van phong'],
  [/\bcatp\b/g, 'cong an thanh pho'],
  [/\bbtl\b/g, 'bo tu lenh'],
  [/\bbchqs\b/g, 'bo chi huy quan su'],
  [/\bbch\b/g, 'bo chi huy'],
  [/\bbql\b/g, 'ban quan ly'],
  [/\btp\s*hcm\b|\btphcm\b/g, 'thanh pho ho chi minh'],
  [/\btp\b/g, 'thanh pho'],
  [/\btx\b/g, 'thi xa'],
  // Q. = Quận, P. = Phường, H. = Huyện (the dot is a space by now): "Q.3", "Q3", "Q. Bình Thạnh",
  // "P.12", "P. Bến Nghé", "H. Củ Chi".
  [/\bq (\d+)\b/g, 'quan $1'],
  [/\bq(\d+)\b/g, 'quan $1'],
  [/\bq (?=\p{L})/gu, 'quan '],
  [/\bp (\d+)\b/g, 'phuong $1'],
  [/\bp(\d+)\b/g, 'phuong $1'],
  [/\bp (?=\p{L})/gu, 'phuong '],
  [/\bh (?=\p{L})/gu, 'huyen '],
  [/\btttt\b/g, 'thong tin truyen thong'],
  [/\bld ?tb ?xh\b/g, 'lao dong thuong binh xa hoi'],
  [/\bkh ?dt\b/g, 'ke hoach dau tu'],
  [/\bgd ?dt\b/g, 'giao duc dao tao'],
  [/\bkh ?cn\b/g, 'khoa hoc cong nghe'],
  [/\bgt ?vt\b/g, 'giao thong van tai'],
  [/\btn ?mt\b/g, 'tai nguyen moi truong'],
  [/\bnn ?ptnt\b/g, 'nong nghiep phat trien nong thon'],
  [/\bvh ?tt ?dl\b/g, 'van hoa the thao du lich'],
  [/^ca\b/g, 'cong an'],
];

/**
 * The matching key of a unit or group name: case, diacritics, punctuation, "và" and the usual
 * abbreviations do not matter. `Sở TT&TT` and `Sở Thông tin và Truyền thông` give the same key;
 * `UBND Quận 3` and `Ủy ban nhân dân quận 3` too, and never the key of Quận 5.
 */
export function normalizeUnitName(name: string): string {
  let key = fold(name.replace(/&/g, ' '))
    .replace(/[./-]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  key = key.replace(/\btt tt\b/g, 'tttt');
  for (const [re, long] of ABBREVIATIONS) key = key.replace(re, long);
  return key
    .split(' ')
    .filter((w) => w && w !== 'va')
    .join(' ');
}

/**
 * Whether a name means several units ("Các sở, ban, ngành", "Ủy ban nhân dân quận, huyện, thành phố
 * Thủ Đức") or one.
 */
export function classifyName(name: string): 'unit' | 'group' {
  const f = fold(name);
  if (/^(cac|nhung|tat ca|toan bo|moi)\b/.test(f)) return 'group';
  if (name.includes(',')) return 'group';
  return 'unit';
}

export interface MatchCandidate {
  id: string;
  kind: 'unit' | 'group';
  /** Normalised keys: the name's and every alias's. */
  keys: string[];
}

/** A key that names an administrative area alone: "quan 3", "huyen cu chi", "phuong ben nghe", "thi xa …". */
const AREA_RE = /^(?:quan|huyen|phuong|xa|thi xa|thi tran|thanh pho) \S/;

const digits = (key: string) => (key.match(/\d+/g) ?? []).join(' ');
const tokenSet = (key: string) => [...new Set(key.split(' '))].sort().join(' ');

/**
 * The unit or group a name refers to, or null. An exact key wins; then, for an area named alone
 * ("Q.3"), its People's Committee ("UBND Quận 3"); then the same words in another order. Only one
 * candidate may answer, and numbers must agree (Quận 3 is never Quận 5).
 */
export function matchName(name: string, candidates: MatchCandidate[]): { id: string; kind: 'unit' | 'group' } | null {
  const key = normalizeUnitName(name);
  if (!key) return null;
  const exact = candidates.filter((c) => c.keys.includes(key));
  if (exact.length >= 1) return unique(exact);
  // A district, ward or town named alone ("Q.3", "Quận 3", "H. Củ Chi") is its People's Committee
  // ("UBND Quận 3"), as people say it, when that is the only such unit.
  if (AREA_RE.test(key)) {
    const committee = candidates.filter((c) => c.keys.includes(`uy ban nhan dan ${key}`));
    if (committee.length >= 1) return unique(committee);
  }
  const set = tokenSet(key);
  const reordered = candidates.filter((c) => c.keys.some((k) => tokenSet(k) === set && digits(k) === digits(key)));
  return unique(reordered);
}

function unique(list: MatchCandidate[]): { id: string; kind: 'unit' | 'group' } | null {
  const ids = new Set(list.map((c) => c.id));
  if (ids.size !== 1) return null;
  return { id: list[0]!.id, kind: list[0]!.kind };
}
