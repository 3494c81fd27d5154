import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DeliveryError, type Recipient } from '#root/channels/types.js';
import { isWebhookSecret } from '#root/channels/webhook/signature.js';
import {
  hasWebhookAddress,
  parseWebhookAddress,
  showWebhookAddress,
  webhookAddressFromRecipient,
} from '#root/channels/webhook/store.js';
import { UserError } from '#root/errors/index.js';
import { inOneLanguage } from '#root/messages/chat-words.js';

const secretKey = randomBytes(32).toString('base64url');
const person: Recipient = {
  contactId: 'c-1',
  name: 'Sở Y tế',
  locale: 'vi',
  email: null,
  telegramChatId: null,
  zaloUserId: null,
};

/** What a registry's address spec is made of: parse what was typed, has, show, and the transport's lookup. */
describe('a webhook address as columns of a contact', () => {
  it('parses a typed URL into the URL and a new sealed secret, shown once', async () => {
    const parsed = parseWebhookAddress(' https://vanban.tinh.gov.vn/api/dondoc?key=bimat ', { secretKey });
    expect(parsed.columns.webhookUrl).toBe('https://vanban.tinh.gov.vn/api/dondoc?key=bimat');
    expect(isWebhookSecret(parsed.secret)).toBe(true);
    expect(parsed.columns.webhookSecret).toMatch(/^v1\./);
    expect(parsed.columns.webhookSecret).not.toContain(parsed.secret.slice(6));
    expect(parsed.masked).toBe('https://vanban.tinh.gov.vn/…/dondoc?…');
    expect(hasWebhookAddress(parsed.columns)).toBe(true);
    expect(showWebhookAddress(parsed.columns)).toBe(parsed.masked);
    expect(hasWebhookAddress({ webhookUrl: null, webhookSecret: null })).toBe(false);
    expect(showWebhookAddress({})).toBeNull();
    // The transport reads it back from the recipient's columns, the secret opened.
    const lookup = webhookAddressFromRecipient(secretKey);
    expect(await lookup({ ...person, ...parsed.columns })).toEqual({
      url: parsed.columns.webhookUrl,
      secret: parsed.secret,
    });
    expect(await lookup(person)).toBeNull();
    // Another deployment key: the address fails for good, to be set again.
    await expect(
      webhookAddressFromRecipient(randomBytes(32).toString('base64url'))({ ...person, ...parsed.columns }),
    ).rejects.toMatchObject({ permanent: true, scope: 'address' });
    await expect(
      webhookAddressFromRecipient(randomBytes(32).toString('base64url'))({ ...person, ...parsed.columns }),
    ).rejects.toBeInstanceOf(DeliveryError);
  });

  it('makes a new secret each time', () => {
    const a = parseWebhookAddress('https://vanban.tinh.gov.vn/hook', { secretKey });
    const b = parseWebhookAddress('https://vanban.tinh.gov.vn/hook', { secretKey });
    expect(a.secret).not.toBe(b.secret);
  });

  it('refuses bad input with a UserError in both languages, saying what is wrong', () => {
    const refusal = (raw: string, allow = [] as { host: string; port: number }[]) => {
      try {
        parseWebhookAddress(raw, { secretKey, allow });
      } catch (error) {
        expect(error).toBeInstanceOf(UserError);
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    const metadata = refusal('http://169.254.169.254/latest/meta-data/');
    expect(inOneLanguage(metadata, 'vi')).toBe(
      'Địa chỉ webhook trỏ vào mạng nội bộ hoặc một địa chỉ đặc biệt («169.254.169.254»). Chỉ gửi được tới máy chủ công khai, hoặc máy chủ mà quản trị hệ thống đã cho phép.',
    );
    expect(inOneLanguage(metadata, 'en')).toMatch(/^The webhook address points into a private network/);
    expect(inOneLanguage(refusal('vanban.tinh.gov.vn'), 'en')).toBe(
      '«vanban.tinh.gov.vn» is not a valid web address. Type it in full, as https://host/path.',
    );
    expect(inOneLanguage(refusal('http://vanban.tinh.gov.vn/hook'), 'vi')).toMatch(/^Địa chỉ webhook phải dùng https:/);
    expect(() =>
      parseWebhookAddress('http://127.0.0.1:8088/hook', { secretKey, allow: [{ host: '127.0.0.1', port: 8088 }] }),
    ).not.toThrow();
  });
});
