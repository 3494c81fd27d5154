import type { Lang } from '#root/domain/wording.js';
import type { Channel } from '#root/generated/prisma/client.js';
import type { LoadedBundle, LoadedItem } from '#root/services/delivery/load.js';

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** The demo's units (prisma/sample/demo-units.json): the administrator's own first. */
export const LATE_UNITS = [
  'Sở Thông tin và Truyền thông',
  'Công an Thành phố',
  'Bộ Tư lệnh Thành phố',
  'Ban Tuyên giáo Thành ủy',
  'Văn phòng Ủy ban nhân dân Thành phố',
  'Sở Tài chính',
  'Sở Lao động - Thương binh và Xã hội',
  'Sở Kế hoạch và Đầu tư',
  'Sở Nội vụ',
  'Sở Tư pháp',
  'Sở Y tế',
  'Sở Giáo dục và Đào tạo',
  'Sở Khoa học và Công nghệ',
  'Sở Công Thương',
  'Sở Giao thông vận tải',
  'Ban Dân tộc',
  'Ban quản lý Khu nông nghiệp công nghệ cao',
  'Ban quản lý các khu chế xuất và công nghiệp',
  'Ban quản lý Đường sắt đô thị',
  'Ủy ban nhân dân Quận 1',
  'Ủy ban nhân dân Quận 3',
  'Ủy ban nhân dân Quận 5',
  'Ủy ban nhân dân Quận 6',
  'Ủy ban nhân dân Quận Bình Thạnh',
  'Ủy ban nhân dân Quận Gò Vấp',
  'Ủy ban nhân dân Huyện Củ Chi',
  'Ủy ban nhân dân Huyện Cần Giờ',
  'Ủy ban nhân dân thành phố Thủ Đức',
] as const;

/** Duties of the demo's plan with periods that fell due on 30/09/2026, escalated on 08/10. */
const LATE_DUTIES = [
  { code: '3.4', period: '2026-Q3', title: 'Báo cáo tình hình bảo đảm an toàn thông tin mạng quý III năm 2026' },
  { code: '4.5', period: '2026-09', title: 'Rà soát, cập nhật hồ sơ đề xuất cấp độ hệ thống thông tin' },
  { code: '4.6', period: '2026-H1', title: 'Kiểm tra, đánh giá an toàn thông tin định kỳ các hệ thống thông tin' },
  { code: '6.3', period: '2026', title: 'Tổ chức tuyên truyền, phổ biến kiến thức về an toàn thông tin cho cán bộ' },
] as const;
const EXTRA_DUTY = { code: '3.2', period: '2026-Q3', title: 'Báo cáo kết quả giám sát an toàn thông tin' } as const;

/**
 * The day's message of the demo's administrator on 08/10/2026 as the worker loads it: 118
 * escalations (4 duties of 30/09 for most of 28 units, the administrator's own unit among them),
 * and one reminder of the administrator's own unit due that day.
 */
export function lateBundle(channel: Channel, lang: Lang, count = 118): LoadedBundle {
  const items: LoadedItem[] = [];
  const all = LATE_DUTIES.length * LATE_UNITS.length;
  for (let i = 0; i < count; i++) {
    // Every duty for every unit, then a fifth duty for some of them (112 + 6 = 118).
    const duty = i < all ? LATE_DUTIES[i % LATE_DUTIES.length]! : EXTRA_DUTY;
    const unit = LATE_UNITS[(i < all ? Math.floor(i / LATE_DUTIES.length) : i - all + 1) % LATE_UNITS.length]!;
    items.push(item(i + 1, 'escalation', 'escalation-2@20260930', '2026-09-30', unit, duty));
  }
  items.push(
    item(900, 'due', 'due@20261008', '2026-10-08', LATE_UNITS[0], {
      code: '2.1',
      period: '2026-10',
      title: 'Báo cáo tình hình thực hiện Kế hoạch',
    }),
  );
  return {
    id: uuid(999_999),
    orgId: uuid(999_998),
    orgName: 'Thành phố Hồ Chí Minh',
    timeZone: 'Asia/Ho_Chi_Minh',
    status: 'pending',
    channel,
    day: '2026-10-08',
    slot: 'day',
    scheduledAt: new Date('2026-10-08T01:00:00Z'),
    contact: {
      id: uuid(999_997),
      name: 'Quản trị viên Sở TTTT (demo)',
      locale: lang,
      email: 'quantri@so.gov.vn',
      telegramChatId: 1n,
      zaloUserId: 'z1',
      active: true,
      unitName: LATE_UNITS[0],
    },
    items,
  };
}

function item(
  n: number,
  kind: LoadedItem['kind'],
  stage: string,
  due: string,
  unitName: string,
  duty: { code: string; period: string; title: string },
): LoadedItem {
  return {
    id: uuid(n),
    stage,
    kind,
    scheduledAt: new Date('2026-10-08T01:00:00Z'),
    obligation: {
      id: uuid(100_000 + n),
      status: 'open',
      current: true,
      dueAt: new Date(`${due}T16:59:59Z`),
      extendedTo: null,
      periodKey: duty.period,
      unitName,
      unitId: uuid(200_000 + LATE_UNITS.indexOf(unitName as (typeof LATE_UNITS)[number])),
      dutyOrigin: 'appendix',
      dutyCode: duty.code,
      dutyTitle: duty.title,
      planCode: '3131/KH-UBND',
      planTitle: 'Kế hoạch bảo đảm an toàn thông tin mạng năm 2026',
    },
  };
}
