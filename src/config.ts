import { existsSync } from 'node:fs';
import { z } from 'zod';
import {
  DEFAULT_SMTP_TIMEOUT_SECONDS,
  DEFAULT_ZALO_TIMEOUT_SECONDS,
  TELEGRAM_DEPART_MAX_WAIT_MS,
} from './channels/send-bounds.js';
import { serviceWords } from '#root/messages/service-words.js';

/**
 * Configuration, parsed once from the environment at start (the only file that reads `process.env`).
 * Every variable is listed in `.env.example` and in the README's table.
 */

const configWords = serviceWords('config');

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], {
    error: 'phải là true hoặc false / must be true or false',
  })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max: number) =>
  z.coerce
    .number({ error: 'phải là một số / must be a number' })
    .int('phải là số nguyên / must be an integer')
    .min(min, `tối thiểu ${min} / at least ${min}`)
    .max(max, `tối đa ${max} / at most ${max}`);

const url = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `phải là URL ${protocols.join(' hoặc ')} / must be a ${protocols.join(' or ')} URL` },
  );

/** `host:port,host:port,…`: a list of Redis servers (sentinels, or cluster nodes). */
const hostPorts = z.string().transform((v, ctx): { host: string; port: number }[] => {
  const parts = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const out: { host: string; port: number }[] = [];
  for (const p of parts) {
    // host:port, [v6]:port
    const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(p);
    const port = m ? Number(m[2]) : 0;
    if (!m || port < 1 || port > 65_535) {
      ctx.addIssue({
        code: 'custom',
        message: `địa chỉ không hợp lệ: "${p}"; dùng host:port,host:port / not host:port: "${p}"`,
      });
      return z.NEVER;
    }
    out.push({ host: m[1]!.replace(/^\[|\]$/g, ''), port });
  }
  if (out.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'cần ít nhất một host:port / at least one host:port' });
    return z.NEVER;
  }
  return out;
});

/** The claim's lease unless CLAIM_LEASE_SECONDS says otherwise. */
export const DEFAULT_CLAIM_LEASE_SECONDS = 120;

/**
 * How long before its claim's lease ends a worker stops trying to write a send's outcome (the
 * database is down: see `persist` in src/services/delivery/context.ts): past it, another worker may
 * be handed the message. A sixth of the lease, at most 20 s (the margin of the default 120 s lease).
 */
export function recordMarginMs(leaseMs: number): number {
  return Math.min(20_000, Math.round(leaseMs / 6));
}

