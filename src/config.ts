import { existsSync } from 'node:fs';
import { z } from 'zod';
import {
  DEFAULT_SMTP_TIMEOUT_SECONDS,
  DEFAULT_ZALO_TIMEOUT_SECONDS,
  ZALO_CALLS_PER_SEND,
  ZALO_SEND_WAIT_MS,
  TELEGRAM_DEPART_MAX_WAIT_MS,
} from './channels/send-bounds.js';
import type { Lang } from '#root/domain/wording.js';
import { chooseLang, UnknownLangError } from '#root/messages/lang-choice.js';
import { serviceWordsIn, type ServiceTIn } from '#root/messages/service-words.js';

/**
 * Configuration, parsed once from the environment at start (the only file that reads `process.env`).
 * Every variable is listed in `.env.example` and in the README's table.
 */

type ConfigT = ServiceTIn<'config'>;

/** The checks of one kind of value, each saying what is wrong in the language of the run. */
const checksIn = (t: ConfigT) => {
  const bool = z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: t('mustBeBool') })
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

  const int = (min: number, max: number) =>
    z.coerce
      .number({ error: t('mustBeNumber') })
      .int(t('mustBeInteger'))
      .min(min, t('atLeast', { least: min }))
      .max(max, t('atMost', { most: max }));

  const url = (protocols: string[]) =>
    z.string().refine(
      (v) => {
        try {
          return protocols.includes(new URL(v).protocol);
        } catch {
          return false;
        }
      },
      { message: t('mustBeUrl', { protocols: protocols.join(` ${t('or')} `) }) },
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
        ctx.addIssue({ code: 'custom', message: t('notHostPort', { part: p }) });
        return z.NEVER;
      }
      out.push({ host: m[1]!.replace(/^\[|\]$/g, ''), port });
    }
    if (out.length === 0) {
      ctx.addIssue({ code: 'custom', message: t('noHostPort') });
      return z.NEVER;
    }
    return out;
  });
  return { bool, int, url, hostPorts };
};

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

/** The configuration's schema, its messages in one language. */
function schemaIn(lang: Lang) {
  const t = serviceWordsIn('config', lang);
  const { bool, int, url, hostPorts } = checksIn(t);
  return z.object({
    /** The language of the command line and of start-up messages (see src/messages/lang-choice.ts). */
    DONDOC_LANG: z.enum(['vi', 'en'], { error: t('oneOf', { values: 'vi, en' }) }).optional(),
    NODE_ENV: z
      .enum(['development', 'production', 'test'], { error: t('oneOf', { values: 'development, production, test' }) })
      .default('development'),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
        error: t('oneOf', { values: 'fatal, error, warn, info, debug, trace, silent' }),
      })
      .default('info'),
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
      .regex(/^[A-Za-z0-9._-]{1,64}$/, t('sentinelName'))
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
      .regex(/^(?:[A-Za-z0-9_-]{1,40}|\{[A-Za-z0-9_-]{1,40}\})$/, t('redisPrefix'))
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
            message: t('unknownRole', { bad: bad.join(', ') || t('empty'), roles: ROLES.join(',') }),
          });
          return z.NEVER;
        }
        return parts as Role[];
      }),
    /** The organisation the one-command demo creates and that the CLI uses when --org is omitted. */
    DEFAULT_ORG: z
      .string()
      .regex(/^[a-z0-9-]{2,32}$/, t('orgCode'))
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
      }, t('timeZone'))
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
      .regex(/^[A-Za-z0-9._~+/=-]{24,256}$/, t('metricsToken'))
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
    SECRET_KEY: z
      .string()
      .min(32, t('tooShort', { least: 32 }))
      .optional(),
    INVITE_TTL_HOURS: int(1, 24 * 90).default(72),
    /** The Telegram bot's token (from @BotFather). Without it there is no Telegram channel and the bot role idles. */
    TELEGRAM_BOT_TOKEN: z
      .string()
      .regex(/^\d+:[A-Za-z0-9_-]{20,}$/, t('telegramToken'))
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
    TELEGRAM_LIMITS: z.enum(['on', 'off'], { error: t('onOrOff') }).default('on'),
    /** The bot's @username, for invite deep links (t.me/<bot>?start=<code>). */
    TELEGRAM_BOT_USERNAME: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_]{4,31}$/, t('telegramUsername'))
      .optional(),
    /** The Zalo bot's token (Zalo Bot Creator: `<bot_id>:<secret>`). Without it there is no Zalo channel. */
    ZALO_BOT_TOKEN: z
      .string()
      .regex(/^\d+:[A-Za-z0-9_-]{8,}$/, t('zaloToken'))
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
}

/** The schema in each language, built once. */
const SCHEMAS = { vi: schemaIn('vi'), en: schemaIn('en') } as const;

/**
 * How long a process may take to stop after SIGTERM before it exits anyway (src/main.ts); the
 * container's stop grace period (docker-compose.yml) is longer.
 */
export const SHUTDOWN_GRACE_MS = 30_000;

/** Every variable the program reads. */
export const CONFIG_VARIABLES = Object.keys(SCHEMAS.vi.shape);

/** The configuration as the environment gives it (SECRET_KEY may be unset). */
export type EnvConfig = z.output<(typeof SCHEMAS)['vi']>;

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

/** "Cấu hình không hợp lệ:", above the problems. */
function invalidHeading(lang: Lang): string {
  const t = serviceWordsIn('config', lang);
  return t('invalid');
}

