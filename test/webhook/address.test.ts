import { describe, expect, it } from 'vitest';
import { checkWebhookUrl, maskWebhookUrl, webhookUrlProblemText } from '#root/channels/webhook/address.js';
import { refusedRange } from '#root/channels/webhook/ip.js';

const allow = [{ host: '127.0.0.1', port: 8088 }];

describe('a webhook address an administrator types', () => {
  it('is kept when it is a public https URL (trimmed, without its fragment)', () => {
    expect(checkWebhookUrl('  https://vanban.tinh.gov.vn/api/dondoc?nguon=1#x  ')).toEqual({
      ok: true,
      url: 'https://vanban.tinh.gov.vn/api/dondoc?nguon=1',
    });
    expect(checkWebhookUrl('https://203.162.4.190:8443/hook').ok).toBe(true);
  });

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    [`https://a.gov.vn/${'x'.repeat(2_000)}`, 'tooLong'],
    ['vanban.tinh.gov.vn/api', 'invalid'],
    ['https://', 'invalid'],
    ['https://van ban.gov.vn/', 'invalid'],
    ['ftp://vanban.tinh.gov.vn/in', 'scheme'],
    ['javascript:alert(1)', 'scheme'],
    ['http://vanban.tinh.gov.vn/api', 'https'],
    ['https://user:pass@vanban.tinh.gov.vn/api', 'credentials'],
    ['https://localhost/hook', 'private'],
    ['https://vanban.internal/hook', 'private'],
    ['https://intranet/hook', 'private'],
    ['https://127.0.0.1/hook', 'private'],
    ['https://10.0.0.1/hook', 'private'],
    ['https://169.254.169.254/latest/meta-data/', 'private'],
    ['https://[::1]/hook', 'private'],
    ['https://[::ffff:10.0.0.1]/hook', 'private'],
    ['https://[fd00::1]/hook', 'private'],
    ['https://0x7f.1/hook', 'private'],
    ['https://2130706433/hook', 'private'],
    ['http://127.0.0.1:8089/hook', 'private'],
  ])('refuses «%s»: %s', (input, problem) => {
    const check = checkWebhookUrl(input, allow);
    expect(check).toMatchObject({ ok: false, problem });
  });

  it('accepts http and a private address only for an allowed host:port', () => {
    expect(checkWebhookUrl('http://127.0.0.1:8088/hook', allow)).toEqual({
      ok: true,
      url: 'http://127.0.0.1:8088/hook',
    });
    expect(checkWebhookUrl('https://127.0.0.1:8088/hook', allow).ok).toBe(true);
    expect(checkWebhookUrl('http://127.0.0.1:8088/hook').ok).toBe(false);
  });

  it('says what is wrong in the person language, without the whole of a long paste', () => {
    const vi = (input: string) => {
      const c = checkWebhookUrl(input);
      if (c.ok) throw new Error('accepted');
      return webhookUrlProblemText('vi', c);
    };
    expect(vi('')).toBe('Chưa nhập địa chỉ webhook.');
    expect(vi('http://vanban.tinh.gov.vn/api')).toMatch(/^Địa chỉ webhook phải dùng https:\/\//);
    expect(vi('https://10.0.0.1/hook')).toContain('mạng nội bộ hoặc một địa chỉ đặc biệt («10.0.0.1»)');
    expect(vi('vanban')).toBe(
      '«vanban» không phải một địa chỉ web hợp lệ. Hãy nhập đủ dạng https://máy-chủ/đường-dẫn.',
    );
    expect(vi(`x${'y'.repeat(500)}`)).toContain('…»');
    const c = checkWebhookUrl(`https://a.gov.vn/${'x'.repeat(2_000)}`);
    expect(!c.ok && webhookUrlProblemText('en', c)).toBe('The webhook address is longer than 2000 characters.');
    const u = checkWebhookUrl('https://u:p@a.gov.vn/');
    expect(!u.ok && webhookUrlProblemText('en', u)).toMatch(/must not contain a user name or password/);
  });

  it('is shown masked: host and the last part of its path, never the query', () => {
    expect(maskWebhookUrl('https://vanban.tinh.gov.vn/api/v2/dondoc?key=bimat')).toBe(
      'https://vanban.tinh.gov.vn/…/dondoc?…',
    );
    expect(maskWebhookUrl('https://vanban.tinh.gov.vn:8443/hook')).toBe('https://vanban.tinh.gov.vn:8443/hook');
    expect(maskWebhookUrl('https://vanban.tinh.gov.vn')).toBe('https://vanban.tinh.gov.vn');
    expect(maskWebhookUrl('not a url')).toBe('…');
  });
});

describe('the addresses refused', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'cgnat'],
    ['224.0.0.251', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fd12:3456::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'ipv4-mapped'],
    ['::ffff:8.8.8.8', 'ipv4-mapped'],
    ['64:ff9b::a00:1', 'translated'],
    ['2001:db8::1', 'documentation'],
  ])('%s is %s', (ip, range) => {
    expect(refusedRange(ip)).toBe(range);
  });

  it.each(['8.8.8.8', '203.162.4.190', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '2402:800::1'])(
    '%s is public',
    (ip) => {
      expect(refusedRange(ip)).toBeUndefined();
    },
  );
});
