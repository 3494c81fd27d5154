import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CHANNEL_NAMES } from '#root/channels/registry.js';
import { reminderKeyboard } from '#root/channels/telegram/index.js';
import type { Lang } from '#root/domain/wording.js';
import { workingCalendarForYears } from '#root/domain/working-days.js';
import type { Channel } from '#root/generated/prisma/client.js';
import { loadTemplates, templateKey } from '#root/messages/templates.js';
import type { LoadedBundle, LoadedItem } from '#root/services/delivery/load.js';
import type { MissingIndicatorsView } from '#root/services/indicators.js';
import { bundleMessage, type ViewContext } from '#root/services/delivery/view.js';
import { lateBundle } from '../helpers/late-bundle.js';
import { seededRandom } from '../helpers/random.js';

/**
 * Every byte of the messages the worker builds, pinned: a few hundred bundles (every channel and
 * language; one item of each kind and several of mixed kinds, sections and due dates; titles with
 * markup characters, long titles that the channels' length limits cut; indicators; an
 * organisation's edited template; a supervisor's late list) rendered and their messages, shown
 * items and Telegram buttons hashed. A change meant to leave messages as they are (the worker's
 * rendering made cheaper) must leave this as it is; a change of wording or layout updates it
 * (`npx vitest run -u test/domain/bundle-messages-pinned.test.ts`), the texts themselves being
 * checked by bundle-view, late-bundle-view and leaks tests.
 */

const ZONE = 'Asia/Ho_Chi_Minh';
const SEND_DAY = '2026-11-16';
const templates = loadTemplates();
const calendar = workingCalendarForYears([2026, 2027], [{ date: '2026-11-20', kind: 'holiday', name: 'a day off' }]);
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

const KINDS: LoadedItem['kind'][] = ['lead', 'due', 'overdue', 'escalation', 'cooperating'];
const PERIODS = ['2026-Q4', '2026', '2026-11', '2026-H2', 'once', '2026-2027', '2026-P3'];
const DUES = [
  '2026-11-05',
  '2026-11-13',
  '2026-11-15',
  '2026-11-16',
  '2026-11-17',
  '2026-11-20',
  '2026-11-22',
  '2026-12-31',
];
const TITLES = [
  'Báo cáo tình hình bảo đảm an toàn thông tin mạng',
  'Rà soát <b>hồ sơ</b> & "cấp độ" hệ thống thông tin > 5 năm',
  `Tổ chức tuyên truyền ${'phổ biến kiến thức về an toàn thông tin cho cán bộ, '.repeat(8)}`,
  'x'.repeat(5_000),
  'Kiểm tra, đánh giá an toàn thông tin định kỳ',
];
const UNITS = ['Sở Y tế', 'Sở Tài chính', 'Công an Thành phố', 'Sở Nội vụ <& Co>'];

function stageOf(kind: LoadedItem['kind'], due: string, n: number): string {
  const day = due.replace(/-/g, '');
  if (kind === 'lead') return `lead-${1 + (n % 5)}@${day}`;
  if (kind === 'due') return `due@${day}`;
  if (kind === 'overdue') return n % 3 === 0 ? `nudge-b${n}@${day}` : `overdue-${1 + (n % 3)}@${day}`;
  return `escalation-${1 + (n % 2)}@${day}`;
}

function item(n: number, kind: LoadedItem['kind'], due: string, pick: (k: number) => number): LoadedItem {
  return {
    id: uuid(n),
    stage: stageOf(kind, due, n),
    kind,
    scheduledAt: new Date('2026-11-16T01:00:00Z'),
    obligation: {
      id: uuid(10_000 + n),
      status: 'open',
      current: true,
      dueAt: new Date(`${due}T16:59:59Z`),
      extendedTo: null,
      periodKey: PERIODS[pick(PERIODS.length)]!,
      unitName: UNITS[pick(UNITS.length)]!,
      unitId: uuid(500),
      dutyOrigin: n % 4 === 0 ? 'report' : 'appendix',
      dutyCode: `${1 + pick(9)}.${1 + pick(12)}`,
      dutyTitle: TITLES[pick(TITLES.length)]!,
      planCode: '3131/KH-UBND',
      planTitle: 'Kế hoạch <an toàn> thông tin 2026',
    },
  };
}

function bundleOf(channel: Channel, lang: Lang, items: LoadedItem[], slot = 'day'): LoadedBundle {
  return {
    id: uuid(999),
    orgId: uuid(998),
    orgName: 'Sở TTTT',
    timeZone: ZONE,
    status: 'pending',
    channel,
    day: SEND_DAY,
    slot,
    scheduledAt: new Date('2026-11-16T01:00:00Z'),
    contact: {
      id: uuid(997),
      name: 'Nguyễn Văn "A" <Trưởng phòng>',
      locale: lang,
      email: 'a@example.test',
      telegramChatId: 1n,
      zaloUserId: 'z1',
      active: true,
      unitName: 'Sở Y tế',
    },
    items,
  };
}

