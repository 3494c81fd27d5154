import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ZALO_CALLS_PER_SEND, ZALO_RATE_RETRIES_IN_SEND, ZALO_SEND_WAIT_MS } from '#root/channels/send-bounds.js';
import { CONFIG_VARIABLES, ConfigError, loadConfig, recordMarginMs, SHUTDOWN_GRACE_MS } from '#root/config.js';

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
    ['ZALO_TIMEOUT_SECONDS', '91', /ZALO_TIMEOUT_SECONDS: tối đa 90/],
    ['ZALO_TIMEOUT_SECONDS', '0', /ZALO_TIMEOUT_SECONDS: tối thiểu 1/],
    ['SMTP_TIMEOUT_SECONDS', '91', /SMTP_TIMEOUT_SECONDS: tối đa 90/],
    ['SMTP_TIMEOUT_SECONDS', '2.5', /SMTP_TIMEOUT_SECONDS: phải là số nguyên/],
  ])('refuses %s=%s with a message naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('says what is wrong in the person’s language: DONDOC_LANG, else the locale, else Vietnamese', () => {
    const problem = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        return (error as ConfigError).message;
      }
      return '';
    };
    expect(problem({ PORT: 'abc' })).toBe('Cấu hình không hợp lệ:\n  - PORT: phải là một số');
    expect(problem({ PORT: 'abc', DONDOC_LANG: 'en' })).toBe('Invalid configuration:\n  - PORT: must be a number');
    expect(problem({ PORT: 'abc', LANG: 'en_US.UTF-8' })).toMatch(/^Invalid configuration:/);
    expect(problem({ PORT: 'abc', LC_ALL: 'vi_VN.UTF-8', LANG: 'en_US.UTF-8' })).toMatch(/^Cấu hình không hợp lệ:/);
    expect(problem({ PORT: 'abc', DONDOC_LANG: 'vi', LANG: 'en_US.UTF-8' })).toMatch(/^Cấu hình không hợp lệ:/);
    // zod's own words are ours too: a text too short.
    expect(problem({ MAIL_FROM: 'ab', DONDOC_LANG: 'en' })).toMatch(/MAIL_FROM: at least 3 characters/);
    // An unknown language is the variable's own problem (the language being unknown, in Vietnamese).
    expect(problem({ DONDOC_LANG: 'fr' })).toMatch(/DONDOC_LANG: phải là một trong các giá trị: vi, en/);
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
      [{ REDIS_SENTINELS: 'a:70000', REDIS_SENTINEL_NAME: 'm', DONDOC_LANG: 'en' }, /REDIS_SENTINELS: not host:port/],
      [{ REDIS_SENTINELS: 'a:26379' }, /REDIS_SENTINEL_NAME: bắt buộc khi có REDIS_SENTINELS/],
      [{ REDIS_SENTINEL_NAME: 'm' }, /REDIS_SENTINEL_NAME: chỉ dùng khi có REDIS_SENTINELS/],
      [{ REDIS_SENTINELS: 'a:1', REDIS_SENTINEL_NAME: 'm', REDIS_CLUSTER_NODES: 'b:2' }, /chỉ chọn một/],
      [{ REDIS_CLUSTER_NODES: ',' }, /REDIS_CLUSTER_NODES: cần ít nhất một host:port/],
      [{ REDIS_PREFIX: '{a' }, /REDIS_PREFIX/],
    ];
    for (const [env, message] of refused) expect(() => loadConfig(env), JSON.stringify(env)).toThrow(message);
  });

  describe("the claim's lease", () => {
    const token = '123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ';

    it('is 120 s unless CLAIM_LEASE_SECONDS says otherwise, within its bounds', () => {
      expect(loadConfig({}).CLAIM_LEASE_SECONDS).toBe(120);
      expect(loadConfig({ CLAIM_LEASE_SECONDS: '300' }).CLAIM_LEASE_SECONDS).toBe(300);
      expect(() => loadConfig({ CLAIM_LEASE_SECONDS: '1' })).toThrow(/CLAIM_LEASE_SECONDS: tối thiểu 2/);
      expect(() => loadConfig({ CLAIM_LEASE_SECONDS: '3601' })).toThrow(/CLAIM_LEASE_SECONDS: tối đa 3600/);
    });

    it('keeps a sixth of the lease, at most 20 s, to record an outcome', () => {
      expect(recordMarginMs(120_000)).toBe(20_000);
      expect(recordMarginMs(600_000)).toBe(20_000);
      expect(recordMarginMs(6_000)).toBe(1_000);
    });

    it('counts a Zalo send as every call it may make, a 429 not waited out under the claim', () => {
      // A send is ZALO_CALLS_PER_SEND calls of ZALO_TIMEOUT_SECONDS and the 429 hints waited between
      // them (src/channels/send-bounds.ts; test/zalo/channel.test.ts checks the channel makes one
      // call and waits none): the largest that fits is named.
      expect(ZALO_RATE_RETRIES_IN_SEND).toBe(0);
      const zalo = { ZALO_BOT_TOKEN: '123:abcdefghij', CLAIM_LEASE_SECONDS: '100' };
      const most = Math.floor((100_000 - recordMarginMs(100_000) - ZALO_SEND_WAIT_MS) / ZALO_CALLS_PER_SEND / 1000);
      expect(most).toBe(83);
      expect(loadConfig({ ...zalo, ZALO_TIMEOUT_SECONDS: String(most) }).ZALO_TIMEOUT_SECONDS).toBe(most);
      expect(() => loadConfig({ ...zalo, ZALO_TIMEOUT_SECONDS: String(most + 1) })).toThrow(
        new RegExp(`ZALO_TIMEOUT_SECONDS: ${most + 1} s, .*\\(tối đa ${most} với hạn này`),
      );
      // The default lease holds the longest Zalo timeout: 90 s + 20 s to record ≤ 120 s.
      expect(loadConfig({ ZALO_BOT_TOKEN: zalo.ZALO_BOT_TOKEN, ZALO_TIMEOUT_SECONDS: '90' }).CLAIM_LEASE_SECONDS).toBe(
        120,
      );
    });

    it('refuses a lease that a configured channel’s send could outlast, saying how to fix it', () => {
      // Telegram: 30 s waiting for its limits + the call's timeout + 20 s to record ≤ 120 s.
      expect(loadConfig({ TELEGRAM_BOT_TOKEN: token, TELEGRAM_TIMEOUT_SECONDS: '70' }).TELEGRAM_TIMEOUT_SECONDS).toBe(
        70,
      );
      expect(() => loadConfig({ TELEGRAM_BOT_TOKEN: token, TELEGRAM_TIMEOUT_SECONDS: '71' })).toThrow(
        /TELEGRAM_TIMEOUT_SECONDS: .*CLAIM_LEASE_SECONDS=120 s \(tối đa 70 với hạn này, hoặc tăng CLAIM_LEASE_SECONDS\)/,
      );
      // Without our own pacing the call alone counts.
      expect(
        loadConfig({ TELEGRAM_BOT_TOKEN: token, TELEGRAM_TIMEOUT_SECONDS: '90', TELEGRAM_LIMITS: 'off' })
          .TELEGRAM_TIMEOUT_SECONDS,
      ).toBe(90);
      // Without a token there is no Telegram channel to check.
      expect(loadConfig({ CLAIM_LEASE_SECONDS: '20' }).CLAIM_LEASE_SECONDS).toBe(20);
      expect(() => loadConfig({ CLAIM_LEASE_SECONDS: '20', TELEGRAM_BOT_TOKEN: token }, 'en')).toThrow(
        /TELEGRAM_TIMEOUT_SECONDS: .*must fit in the claim's lease CLAIM_LEASE_SECONDS=20 s \(impossible with this lease/,
      );
      // Webhooks are always checked (their receivers are in the database).
      expect(() => loadConfig({ CLAIM_LEASE_SECONDS: '10' })).toThrow(
        /WEBHOOK_TIMEOUT_SECONDS: .*tối đa 8 với hạn này/,
      );
      // Zalo and email: their timeouts (10 s and 30 s by default) + 20 s to record ≤ 120 s, checked only
      // when the channel is configured; the message names the largest that fits.
      const zalo = { ZALO_BOT_TOKEN: '123:abcdefghij' };
      const smtp = { SMTP_URL: 'smtp://mail.example' };
      expect(loadConfig({ ...zalo, ...smtp })).toMatchObject({ ZALO_TIMEOUT_SECONDS: 10, SMTP_TIMEOUT_SECONDS: 30 });
      expect(loadConfig({ ...zalo, ZALO_TIMEOUT_SECONDS: '90' }).ZALO_TIMEOUT_SECONDS).toBe(90);
      expect(loadConfig({ ...smtp, SMTP_TIMEOUT_SECONDS: '90' }).SMTP_TIMEOUT_SECONDS).toBe(90);
      expect(loadConfig({ ...zalo, CLAIM_LEASE_SECONDS: '100', ZALO_TIMEOUT_SECONDS: '83' }).ZALO_TIMEOUT_SECONDS).toBe(
        83,
      );
      expect(() => loadConfig({ ...zalo, CLAIM_LEASE_SECONDS: '100', ZALO_TIMEOUT_SECONDS: '84' })).toThrow(
        /ZALO_TIMEOUT_SECONDS: 84 s, cộng 16\.7 s để ghi kết quả, phải nằm trong hạn giữ CLAIM_LEASE_SECONDS=100 s \(tối đa 83 với hạn này, hoặc tăng CLAIM_LEASE_SECONDS\)/,
      );
      expect(() => loadConfig({ ...zalo, CLAIM_LEASE_SECONDS: '100', ZALO_TIMEOUT_SECONDS: '84' }, 'en')).toThrow(
        /ZALO_TIMEOUT_SECONDS: 84 s, plus 16\.7 s to record the outcome, .*\(at most 83 with this lease, or raise CLAIM_LEASE_SECONDS\)/,
      );
      expect(() => loadConfig({ ...zalo, CLAIM_LEASE_SECONDS: '11' })).toThrow(
        /ZALO_TIMEOUT_SECONDS: 10 s, .*CLAIM_LEASE_SECONDS=11 s \(tối đa 9 với hạn này/,
      );
      expect(() => loadConfig({ ...smtp, CLAIM_LEASE_SECONDS: '35' })).toThrow(
        /SMTP_TIMEOUT_SECONDS: 30 s, .*CLAIM_LEASE_SECONDS=35 s \(tối đa 29 với hạn này/,
      );
      expect(loadConfig({ ...smtp, CLAIM_LEASE_SECONDS: '35', SMTP_TIMEOUT_SECONDS: '29' }).SMTP_TIMEOUT_SECONDS).toBe(
        29,
      );
      expect(() => loadConfig({ ...smtp, CLAIM_LEASE_SECONDS: '120', SMTP_TIMEOUT_SECONDS: '90' })).not.toThrow();
      // Not configured: not checked.
      expect(
        loadConfig({ CLAIM_LEASE_SECONDS: '20', ZALO_TIMEOUT_SECONDS: '90', SMTP_TIMEOUT_SECONDS: '90' }),
      ).toMatchObject({ CLAIM_LEASE_SECONDS: 20 });
      expect(() => loadConfig({ ...zalo, ...smtp, CLAIM_LEASE_SECONDS: '2' }, 'en')).toThrow(
        /ZALO_TIMEOUT_SECONDS: 10 s, .*\(at most 1 with this lease.*\n.*SMTP_TIMEOUT_SECONDS: 30 s, .*\(at most 1 with this lease/,
      );
      // A short lease with short timeouts, as the end-to-end test of the lease runs.
      const short = loadConfig({
        CLAIM_LEASE_SECONDS: '3',
        WEBHOOK_TIMEOUT_SECONDS: '1',
        TELEGRAM_BOT_TOKEN: token,
        TELEGRAM_TIMEOUT_SECONDS: '1',
        TELEGRAM_LIMITS: 'off',
      });
      expect(short.CLAIM_LEASE_SECONDS).toBe(3);
    });
  });

  it('lists every variable in .env.example and in the README, and nothing else', () => {
    const example = [...read('.env.example').matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]);
    expect(example.sort()).toEqual([...CONFIG_VARIABLES].sort());
    const readme = read('README.md');
    for (const v of CONFIG_VARIABLES) expect(readme, v).toContain(`\`${v}\``);
  });
});

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as {
    services: Record<
      string,
      {
        environment?: Record<string, string>;
        env_file?: (string | { path: string; required?: boolean })[];
        depends_on?: Record<string, unknown>;
        build?: string;
        image?: string;
        command?: string[];
        entrypoint?: string[];
        profiles?: string[];
        stop_grace_period?: string;
        volumes?: string[];
      }
    >;
  };
  const services = Object.entries(compose.services);

  it('runs PostgreSQL, Redis and the app built from the Dockerfile', () => {
    // Without a profile: these three (the Sentinel profile adds its own).
    expect(
      services
        .filter(([, s]) => !s.profiles)
        .map(([name]) => name)
        .sort(),
    ).toEqual(['app', 'postgres', 'redis']);
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

describe('the production files', () => {
  const compose = parse(read('docker-compose.yml'), { merge: true }) as {
    services: Record<
      string,
      Record<string, unknown> & { profiles?: string[]; command?: string[]; entrypoint?: string[] }
    >;
  };
  const app = compose.services.app as {
    env_file: (string | { path: string })[];
    environment: Record<string, string>;
    stop_grace_period: string;
    volumes: string[];
  };
  const dockerfile = read('Dockerfile');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => /^[A-Z]+ /.test(l));

  it('passes every variable of .env.example to the app (env_file), SMTP and the sender included', () => {
    expect(app.env_file.map((f) => (typeof f === 'string' ? f : f.path))).toContain('.env');
    const example = [...read('.env.example').matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]!);
    expect(example.sort()).toEqual([...CONFIG_VARIABLES].sort());
    for (const v of ['SMTP_URL', 'MAIL_FROM', 'STORAGE_DIR']) expect(Object.keys(app.environment)).toContain(v);
    expect(app.volumes).toContain('storage:/app/storage');
  });

  it('gives the app longer to stop than the app gives itself', () => {
    expect(Number(/^(\d+)s$/.exec(app.stop_grace_period)?.[1])).toBeGreaterThan(SHUTDOWN_GRACE_MS / 1000);
  });

  it('keeps Redis with AOF and without eviction, and has a Sentinel profile: a replica and three sentinels', () => {
    const redisArgs = (compose.services.redis!.command ?? []).join(' ');
    expect(redisArgs).toMatch(/--appendonly yes/);
    expect(redisArgs).toMatch(/--maxmemory-policy noeviction/);
    const sentinel = Object.entries(compose.services).filter(([, s]) => s.profiles?.includes('sentinel'));
    expect(sentinel.map(([n]) => n).sort()).toEqual(['redis-replica', 'sentinel-1', 'sentinel-2', 'sentinel-3']);
    expect((compose.services['redis-replica']!.command ?? []).join(' ')).toMatch(/--replicaof redis 6379.*noeviction/);
    for (const n of ['sentinel-1', 'sentinel-2', 'sentinel-3']) {
      const script = (compose.services[n]!.entrypoint ?? []).join(' ');
      expect(script, n).toMatch(/sentinel monitor dondoc redis 6379 2/);
      expect(script, n).toMatch(/--sentinel/);
    }
    // The names the compose file tells .env to use validate.
    expect(() =>
      loadConfig({
        REDIS_SENTINELS: 'sentinel-1:26379,sentinel-2:26379,sentinel-3:26379',
        REDIS_SENTINEL_NAME: 'dondoc',
      }),
    ).not.toThrow();
    expect(read('docker-compose.yml')).toContain('REDIS_SENTINELS=sentinel-1:26379,sentinel-2:26379,sentinel-3:26379');
  });

  it('builds in stages on a supported Node LTS, production dependencies only, and runs as node with its storage writable', () => {
    const froms = instructions.filter((l) => l.startsWith('FROM '));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    const base = /^ARG NODE_IMAGE=node:(\d+)-/m.exec(dockerfile)?.[1];
    expect(['22', '24']).toContain(base);
    expect(instructions.some((l) => /RUN npm ci --omit=dev/.test(l))).toBe(true);
    expect(instructions.some((l) => /npm install/.test(l))).toBe(false);
    expect(instructions.some((l) => /^RUN .*chown node:node \/app\/storage/.test(l))).toBe(true);
    const final = instructions.slice(instructions.lastIndexOf(froms.at(-1)!));
    expect(final).toContain('USER node');
    expect(final.some((l) => l.startsWith('HEALTHCHECK ') && l.includes('src/setup/healthcheck.mjs'))).toBe(true);
    expect(final.at(-1)).toMatch(/^CMD .*src\/main\.ts/);
    // Everything the final stage copies exists (and is not left out by .dockerignore).
    const ignored = read('.dockerignore').split('\n').filter(Boolean);
    for (const l of final.filter((x) => x.startsWith('COPY ') && !x.includes('--from'))) {
      const sources = l.split(/\s+/).slice(1, -1);
      for (const src of sources) {
        expect(existsSync(new URL(`../../${src}`, import.meta.url)), src).toBe(true);
        expect(ignored, src).not.toContain(src);
      }
    }
  });

  it('states the Node versions the locked dependencies need', () => {
    const pkg = JSON.parse(read('package.json')) as { engines: { node: string } };
    const lock = JSON.parse(read('package-lock.json')) as {
      packages: Record<string, { engines?: { node?: string }; dev?: boolean; version?: string }>;
    };
    expect(lock.packages['']!.engines?.node).toBe(pkg.engines.node);
    // The lowest version each range allows: none of the production dependencies asks more.
    const lowest = (range: string) =>
      range.split('||').map((r) => {
        const m = /(\d+)(?:\.(\d+))?/.exec(r)!;
        return Number(m[1]) * 1000 + Number(m[2] ?? 0);
      });
    const floor = Math.min(...lowest(pkg.engines.node));
    for (const [name, p] of Object.entries(lock.packages)) {
      if (!name || p.dev || !p.engines?.node) continue;
      const ranges = p.engines.node.split('||').map((r) => r.trim());
      // Some range of the dependency admits our floor's major line.
      const admits = ranges.some((r) => {
        const m = /^(>=|\^)?\s*(\d+)(?:\.(\d+))?/.exec(r);
        if (!m) return true;
        const v = Number(m[2]) * 1000 + Number(m[3] ?? 0);
        if (m[1] === '>=') return floor >= v;
        if (m[1] === '^' || !m[1]) return Math.floor(floor / 1000) === Number(m[2]) && floor >= v;
        return true;
      });
      expect(admits, `${name}@${p.version}: ${p.engines.node}`).toBe(true);
    }
  });
});
