import { channelLabel } from '#root/channels/registry.js';
import { failureInWords } from '#root/messages/refusal-words.js';
import type { AuditNames } from '#root/services/audit-names.js';
import { html, translator, type Html, type Lang } from './html.js';

/** What each action did, as a verb phrase before its object: "đã xác nhận hoàn thành" BC-15/11 của Sở Y tế. */
const VERB: Record<string, [string, string]> = {
  'admin.create': ['đã tạo tài khoản quản trị', 'created the administrator account'],
  'admin.login': ['đã đăng nhập', 'logged in'],
  'admin.password': ['đã đổi mật khẩu', 'changed the password'],
  'contact.channel-disabled': ['đã tắt kênh lỗi của', 'disabled a failing channel of'],
  'contact.channel-enabled': ['đã dùng lại kênh từng lỗi của', 'enabled again a failed channel of'],
  'contact.address': ['đã đổi địa chỉ nhận nhắc của', 'changed an address of'],
  'contact.channels': ['đã đổi kênh nhận nhắc của', 'changed the channels of'],
  'contact.create': ['đã thêm người liên hệ', 'added the contact'],
  'contact.unreachable': ['báo không liên lạc được với', 'reported unreachable:'],
  'demo.seed': ['đã tạo dữ liệu mẫu', 'seeded the demo'],
  'duty.fix': ['đã sửa nhiệm vụ', 'corrected the duty'],
  'duty.nudge-late': ['đã nhắc mọi đơn vị trễ hạn nhiệm vụ', 'reminded every unit late for'],
  'duty.units': ['đã đổi đơn vị chủ trì, phối hợp của nhiệm vụ', 'changed the lead and cooperating units of'],
  'extension.request': ['đã xin gia hạn', 'asked for an extension of'],
  'extension.decide': ['đã quyết định đề nghị gia hạn', 'decided the extension request of'],
  'group.add-members': ['đã thêm đơn vị vào nhóm', 'added units to the group'],
  'group.create': ['đã tạo nhóm', 'created the group'],
  'group.accept': ['đã chấp nhận nhóm đề xuất', 'accepted the proposed group'],
  'group.alias': ['đã thêm tên khác cho nhóm', 'added an alias to the group'],
  'group.remove-members': ['đã bỏ đơn vị khỏi nhóm', 'removed units from the group'],
  'group.rename': ['đã đổi tên nhóm', 'renamed the group'],
  'holiday.remove': ['đã bỏ một ngày nghỉ', 'removed a holiday'],
  'holiday.set': ['đã đặt một ngày nghỉ', 'set a holiday'],
  'invite.create': ['đã tạo mã mời', 'created an invite'],
  'invite.use': ['đã dùng mã mời', 'used an invite'],
  'obligation.confirm': ['đã xác nhận hoàn thành', 'confirmed'],
  'obligation.extend': ['đã gia hạn', 'extended'],
  'obligation.nudge': ['đã nhắc ngay', 'nudged'],
  'obligation.undo-confirm': ['đã hủy xác nhận', 'undid the confirmation of'],
  'obligation.undo-waive': ['đã hủy miễn', 'undid the waiver of'],
  'obligation.waive': ['đã miễn', 'waived'],
  'obligations.reconcile': ['đã cập nhật nghĩa vụ theo lịch', 'reconciled the obligations'],
  'org.create': ['đã tạo tổ chức', 'created the organisation'],
  'org.update': ['đã sửa thiết lập tổ chức', 'changed the organisation’s settings'],
  'outbox.answer': ['đã trả lời thư thử thay người nhận', 'answered a sandbox message for'],
  'plan.import': ['đã nhập kế hoạch', 'imported the plan'],
  'policy.clear': ['đã bỏ chính sách nhắc riêng của', 'removed the reminder policy of'],
  'policy.set': ['đã đặt chính sách nhắc cho', 'set the reminder policy of'],
  'reminder.failed': ['không gửi được nhắc nhở cho', 'could not deliver a reminder to'],
  'template.reset': ['đã dùng lại mẫu tin gốc', 'reset a template'],
  'template.update': ['đã sửa mẫu tin', 'edited a template'],
  'unit.accept': ['đã chấp nhận đơn vị đề xuất', 'accepted the proposed unit'],
  'unit.alias': ['đã thêm tên khác cho', 'added an alias to'],
  'unit.calendar-token': ['đã tạo địa chỉ lịch cho', 'made a calendar address for'],
  'unit.create': ['đã thêm đơn vị', 'added the unit'],
  'unit.merge': ['đã gộp vào đơn vị', 'merged into the unit'],
};