/** The roles one process can take; `all` (the default) takes every one. */
export const ROLES = ['scheduler', 'worker', 'web', 'bot'] as const;
export type Role = (typeof ROLES)[number];

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: url(['postgresql:', 'postgres:']).default('postgresql://postgres@127.0.0.1:5432/dondoc'),
  DB_POOL_MAX: int(1, 200).default(10),
  DB_CONNECT_TIMEOUT_MS: int(100, 120_000).default(5_000),
  /** One Redis server (not used when REDIS_SENTINELS or REDIS_CLUSTER_NODES is set: the program says which at start). */
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  /**
   * Redis behind Sentinel: the sentinels' addresses (`host:port,host:port,…`); the program asks
   * them for the primary of REDIS_SENTINEL_NAME and follows a failover without a restart.
   */
  REDIS_SENTINELS: hostPorts.optional(),
  /** The name of the primary the sentinels watch (`sentinel monitor <name> …`). */
  REDIS_SENTINEL_NAME: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'chỉ chữ, số, ., _ và - / letters, digits, ., _ and - only')
    .optional(),
  /** The sentinels' own password (`requirepass` of the sentinels), if they have one. */
  REDIS_SENTINEL_PASSWORD: z.string().min(1).max(512).optional(),
  /** Redis Cluster: some of its nodes (`host:port,…`); the others are discovered. */
  REDIS_CLUSTER_NODES: hostPorts.optional(),
  /** The password of the Redis servers (Sentinel's primary and replicas, or the Cluster's nodes). */
  REDIS_PASSWORD: z.string().min(1).max(512).optional(),
  /**
   * Prefix of every Redis key, so that several deployments (or test runs) share one Redis. On a
   * Cluster it is a hash tag (`{dondoc}`, braces added when missing): every key of the program in
   * one slot, as BullMQ's and the Telegram limits' scripts need.
   */
  REDIS_PREFIX: z
    .string()
    .regex(
      /^(?:[A-Za-z0-9_-]{1,40}|\{[A-Za-z0-9_-]{1,40}\})$/,
      'chỉ chữ, số, _ và -, có thể trong {…} / letters, digits, _ and - only, maybe in {…}',
    )
    .default('dondoc'),
  ROLES: z
    .string()
    .default('all')
    .transform((v, ctx): Role[] => {
      if (v.trim() === 'all') return [...ROLES];
      const parts = v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = parts.filter((p) => !(ROLES as readonly string[]).includes(p));
      if (bad.length > 0 || parts.length === 0) {
        ctx.addIssue({
          code: 'custom',
          message: `vai trò không hợp lệ: ${bad.join(', ') || '(trống)'}; dùng all hoặc ${ROLES.join(',')} / unknown role`,
        });
        return z.NEVER;
      }
      return parts as Role[];
    }),
  /** The organisation the one-command demo creates and that the CLI uses when --org is omitted. */
  DEFAULT_ORG: z
    .string()
    .regex(/^[a-z0-9-]{2,32}$/, 'mã đơn vị: chữ thường, số, - / lower case letters, digits, -')
    .default('hcm'),
  DEFAULT_TIME_ZONE: z
    .string()
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'múi giờ IANA không hợp lệ / not an IANA time zone')
    .default('Asia/Ho_Chi_Minh'),
  /** Seed the sample plan, units and sandbox contacts on an empty database (`npm start`). */
  SEED_DEMO: bool.default(true),
  PORT: int(0, 65_535).default(3000),
  /**
   * Prometheus metrics (`/metrics`) on an address of their own: this port on METRICS_HOST, in any
   * process (a worker or scheduler on a host of its own counts what it sends; the web role adds the
   * queue depths and each organisation's open and overdue obligations). Unset: none.
   */
  METRICS_PORT: int(0, 65_535).optional(),
  /** The address the metrics port listens on: this machine only unless said otherwise. */
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /**
   * A bearer token for `/metrics` (`Authorization: Bearer <token>`). Without it the web port has no
   * `/metrics` (404): the metrics name every organisation. With it, METRICS_PORT asks for it too.
   */
  METRICS_TOKEN: z
    .string()
    .regex(
      /^[A-Za-z0-9._~+/=-]{24,256}$/,
      'tối thiểu 24 ký tự chữ, số, ._~+/=- / at least 24 characters of letters, digits, ._~+/=-',
    )
    .optional(),
  PUBLIC_URL: url(['http:', 'https:']).optional(),
  /**
   * Behind a reverse proxy: how many proxies to trust for the client's address and protocol
   * (X-Forwarded-For / -Proto), which the login limit and the Secure cookie depend on. 0: none.
   */
  TRUST_PROXY_HOPS: int(0, 10).default(0),
  /**
   * Key for signed links and the chat webhooks' secrets. Required in production; elsewhere, when
   * unset, the first process makes one at random and keeps it in PostgreSQL for every other
   * (src/services/secret-key.ts). Never a constant.
   */
  SECRET_KEY: z.string().min(32, 'tối thiểu 32 ký tự / at least 32 characters').optional(),
  INVITE_TTL_HOURS: int(1, 24 * 90).default(72),
  /** The Telegram bot's token (from @BotFather). Without it there is no Telegram channel and the bot role idles. */
  TELEGRAM_BOT_TOKEN: z
    .string()
    .regex(/^\d+:[A-Za-z0-9_-]{20,}$/, 'token bot Telegram không hợp lệ (dạng 123456:ABC…) / invalid bot token')
    .optional(),
  /** The Bot API server: Telegram's own, or a self-hosted telegram-bot-api that keeps traffic in-house. */
  TELEGRAM_API_ROOT: url(['http:', 'https:']).default('https://api.telegram.org'),
  /**
   * Seconds before a reminder's call to Telegram is given up as unanswered (its outcome unknown).
   * Under the claim's lease (CLAIM_LEASE_SECONDS, checked below): a send must end before its claim
   * could be presumed dead.
   */
  TELEGRAM_TIMEOUT_SECONDS: int(1, 90).default(30),
  /**
   * Keep Telegram's published limits on our side (`on`), or send as fast as the worker can (`off`:
   * only for a Bot API server that enforces none, such as the test server of the benchmarks); 429
   * answers are waited out either way.
   */
  TELEGRAM_LIMITS: z.enum(['on', 'off'], { error: 'phải là on hoặc off / must be on or off' }).default('on'),
  /** The bot's @username, for invite deep links (t.me/<bot>?start=<code>). */
  TELEGRAM_BOT_USERNAME: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]{4,31}$/, 'tên bot Telegram không hợp lệ / invalid bot username')
    .optional(),
  /** The Zalo bot's token (Zalo Bot Creator: `<bot_id>:<secret>`). Without it there is no Zalo channel. */
  ZALO_BOT_TOKEN: z
    .string()
    .regex(/^\d+:[A-Za-z0-9_-]{8,}$/, 'token bot Zalo không hợp lệ (dạng <bot_id>:<khóa>) / invalid Zalo bot token')
    .optional(),
  /** Zalo's Bot API server (a test server in tests). */
  ZALO_API_ROOT: url(['http:', 'https:']).default('https://bot-api.zaloplatforms.com'),
  /** Messages per second to Zalo from this process (Zalo publishes no limit: a conservative default, see docs/channels.md). */
  ZALO_RATE_PER_SECOND: int(1, 1_000).default(10),
  /**
   * Seconds before a call to Zalo's Bot API is given up as unanswered (its outcome unknown, for a
   * send). Under the claim's lease, as Telegram's.
   */
  ZALO_TIMEOUT_SECONDS: int(1, 90).default(DEFAULT_ZALO_TIMEOUT_SECONDS),
  /**
   * Webhook receivers reachable despite the channel's guards (`host:port,host:port,…`, the host as
   * the URL writes it): plain http and private, loopback or other special addresses are refused
   * for every other host. For a document system inside the province's network, and for tests.
   * A redirect from an allowed host to one not allowed is still refused.
   */
  WEBHOOK_ALLOW_HOSTS: hostPorts.optional(),
  /**
   * Seconds a webhook receiver has to answer (redirects included); no answer is an unknown outcome,
   * retried. Under the claim's lease, as Telegram's.
   */
  WEBHOOK_TIMEOUT_SECONDS: int(1, 90).default(10),
  STORAGE_DIR: z.string().min(1).default('./storage'),
  /** SMTP server for email (smtp:// or smtps://, credentials in the URL). Without it, no email channel. */
  SMTP_URL: url(['smtp:', 'smtps:']).optional(),
  MAIL_FROM: z.string().min(3).default('dondoc <dondoc@localhost>'),
  /** Messages per minute to the SMTP server. */
  SMTP_RATE_PER_MINUTE: int(1, 100_000).default(120),
  /**
   * Seconds the SMTP server has to answer, each answer of a send (the pool's socket timeout): no
   * answer is a temporary failure, retried. Under the claim's lease, as Telegram's.
   */
  SMTP_TIMEOUT_SECONDS: int(1, 90).default(DEFAULT_SMTP_TIMEOUT_SECONDS),
  /**
   * Messages (bundles) in flight per worker process; the send worker takes twice as many jobs at
   * once as this divided by the bundles a job may carry (jobs/dispatch.ts, BUNDLES_PER_JOB).
   */
  WORKER_CONCURRENCY: int(1, 1024).default(256),
  /** How far ahead the planner queues reminders (delayed to their instant). */
  PLAN_LOOKAHEAD_SECONDS: int(0, 86_400).default(600),
  /** How often each organisation's reminders are planned and queued. */
  PLAN_EVERY_SECONDS: int(1, 3_600).default(60),
  /** How often the scheduler re-upserts its job schedulers (they vanish when Redis is flushed). */
  SCHEDULER_RESYNC_SECONDS: int(1, 3_600).default(30),
  /** A job whose worker stops renewing its lock (the process died) is retried after this long. */
  WORKER_LOCK_SECONDS: int(1, 600).default(30),
  /**
   * The claim's lease: a message claimed this long ago without an outcome is presumed lost with its
   * worker (it died, or froze) and is sent again, counted as of unknown outcome (see the README's
   * "Exactly once"). Every channel's send must end well within it (checked in {@link loadConfig}).
   * The planner returns such claims to pending on its passes, every PLAN_EVERY_SECONDS.
   */
  CLAIM_LEASE_SECONDS: int(2, 3_600).default(DEFAULT_CLAIM_LEASE_SECONDS),
});

