import { channelWords } from '#root/channels/registry.js';
import { telegramDeadChat, type TelegramDeadChat } from '#root/channels/telegram/errors.js';
import { zaloDeadChat, type ZaloDeadChat } from '#root/channels/zalo/index.js';
import type { Lang } from '#root/domain/wording.js';
import { say, type ChatKey } from './chat-words.js';

/**
 * A refused message, told to people: the channel's name and the reason in words. The channel's raw
 * answer ("Telegram 400: Bad Request: can't parse entities…") stays in the audit log and the
 * reminder's `lastError`; it is never shown in a message.
 */

/**
 * A channel's name for people ("thư điện tử"), from its spec's locale key; an unknown one as
 * "kênh khác" / "another channel".
 */
export const channelInWords = (channel: string, lang: Lang): string => channelWords(channel, lang);

/**
 * Why a channel refused one message, for people, from the channel's answer kept in the audit log.
 * The first rule that matches gives the words; an answer no rule knows reads as a refusal without
 * a reason, never as the raw answer.
 */
const REFUSALS: [pattern: RegExp, vi: string, en: string][] = [
  [
    /can't parse entities|unsupported start tag|can't find end tag|unexpected end tag|unclosed/i,
    'kênh không đọc được định dạng của tin (mẫu tin có thẻ HTML sai hoặc không được hỗ trợ)',
    'the channel could not read the message’s formatting (the template has HTML tags that are wrong or not supported)',
  ],
  [
    /from \d+ to \d+ characters/i,
    'độ dài tin không hợp lệ (tin trống hoặc dài quá mức cho phép)',
    'the message’s length was refused (empty or too long)',
  ],
  [/too long|too_long/i, 'tin dài quá mức cho phép', 'the message is longer than allowed'],
  [/text is empty|must be non-empty|empty message/i, 'tin không có nội dung', 'the message was empty'],
  [
    /^Telegram 403\b/,
    'Telegram từ chối tin này mà không nêu lý do cụ thể',
    'Telegram refused this message without giving a reason',
  ],
  [
    /^Telegram 400\b/,
    'Telegram từ chối tin này vì yêu cầu không hợp lệ',
    'Telegram refused this message as an invalid request',
  ],
  [/^Zalo 400\b/, 'Zalo từ chối tin này vì yêu cầu không hợp lệ', 'Zalo refused this message as an invalid request'],
  // The webhook channel's reasons (src/channels/webhook/index.ts): what happened, then what the
  // administrator can do (the address is set on the unit's page; the receiver is someone else's).
  [
    /^Webhook\b.*refused \d+ times in a row without a request/,
    'hệ thống nhận yêu cầu chờ (báo quá tải, mã 429) quá lâu nên tin được gửi qua kênh kế tiếp — nhờ bên quản lý hệ thống nhận tăng giới hạn hoặc rút ngắn thời gian chờ',
    'the receiving system kept asking to wait (overloaded, code 429), so the message went by the next channel — ask its managers to raise its limit or shorten the wait',
  ],
  [
    /^Webhook\b.*failed \d+ times in a row/,
    'hệ thống nhận không trả lời hoặc báo lỗi nhiều lần liền nên tin được gửi qua kênh kế tiếp — nhờ bên quản lý hệ thống nhận kiểm tra hệ thống có chạy và trả lời thành công (mã 2xx) không',
    'the receiving system did not answer, or failed, several times in a row, so the message went by the next channel — ask its managers to check that it is running and answers with success (a 2xx code)',
  ],
  [
    /^Webhook refused: .*resolves to /,
    'địa chỉ webhook trỏ hoặc chuyển hướng vào mạng nội bộ nên bị chặn — dùng một địa chỉ công khai, hoặc nhờ người vận hành hệ thống cho phép máy nhận đó (WEBHOOK_ALLOW_HOSTS), rồi đặt lại địa chỉ trên trang đơn vị',
    'the webhook address points or redirects into a private network, so it was blocked — use a public address, or ask the system’s operator to allow that receiver (WEBHOOK_ALLOW_HOSTS), then set the address again on the unit’s page',
  ],
  [
    /^Webhook refused\b/,
    'địa chỉ webhook không an toàn hoặc chuyển hướng quá nhiều lần nên bị chặn — đặt một địa chỉ https trỏ thẳng tới hệ thống nhận (không chuyển hướng) trên trang đơn vị',
    'the webhook address is unsafe or redirects too often, so it was blocked — set an https address that reaches the receiving system directly (without redirects) on the unit’s page',
  ],
  [
    /^Webhook (401|403|404|405|410)\b/,
    'hệ thống nhận không còn nhận tin ở địa chỉ webhook này — hỏi bên quản lý hệ thống nhận địa chỉ đúng (hoặc quyền nhận tin), rồi đặt lại địa chỉ trên trang đơn vị',
    'the receiving system no longer takes messages at this webhook address — ask its managers for the right address (or access), then set it again on the unit’s page',
  ],
  [
    /^Webhook 4\d\d\b/,
    'hệ thống nhận từ chối tin này — nhờ bên quản lý hệ thống nhận xem nhật ký của họ để biết lý do',
    'the receiving system refused this message — ask its managers to look up why in their logs',
  ],
  [
    /^webhook secret cannot be read/,
    'khóa ký webhook không còn đọc được vì khóa của hệ thống đã đổi — đặt lại địa chỉ webhook trên trang đơn vị để tạo khóa ký mới, rồi gửi khóa đó cho bên nhận',
    'the webhook signing secret can no longer be read, as the system key changed — set the webhook address again on the unit’s page to make a new secret, then give it to the receiving side',
  ],
  [
    /^contact has no webhook address/,
    'đầu mối chưa có địa chỉ webhook — thêm địa chỉ trên trang đơn vị',
    'the contact has no webhook address — add one on the unit’s page',
  ],
  // A chat the contact never linked (src/channels/telegram, src/channels/zalo).
  [/^contact has no linked Telegram chat/, 'đầu mối chưa liên kết Telegram', 'the contact has not linked Telegram'],
  [/^contact has no linked Zalo user/, 'đầu mối chưa liên kết Zalo', 'the contact has not linked Zalo'],
];