export class ConfigError extends Error {
  constructor(
    readonly problems: string[],
    lang: Lang = 'vi',
  ) {
    super(`${invalidHeading(lang)}\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * The language of the configuration's messages when the caller does not say: the person's
 * (DONDOC_LANG, else the locale variables); an unknown DONDOC_LANG is reported as the variable's
 * own problem, in Vietnamese.
 */
function langOfEnv(env: Readonly<Record<string, string | undefined>>): Lang {
  try {
    return chooseLang(env);
  } catch (error) {
    if (error instanceof UnknownLangError) return 'vi';
    throw error;
  }
}

/** Zod's own messages (a text too short or too long), in the language of the run. */
const fallbackMessage =
  (t: ConfigT) =>
  (issue: { code?: string; minimum?: unknown; maximum?: unknown; origin?: unknown }): string => {
    if (issue.code === 'too_small' && issue.origin === 'string') return t('tooShort', { least: String(issue.minimum) });
    if (issue.code === 'too_big' && issue.origin === 'string') return t('tooLong', { most: String(issue.maximum) });
    return t('invalidValue');
  };

/**
 * Parses and validates the configuration. Empty strings count as unset, so that a copied
 * `.env.example` with blank values behaves like the defaults. The problems are said in `lang`
 * (by default the person's: see src/messages/lang-choice.ts).
 */
export function loadConfig(
  env: NodeJS.ProcessEnv | Record<string, string | undefined>,
  lang: Lang = langOfEnv(env),
): EnvConfig {
  const t = serviceWordsIn('config', lang);
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') cleaned[k] = v;
  const parsed = SCHEMAS[lang].safeParse(cleaned, { error: fallbackMessage(t) });
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
      lang,
    );
  }
  const config = parsed.data;
  const problems: string[] = [];
  if (config.NODE_ENV === 'production' && !config.SECRET_KEY) {
    problems.push(`SECRET_KEY: ${t('secretKeyRequired')}`);
  }
  // One way to reach Redis: a server (REDIS_URL), Sentinel, or a Cluster.
  if (config.REDIS_SENTINELS && config.REDIS_CLUSTER_NODES)
    problems.push(`REDIS_SENTINELS, REDIS_CLUSTER_NODES: ${t('sentinelOrCluster')}`);
  if (config.REDIS_SENTINELS && !config.REDIS_SENTINEL_NAME)
    problems.push(`REDIS_SENTINEL_NAME: ${t('sentinelNameRequired')}`);
  if (!config.REDIS_SENTINELS && (config.REDIS_SENTINEL_NAME || config.REDIS_SENTINEL_PASSWORD))
    problems.push(
      `${config.REDIS_SENTINEL_NAME ? 'REDIS_SENTINEL_NAME' : 'REDIS_SENTINEL_PASSWORD'}: ${t('sentinelOnly')}`,
    );
  problems.push(...leaseProblems(config, t));
  if (problems.length > 0) throw new ConfigError(problems, lang);
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
function leaseProblems(config: EnvConfig, t: ConfigT): string[] {
  const leaseMs = config.CLAIM_LEASE_SECONDS * 1000;
  const marginMs = recordMarginMs(leaseMs);
  const lease = `CLAIM_LEASE_SECONDS=${config.CLAIM_LEASE_SECONDS}`;
  const problems: string[] = [];
  /** A timeout set by a variable, of each of a send's `calls`: the most it may be with this lease. */
  const timeout = (name: string, valueSeconds: number, waitMs: number, what: string, calls = 1) => {
    if (waitMs + calls * valueSeconds * 1000 + marginMs <= leaseMs) return;
    const most = Math.floor((leaseMs - marginMs - waitMs) / calls / 1000);
    const fix = most >= 1 ? t('atMost', { most }) : t('impossible');
    problems.push(`${name}: ${t('leaseTimeout', { what, margin: seconds(marginMs), lease, fix })}`);
  };
  if (config.TELEGRAM_BOT_TOKEN) {
    const waitMs = config.TELEGRAM_LIMITS === 'on' ? TELEGRAM_DEPART_MAX_WAIT_MS : 0;
    const call = config.TELEGRAM_TIMEOUT_SECONDS;
    timeout(
      'TELEGRAM_TIMEOUT_SECONDS',
      call,
      waitMs,
      waitMs ? t('telegramWait', { call, wait: seconds(waitMs) }) : `${call} s`,
    );
  }
  timeout('WEBHOOK_TIMEOUT_SECONDS', config.WEBHOOK_TIMEOUT_SECONDS, 0, `${config.WEBHOOK_TIMEOUT_SECONDS} s`);
  // A Zalo send is ZALO_CALLS_PER_SEND calls and the 429 hints waited between them (one call and
  // no wait: a 429 is not waited out under the claim, src/channels/send-bounds.ts).
  if (config.ZALO_BOT_TOKEN)
    timeout(
      'ZALO_TIMEOUT_SECONDS',
      config.ZALO_TIMEOUT_SECONDS,
      ZALO_SEND_WAIT_MS,
      `${config.ZALO_TIMEOUT_SECONDS} s`,
      ZALO_CALLS_PER_SEND,
    );
  if (config.SMTP_URL)
    timeout('SMTP_TIMEOUT_SECONDS', config.SMTP_TIMEOUT_SECONDS, 0, `${config.SMTP_TIMEOUT_SECONDS} s`);
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