/**
 * How long a process may take to stop after SIGTERM before it exits anyway (src/main.ts); the
 * container's stop grace period (docker-compose.yml) is longer.
 */
export const SHUTDOWN_GRACE_MS = 30_000;

/** Every variable the program reads. */
export const CONFIG_VARIABLES = Object.keys(schema.shape);

/** The configuration as the environment gives it (SECRET_KEY may be unset). */
export type EnvConfig = z.output<typeof schema>;

/** The configuration of a running program: its signing key resolved (`withSecretKey`). */
export type Config = Omit<EnvConfig, 'SECRET_KEY'> & { SECRET_KEY: string };

/** Names of the variables whose values are secrets: never logged. */
export const SECRET_VARIABLES = [
  'SECRET_KEY',
  'DATABASE_URL',
  'REDIS_URL',
  'REDIS_PASSWORD',
  'REDIS_SENTINEL_PASSWORD',
  'SMTP_URL',
  'TELEGRAM_BOT_TOKEN',
  'ZALO_BOT_TOKEN',
  'METRICS_TOKEN',
] as const;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Cấu hình không hợp lệ / invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses and validates the configuration. Empty strings count as unset, so that a copied
 * `.env.example` with blank values behaves like the defaults.
 */
export function loadConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined>): EnvConfig {
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') cleaned[k] = v;
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const config = parsed.data;
  const problems: string[] = [];
  if (config.NODE_ENV === 'production' && !config.SECRET_KEY) {
    problems.push('SECRET_KEY: bắt buộc khi NODE_ENV=production / required in production');
  }
  // One way to reach Redis: a server (REDIS_URL), Sentinel, or a Cluster.
  if (config.REDIS_SENTINELS && config.REDIS_CLUSTER_NODES)
    problems.push(
      'REDIS_SENTINELS, REDIS_CLUSTER_NODES: chỉ chọn một (Sentinel hoặc Cluster) / choose one, Sentinel or Cluster',
    );
  if (config.REDIS_SENTINELS && !config.REDIS_SENTINEL_NAME)
    problems.push(
      'REDIS_SENTINEL_NAME: bắt buộc khi có REDIS_SENTINELS (tên trong "sentinel monitor <tên> …") / required with REDIS_SENTINELS',
    );
  if (!config.REDIS_SENTINELS && (config.REDIS_SENTINEL_NAME || config.REDIS_SENTINEL_PASSWORD))
    problems.push(
      `${config.REDIS_SENTINEL_NAME ? 'REDIS_SENTINEL_NAME' : 'REDIS_SENTINEL_PASSWORD'}: chỉ dùng khi có REDIS_SENTINELS / only with REDIS_SENTINELS`,
    );
  problems.push(...leaseProblems(config));
  if (problems.length > 0) throw new ConfigError(problems);
  // On a Cluster every key of the program shares one hash tag (BullMQ's scripts touch several keys
  // of a queue at once, the Telegram limits' scripts several keys of the bot).
  if (config.REDIS_CLUSTER_NODES && !config.REDIS_PREFIX.startsWith('{'))
    return { ...config, REDIS_PREFIX: `{${config.REDIS_PREFIX}}` };
  return config;
}

