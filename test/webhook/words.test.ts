import { describe, expect, it } from 'vitest';
import { webhookDeliveryError } from '#root/channels/webhook/index.js';
import { WebhookNetworkError, WebhookRefusedError } from '#root/channels/webhook/transport.js';
import { refusalInWords } from '#root/messages/refusal-words.js';

/** The webhook's failures as the administrators' digest tells them: in words, never the raw reason. */
describe('the webhook channel’s refusals, for people', () => {
  const reasons = (error: unknown) => {
    const failure = webhookDeliveryError(error);
    if (!failure) throw new Error('no failure');
    return failure.message;
  };
  const given = (message: string) => `${message}; failed 4 times in a row, sent by the next channel`;

  it.each([
    [reasons({ status: 410, retryAfterSeconds: undefined, redirects: 0 }), /^hệ thống nhận không còn nhận tin/],
    [
      reasons({ status: 422, retryAfterSeconds: undefined, redirects: 0 }),
      /^hệ thống nhận từ chối tin này — nhờ bên quản lý hệ thống nhận xem nhật ký/,
    ],
    [
      reasons(new WebhookRefusedError('private', 'redirect to 169.254.169.254 refused: it resolves to x', true)),
      /^địa chỉ webhook trỏ hoặc chuyển hướng vào mạng nội bộ/,
    ],
    [reasons(new WebhookRefusedError('redirects', 'more than 3 redirects', true)), /^địa chỉ webhook không an toàn/],
    [
      given(reasons(new WebhookNetworkError('no answer within 10000 ms', true, true, 'ETIMEDOUT'))),
      /nhiều lần liền nên tin được gửi qua kênh kế tiếp — nhờ bên quản lý/,
    ],
    [given(reasons({ status: 503, retryAfterSeconds: undefined, redirects: 0 })), /nhiều lần liền nên/],
    [
      'Webhook: a.gov.vn asked to wait until 2026-12-07T01:00:00.000Z (429); refused 12 times in a row without a request, sent by the next channel',
      /^hệ thống nhận yêu cầu chờ \(báo quá tải, mã 429\) quá lâu/,
    ],
    ['webhook secret cannot be read (SECRET_KEY changed?): set the address again', /^khóa ký webhook/],
    ['contact has no webhook address', /^đầu mối chưa có địa chỉ webhook — thêm địa chỉ trên trang đơn vị$/],
  ])('%s', (raw, words) => {
    const vi = refusalInWords(raw, 'vi');
    expect(vi).toMatch(words);
    const en = refusalInWords(raw, 'en');
    // What happened, then what the administrator can do.
    expect(vi).toMatch(/^.+ — .+$/);
    expect(en).toMatch(/^.+ — .+$/);
    expect(en).not.toMatch(/[ăâđêôơư]/i);
    expect(en).not.toMatch(/Webhook \d|refused:|SECRET_KEY/);
    expect(en).not.toBe('the channel refused this message without giving a reason');
  });
});