const INDICATORS: MissingIndicatorsView = {
  indicatorsMissing: 2,
  indicators: [
    { ref: '1', title: 'Tỷ lệ hồ sơ <trực tuyến>', target: '80%', command: '/chitieu 1 <tử số>/<mẫu số>' },
    { ref: '2', title: 'Số cuộc diễn tập', target: '', command: '/chitieu 2 <số>' },
  ],
};

function contextFor(items: LoadedItem[], edited: Map<string, string> = new Map()): ViewContext {
  return {
    templates,
    edited,
    calendar,
    confirmUrl: (id) => `https://dondoc.test/c/${id}?a=1&b=<2>`,
    indicators: new Map(items.filter((i) => i.obligation.dutyOrigin === 'report').map((i) => [i.id, INDICATORS])),
  };
}

/** What a bundle's message is, every part of it, as one hash. */
function digest(b: LoadedBundle, ctx: ViewContext): string {
  const { message, shown } = bundleMessage(b, b.items, ctx);
  const out = {
    message,
    shown: shown.map((s) => [s.item.id, s.obligationId, s.section, s.dueDate, s.code]),
    keyboard: b.channel === 'telegram' ? (reminderKeyboard(message, b.contact.locale) ?? null) : null,
  };
  return createHash('sha256')
    .update(JSON.stringify(out, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)))
    .digest('hex')
    .slice(0, 24);
}

function cases(): [string, () => { b: LoadedBundle; ctx: ViewContext }][] {
  const out: [string, () => { b: LoadedBundle; ctx: ViewContext }][] = [];
  for (const channel of CHANNEL_NAMES) {
    for (const lang of ['vi', 'en'] as const) {
      // One item of each kind, on several due dates (before, on, after the day; a weekend; a holiday).
      KINDS.forEach((kind, k) => {
        DUES.forEach((due, d) => {
          const n = 100 * k + d;
          const random = seededRandom(n + 1);
          const items = [item(n, kind, due, (m) => Math.floor(random() * m))];
          out.push([
            `${channel} ${lang} one ${kind} due ${due}`,
            () => ({ b: bundleOf(channel, lang, items), ctx: contextFor(items) }),
          ]);
        });
      });
      // Several items of mixed kinds, 2 to 24 of them, some twice for one obligation.
      for (let seed = 1; seed <= 24; seed++) {
        out.push([
          `${channel} ${lang} several #${seed}`,
          () => {
            const random = seededRandom(seed * 7919);
            const pick = (m: number) => Math.floor(random() * m);
            const items = Array.from({ length: 1 + seed }, (_, i) =>
              item(1_000 * seed + i, KINDS[pick(KINDS.length)]!, DUES[pick(DUES.length)]!, pick),
            );
            if (seed % 5 === 0) items.push({ ...items[0]!, id: uuid(90_000 + seed), kind: 'escalation' });
            return { b: bundleOf(channel, lang, items, seed % 6 === 0 ? 'nudge-x' : 'day'), ctx: contextFor(items) };
          },
        ]);
      }
      // A supervisor's late list: short, and long enough to be cut.
      for (const count of [3, 40, 118]) {
        out.push([
          `${channel} ${lang} late list of ${count}`,
          () => {
            const b = lateBundle(channel, lang, count);
            return { b, ctx: contextFor(b.items) };
          },
        ]);
      }
      // An organisation's own wording of the day's list and of a due reminder (text part only).
      out.push([
        `${channel} ${lang} edited templates`,
        () => {
          const random = seededRandom(4242);
          const pick = (m: number) => Math.floor(random() * m);
          const items = [
            item(1, 'due', SEND_DAY, pick),
            item(2, 'overdue', '2026-11-05', pick),
            item(3, 'lead', '2026-11-20', pick),
          ];
          const part = channel === 'email' ? 'text.txt' : channel === 'telegram' ? 'html' : 'txt';
          const edited = new Map([
            [
              templateKey('reminder-bundle', channel, part, lang),
              'Gửi {{contactName}}: {{count}} việc{{#overdue}}\n- {{code}} {{&dutyTitle}} {{remaining}} {{confirmCommand}}{{/overdue}}{{^soon}}\nkhông có việc sắp đến hạn{{/soon}}{{#soon}}\n* {{code}} {{dueWeekday}} {{confirmUrl}}{{/soon}}',
            ],
          ]);
          return { b: bundleOf(channel, lang, items), ctx: contextFor(items, edited) };
        },
      ]);
    }
  }
  return out;
}

describe('the messages the worker builds', () => {
  it('are the same, byte for byte, for a range of bundles on every channel and in every language', () => {
    const digests: Record<string, string> = {};
    for (const [name, build] of cases()) {
      const { b, ctx } = build();
      digests[name] = digest(b, ctx);
    }
    expect(Object.keys(digests).length).toBeGreaterThan(500);
    expect(digests).toMatchSnapshot();
  });
});