const seconds = (ms: number) => String(Math.round(ms / 100) / 10);

/**
 * The claim's lease against the sends it covers: each configured channel's longest send (its wait
 * before leaving, its timeout), plus the margin to record the outcome ({@link recordMarginMs}), must
 * fit in CLAIM_LEASE_SECONDS. Otherwise a send still in progress could see its claim presumed dead
 * and its message sent again by another worker beside its own. Webhooks are always checked (their
 * receivers are set in the database, not here).
 */
function leaseProblems(config: EnvConfig): string[] {
  const leaseMs = config.CLAIM_LEASE_SECONDS * 1000;
  const marginMs = recordMarginMs(leaseMs);
  const lease = `CLAIM_LEASE_SECONDS=${config.CLAIM_LEASE_SECONDS}`;
  const problems: string[] = [];
  /** A timeout set by a variable: the most it may be with this lease. */
  const timeout = (name: string, valueSeconds: number, waitMs: number, vi: string, en: string) => {
    if (waitMs + valueSeconds * 1000 + marginMs <= leaseMs) return;
    const most = Math.floor((leaseMs - marginMs - waitMs) / 1000);
    const fix = most >= 1 ? configWords('atMost', { most }) : configWords('impossible');
    problems.push(
      `${name}: ${vi}, cộng ${seconds(marginMs)} s để ghi kết quả, phải nằm trong hạn giữ ${lease} s (${fix.vi} với hạn này, hoặc tăng CLAIM_LEASE_SECONDS) / ` +
        `${en}, plus ${seconds(marginMs)} s to record the outcome, must fit in the claim's lease ${lease} s (${fix.en} with this lease, or raise CLAIM_LEASE_SECONDS)`,
    );
  };
  if (config.TELEGRAM_BOT_TOKEN) {
    const waitMs = config.TELEGRAM_LIMITS === 'on' ? TELEGRAM_DEPART_MAX_WAIT_MS : 0;
    const wait = waitMs ? ` + ${seconds(waitMs)} s` : '';
    timeout(
      'TELEGRAM_TIMEOUT_SECONDS',
      config.TELEGRAM_TIMEOUT_SECONDS,
      waitMs,
      `${config.TELEGRAM_TIMEOUT_SECONDS} s${wait ? `${wait} chờ giới hạn của Telegram (TELEGRAM_LIMITS=on)` : ''}`,
      `${config.TELEGRAM_TIMEOUT_SECONDS} s${wait ? `${wait} waiting for Telegram's limits (TELEGRAM_LIMITS=on)` : ''}`,
    );
  }
  timeout(
    'WEBHOOK_TIMEOUT_SECONDS',
    config.WEBHOOK_TIMEOUT_SECONDS,
    0,
    `${config.WEBHOOK_TIMEOUT_SECONDS} s`,
    `${config.WEBHOOK_TIMEOUT_SECONDS} s`,
  );
  if (config.ZALO_BOT_TOKEN)
    timeout(
      'ZALO_TIMEOUT_SECONDS',
      config.ZALO_TIMEOUT_SECONDS,
      0,
      `${config.ZALO_TIMEOUT_SECONDS} s`,
      `${config.ZALO_TIMEOUT_SECONDS} s`,
    );
  if (config.SMTP_URL)
    timeout(
      'SMTP_TIMEOUT_SECONDS',
      config.SMTP_TIMEOUT_SECONDS,
      0,
      `${config.SMTP_TIMEOUT_SECONDS} s`,
      `${config.SMTP_TIMEOUT_SECONDS} s`,
    );
  return problems;
}

/**
 * Reads `path` (`.env` in the working directory) into `process.env` when the file exists, as
 * `node --env-file` would: a variable already set in the environment keeps its value. Called first
 * by the program's and the command line's entry points; tests pass their environment explicitly.
 * Returns whether a file was read.
 */
export function loadEnvFile(path = '.env'): boolean {
  if (!existsSync(path)) return false;
  process.loadEnvFile(path);
  return true;
}
