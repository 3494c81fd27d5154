import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '#root/config.js';

describe('the webhook settings', () => {
  it('read WEBHOOK_ALLOW_HOSTS as host:port pairs and WEBHOOK_TIMEOUT_SECONDS within 1–90', () => {
    const c = loadConfig({ WEBHOOK_ALLOW_HOSTS: '127.0.0.1:8088, vanban.tinh.local:443,[::1]:9000' });
    expect(c.WEBHOOK_ALLOW_HOSTS).toEqual([
      { host: '127.0.0.1', port: 8088 },
      { host: 'vanban.tinh.local', port: 443 },
      { host: '::1', port: 9000 },
    ]);
    expect(c.WEBHOOK_TIMEOUT_SECONDS).toBe(10);
    expect(loadConfig({}).WEBHOOK_ALLOW_HOSTS).toBeUndefined();
    expect(() => loadConfig({ WEBHOOK_ALLOW_HOSTS: '127.0.0.1' })).toThrow(ConfigError);
    expect(() => loadConfig({ WEBHOOK_TIMEOUT_SECONDS: '120' })).toThrow(/WEBHOOK_TIMEOUT_SECONDS: tối đa 90/);
  });
});