const refusalRule = (reason: string) => REFUSALS.find(([pattern]) => pattern.test(reason));

/** The reason a channel refused one message, in words ("tin dài quá mức cho phép"). */
export function refusalInWords(reason: string, lang: Lang): string {
  const rule = refusalRule(reason);
  if (!rule)
    return lang === 'vi'
      ? 'kênh từ chối tin này mà không nêu lý do cụ thể'
      : 'the channel refused this message without giving a reason';
  return lang === 'vi' ? rule[1] : rule[2];
}

/**
 * The failures that have words of their own, each twice in the locale files: `failure.<name>` for
 * administrators ("the recipient blocked the bot — ask them to …"), `contactFailure.<name>` for the
 * contact ("you blocked the bot — …").
 */
type FailureName = {
  [K in ChatKey]: K extends `contactFailure.${infer N}` ? (`failure.${N}` extends ChatKey ? N : never) : never;
}[ChatKey];

/** Each dead Telegram chat (src/channels/telegram/errors.ts) in words: what happened, what to do. */
const TELEGRAM_DEAD_CHAT_WORDS: Record<TelegramDeadChat, FailureName> = {
  blocked: 'telegramBlocked',
  deactivated: 'telegramDeactivated',
  kicked: 'telegramKicked',
  chatNotFound: 'telegramChatNotFound',
  noRights: 'telegramNoRights',
  notStarted: 'telegramNotStarted',
  toBot: 'telegramToBot',
  notMember: 'telegramNotMember',
  groupDeleted: 'telegramGroupDeleted',
};

/** Each dead Zalo chat (src/channels/zalo/index.ts) in words. */
const ZALO_DEAD_CHAT_WORDS: Record<ZaloDeadChat, FailureName> = {
  blocked: 'zaloBlocked',
  notFound: 'zaloNotFound',
  noUser: 'zaloNoUser',
};

/** Other failures of a channel for a contact, by the reason's text (src/channels/email, delivery/fallback.ts). */
const OTHER_FAILURES: [pattern: RegExp, name: FailureName][] = [
  [/^address rejected$|^SMTP: 5\d\d$/, 'emailRejected'],
  [/^contact has no email address$/, 'emailMissing'],
  [/^channel \w+ not configured$/, 'notConfigured'],
];

/** The failure a reason names, when it has words of its own. */
function failureName(reason: string): FailureName | undefined {
  const telegram = telegramDeadChat(reason);
  if (telegram) return TELEGRAM_DEAD_CHAT_WORDS[telegram];
  const zalo = zaloDeadChat(reason);
  if (zalo) return ZALO_DEAD_CHAT_WORDS[zalo];
  return OTHER_FAILURES.find(([pattern]) => pattern.test(reason))?.[1];
}

/**
 * Why a channel failed for a contact, for administrators (the unit, inbox, summary and audit
 * pages, the command line, digests): what happened and what to do ("người nhận đã chặn bot — nhờ
 * họ mở lại bot và gửi /start"), from the reason kept in the audit log or on the reminder. A
 * message's own refusal reads as {@link refusalInWords} does; a reason nothing knows says to check
 * the address and choose the channel again. The raw answer is never part of it.
 */
export function failureInWords(reason: string, lang: Lang): string {
  const name = failureName(reason);
  if (name) return say(lang, `failure.${name}`);
  return refusalRule(reason) ? refusalInWords(reason, lang) : say(lang, 'failure.other');
}

/**
 * Why one of their channels failed, told to the contact (their own `/kenh`): what happened to it
 * and what they can do ("anh/chị đã chặn bot trên Telegram — mở lại bot, bỏ chặn rồi gửi /start"; ask
 * the administrator for a new invite…). A reason without words of its own — a message's refusal
 * included, which the contact cannot fix — says to ask the administrator to check the address, or
 * to choose the channel again to retry. The raw answer is never part of it.
 */
export function failureForContact(reason: string, lang: Lang): string {
  return say(lang, `contactFailure.${failureName(reason) ?? 'other'}`);
}