/** The actions about one channel of a contact, whose verb names it: "đã tắt kênh Telegram bị lỗi của". */
const CHANNEL_VERB: Record<string, [(channel: string) => string, (channel: string) => string]> = {
  'contact.channel-disabled': [(c) => `đã tắt kênh ${c} bị lỗi của`, (c) => `disabled the failing ${c} channel of`],
  'contact.channel-enabled': [
    (c) => `đã dùng lại kênh ${c} từng lỗi của`,
    (c) => `enabled again the failed ${c} channel of`,
  ],
};

/** The system's records of a channel failing, whose reason is the channel's answer, not a person's words. */
const CHANNEL_FAILURES = new Set(['contact.channel-disabled', 'reminder.failed', 'digest.failed']);

const num = (data: Record<string, unknown>, key: string) => (typeof data[key] === 'number' ? data[key] : null);

/** A few words of what the row's data says (counts, the reason), never its JSON. */
function details(action: string, data: Record<string, unknown>, t: ReturnType<typeof translator>): string {
  const parts: string[] = [];
  if (action === 'obligation.nudge' && num(data, 'reminders') !== null)
    parts.push(
      t(
        `${num(data, 'reminders')} nhắc nhở cho ${num(data, 'obligations')} nghĩa vụ`,
        `${num(data, 'reminders')} reminders for ${num(data, 'obligations')} obligations`,
      ),
    );
  if (action === 'duty.nudge-late' && num(data, 'units') !== null)
    parts.push(t(`${num(data, 'units')} đơn vị`, `${num(data, 'units')} units`));
  if (action.startsWith('group.') && Array.isArray(data.units))
    parts.push(data.units.filter((u): u is string => typeof u === 'string').join(', '));
  if (action === 'group.rename' && typeof data.from === 'string' && typeof data.to === 'string')
    parts.push(t(`«${data.from}» thành «${data.to}»`, `«${data.from}» to «${data.to}»`));
  if (typeof data.alias === 'string') parts.push(`«${data.alias}»`);
  if (typeof data.name === 'string' && action !== 'unit.create') parts.push(`«${data.name}»`);
  return parts.join(', ');
}

/**
 * One audit row in words: who did what to which thing (a link to its page), with the reason given,
 * e.g. "Chị Quản Trị (quản trị viên) đã miễn BC-15/11 của Sở Y tế. Lý do: «…»".
 */
export function describeAudit(
  r: { actor: string; action: string; entity: string; entityId: string | null; data: unknown },
  names: AuditNames,
  lang: Lang,
): Html {
  const t = translator(lang);
  const thing = names.entity(r.entity, r.entityId);
  const data =
    r.data && typeof r.data === 'object' && !Array.isArray(r.data) ? (r.data as Record<string, unknown>) : {};
  const extra = details(r.action, data, t);
  const byChannel = CHANNEL_VERB[r.action];
  const verb =
    byChannel && typeof data.channel === 'string'
      ? ([byChannel[0](channelLabel(data.channel, 'vi')), byChannel[1](channelLabel(data.channel, 'en'))] as const)
      : VERB[r.action];
  const given = typeof data.reason === 'string' && data.reason ? data.reason : null;
  // A channel's failure keeps the channel's own answer as its reason: told in words, with what to
  // do, not quoted; a person's reason is quoted as they wrote it.
  const failure = given && CHANNEL_FAILURES.has(r.action) ? failureInWords(given, lang) : null;
  const reason = failure ? null : given;
  const object = thing ? (thing.href ? html` <a href="${thing.href}">${thing.name}</a>` : html` ${thing.name}`) : '';
  return html`<strong>${names.actor(r.actor)}</strong> ${verb ? t(...verb) : r.action}${object}${extra ? ` (${extra})` : ''}.${reason ? html` <span class="muted">${t('Lý do', 'Reason')}: «${reason.length > 300 ? `${reason.slice(0, 299)}…` : reason}»</span>` : ''}${failure ? html` <span class="muted">${t('Lý do', 'Reason')}: ${failure}</span>` : ''}`;
}
