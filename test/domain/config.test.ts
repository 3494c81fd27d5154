import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from '#root/config.js';

const read = (p: string) => readFileSync(new URL(`../../${p}`, import.meta.url), 'utf8');

describe('configuration', () => {
  it('has working defaults for a newcomer on a fresh clone', () => {
    const c = loadConfig({});
    expect(c.DATABASE_URL).toBe('postgresql://postgres@127.0.0.1:5432/dondoc');
    expect(c.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(c.ROLES).toEqual(['scheduler', 'worker', 'web', 'bot']);
    expect(c.DEFAULT_TIME_ZONE).toBe('Asia/Ho_Chi_Minh');
    expect(c.SEED_DEMO).toBe(true);
    // Telegram's limits are kept on our side unless a deployment says otherwise.
    expect(c.TELEGRAM_LIMITS).toBe('on');
    expect(loadConfig({ TELEGRAM_LIMITS: 'off' }).TELEGRAM_LIMITS).toBe('off');
    // No key from the source: without SECRET_KEY the program resolves its own (src/services/secret-key.ts).
    expect(c.SECRET_KEY).toBeUndefined();
  });

  it('treats empty values as unset, as a copied .env.example has them', () => {
    expect(loadConfig({ PORT: '', ROLES: '' }).PORT).toBe(3000);
  });

  it.each([
    ['PORT', 'abc', /PORT: phải là một số/],
    ['PORT', '70000', /PORT: tối đa 65535/],
    ['DATABASE_URL', 'mysql://x', /DATABASE_URL: phải là URL postgresql:/],
    ['ROLES', 'scheduler,cook', /ROLES: vai trò không hợp lệ: cook/],
    ['SEED_DEMO', 'maybe', /SEED_DEMO: phải là true hoặc false/],
    ['DEFAULT_TIME_ZONE', 'Mars/Olympus', /DEFAULT_TIME_ZONE: múi giờ IANA không hợp lệ/],
    ['REDIS_PREFIX', 'a:b', /REDIS_PREFIX/],
    // A Telegram call must end before its claim's 120 s lease could lapse.
    ['TELEGRAM_TIMEOUT_SECONDS', '120', /TELEGRAM_TIMEOUT_SECONDS: tối đa 90/],
    ['TELEGRAM_LIMITS', 'no', /TELEGRAM_LIMITS: phải là on hoặc off/],
  ])('refuses %s=%s with a message naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('requires a secret key in production, and reports every problem at once', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/SECRET_KEY: bắt buộc/);
    try {
      loadConfig({ PORT: 'x', ROLES: 'y' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toHaveLength(2);
    }
  });

  it('reaches Redis through one server, Sentinel or a Cluster, and says clearly what is wrong', () => {
    const sentinel = loadConfig({
      REDIS_SENTINELS: 'a.example:26379, 10.0.0.2:26380,[::1]:26381',
      REDIS_SENTINEL_NAME: 'dondoc',
    });
    expect(sentinel.REDIS_SENTINELS).toEqual([
      { host: 'a.example', port: 26379 },
      { host: '10.0.0.2', port: 26380 },
      { host: '::1', port: 26381 },
    ]);
    expect(sentinel.REDIS_PREFIX).toBe('dondoc');
    // On a Cluster every key shares the prefix's hash tag.
    expect(loadConfig({ REDIS_CLUSTER_NODES: 'r1:7000,r2:7000' }).REDIS_PREFIX).toBe('{dondoc}');
    expect(loadConfig({ REDIS_CLUSTER_NODES: 'r1:7000', REDIS_PREFIX: '{x}' }).REDIS_PREFIX).toBe('{x}');
    const refused: [Record<string, string>, RegExp][] = [
      [{ REDIS_SENTINELS: 'a.example' }, /REDIS_SENTINELS: địa chỉ không hợp lệ: "a.example"/],
      [{ REDIS_SENTINELS: 'a:70000', REDIS_SENTINEL_NAME: 'm' }, /REDIS_SENTINELS: .*not host:port/],
      [{ REDIS_SENTINELS: 'a:26379' }, /REDIS_SENTINEL_NAME: bắt buộc khi có REDIS_SENTINELS/],
      [{ REDIS_SENTINEL_NAME: 'm' }, /REDIS_SENTINEL_NAME: chỉ dùng khi có REDIS_SENTINELS/],
      [{ REDIS_SENTINELS: 'a:1', REDIS_SENTINEL_NAME: 'm', REDIS_CLUSTER_NODES: 'b:2' }, /chỉ chọn một/],
      [{ REDIS_CLUSTER_NODES: 'b:2', REDIS_URL: 'redis://x:6379' }, /REDIS_URL: không dùng cùng REDIS_CLUSTER_NODES/],
      [{ REDIS_CLUSTER_NODES: ',' }, /REDIS_CLUSTER_NODES: cần ít nhất một host:port/],
      [{ REDIS_PREFIX: '{a' }, /REDIS_PREFIX/],
    ];
    for (const [env, message] of refused) expect(() => loadConfig(env), JSON.stringify(env)).toThrow(message);
  });

  it('lists every variable in .env.example and in the README, and nothing else', () => {
    const example = [...read('.env.example').matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]);
    expect(example.sort()).toEqual([...CONFIG_VARIABLES].sort());
    const readme = read('README.md');
    for (const v of CONFIG_VARIABLES) expect(readme, v).toContain(`\`${v}\``);
  });
});

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml')) as {
    services: Record<
      string,
      { environment?: Record<string, string>; depends_on?: Record<string, unknown>; build?: string; image?: string }
    >;
  };

  it('runs PostgreSQL, Redis and the app built from the Dockerfile', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['app', 'postgres', 'redis']);
    expect(compose.services.app!.build).toBe('.');
    expect(Object.keys(compose.services.app!.depends_on ?? {}).sort()).toEqual(['postgres', 'redis']);
    expect(read('Dockerfile')).toMatch(/src\/main\.ts/);
  });

  it('passes the app only variables the configuration knows, and the ones production needs', () => {
    const env = Object.keys(compose.services.app!.environment ?? {});
    expect(env.filter((v) => !CONFIG_VARIABLES.includes(v))).toEqual([]);
    for (const needed of ['DATABASE_URL', 'REDIS_URL', 'SECRET_KEY', 'NODE_ENV']) expect(env).toContain(needed);
  });

  it('points the app at the compose services, with a configuration that validates', () => {
    const env = compose.services.app!.environment!;
    // Resolve ${VAR:-default} and ${VAR:?message} as compose does, with a secret given.
    const resolved = Object.fromEntries(
      Object.entries(env).map(([k, v]) => [
        k,
        String(v)
          .replace(/\$\{SECRET_KEY:\?[^}]*\}/, 'x'.repeat(40))
          .replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1'),
      ]),
    );
    expect(resolved.DATABASE_URL).toMatch(/@postgres:5432\//);
    expect(resolved.REDIS_URL).toBe('redis://redis:6379');
    expect(() => loadConfig(resolved)).not.toThrow();
  });
});
