import { createHmac } from 'node:crypto';
import os from 'node:os';
import type { Queue } from 'bullmq';
import type pg from 'pg';
import { MAINTENANCE_QUEUE, REMINDERS_QUEUE, type OrgJobData, type SendJobData } from '#jobs/queues.js';
import type { DondocBot } from './bot/index.js';
import type { ZaloBot } from './bot/zalo.js';
import type { TelegramLimiter } from './channels/telegram/limiter.js';
import type { ChannelAdapter } from './channels/types.js';
import type { ZaloClient } from './channels/zalo/client.js';
import type { ChatChannel, ChatSender, CommandService } from './commands/service.js';
import type { EnvConfig } from './config.js';
import { createPool, createPrisma, type Db } from './db/client.js';
import { systemClock, type Clock, type Deps } from './deps.js';
import type { Channel } from './generated/prisma/client.js';
import {
  isDatabaseUnreachable,
  isLostJobLease,
  isRedisConnectionError,
  isRedisUnreachable,
  outageReporter,
} from './lib/outage.js';
import { createLogger, type Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { Redis } from './redis.js';
import type { Delivery } from './services/delivery.js';
import { withSecretKey } from './services/secret-key.js';

/**
 * What a running program is built from beyond the database: the queues (BullMQ), Redis, the
 * channels, the bots (grammY), the metrics (prom-client) and delivery. Loaded when a program is
 * built ({@link buildDeps}), not when this module is: the command line imports this module too, and
 * most of its commands need none of them (loading them all cost every command about a second of
 * CPU and 90 MB).
 */
async function programModules() {
  const [bullmq, grammy, channelsIndex, telegramLimiter, telegramFetch, templates, metrics, redis, delivery] =
    await Promise.all([
      import('bullmq'),
      import('grammy'),
      import('./channels/index.js'),
      import('./channels/telegram/limiter.js'),
      import('./channels/telegram/fetch.js'),
      import('./messages/templates.js'),
      import('./metrics.js'),
      import('./redis.js'),
      import('./services/delivery.js'),
    ]);
  return {
    Queue: bullmq.Queue,
    Bot: grammy.Bot,
    createChannels: channelsIndex.createChannels,
    createRedisTelegramLimiter: telegramLimiter.createRedisTelegramLimiter,
    limitTransformer: telegramLimiter.limitTransformer,
    processTelegramLimiter: telegramLimiter.processTelegramLimiter,
    telegramBotId: telegramLimiter.telegramBotId,
    createReminderApi: telegramFetch.createReminderApi,
    loadTemplates: templates.loadTemplates,
    createMetrics: metrics.createMetrics,
    createRedis: redis.createRedis,
    redisTargetOf: redis.redisTargetOf,
    createDelivery: delivery.createDelivery,
  };
}

/**
 * The chat side's modules (the bots, the chat commands and what they use), loaded by the processes
 * whose roles answer chats (bot, web), not by a worker or a scheduler.
 */
async function chatModules() {
  const [dispatch, bot, zaloBot, telegramBot, telegramAgent, zaloClient, zaloLimiter, commandService] =
    await Promise.all([
      import('#jobs/dispatch.js'),
      import('./bot/index.js'),
      import('./bot/zalo.js'),
      import('./bot/telegram.js'),
      import('./channels/telegram/agent.js'),
      import('./channels/zalo/client.js'),
      import('./channels/zalo/limiter.js'),
      import('./commands/service.js'),
    ]);
  return {
    dispatchDue: dispatch.dispatchDue,
    createDondocBot: bot.createDondocBot,
    createZaloBot: zaloBot.createZaloBot,
    zaloSender: zaloBot.zaloSender,
    telegramMarkDone: telegramBot.telegramMarkDone,
    telegramSender: telegramBot.telegramSender,
    telegramClientOptions: telegramAgent.telegramClientOptions,
    createZaloClient: zaloClient.createZaloClient,
    processZaloLimiter: zaloLimiter.processZaloLimiter,
    createCommandService: commandService.createCommandService,
    redisCodeTries: commandService.redisCodeTries,
  };
}

/**
 * The one place the program is built. `src/main.ts` builds a process from the environment with
 * {@link buildDeps} and starts its roles from what it returns (src/app.ts); the command line builds
 * its own, smaller set with {@link buildCliDeps}. What a process's roles need is made once, here, and
 * closed once, by `close()`; the modules it is made of are loaded by the builder that needs them
 * (see {@link programModules}), so that a command line that only reads the database starts light.
 */

/** A pg pool and Prisma over it, with dondoc's settings (see {@link createPool}). */
export function createDatabase(
  config: Pick<EnvConfig, 'DATABASE_URL' | 'DB_CONNECT_TIMEOUT_MS'>,
  options: { poolMax: number; onIdleError?: (error: Error) => void },
): { pool: pg.Pool; db: Db } {
  const pool = createPool({
    url: config.DATABASE_URL,
    poolMax: options.poolMax,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
    ...(options.onIdleError ? { onIdleError: options.onIdleError } : {}),
  });
  return { pool, db: createPrisma(pool) };
}

/** The queue of send jobs (one per reminder or digest to send), on `connection`. */
export async function createSendQueue(connection: Redis, prefix: string): Promise<Queue<SendJobData>> {
  const { Queue } = await import('bullmq');
  return new Queue<SendJobData>(REMINDERS_QUEUE, { connection, prefix });
}

/** The secret Telegram (`telegram-webhook`) or Zalo (`zalo-webhook`) sends with each webhook call, derived from the signing key. */
export function webhookSecret(secretKey: string, purpose: 'telegram-webhook' | 'zalo-webhook'): string {
  return createHmac('sha256', secretKey).update(purpose).digest('base64url').slice(0, 64);
}

/** What the roles of a running process are built from (see {@link buildDeps}). */
export interface ProgramDeps extends Deps {
  metrics: Metrics;
  channels: Partial<Record<Channel, ChannelAdapter>>;
  delivery: Delivery;
  /** This process among the workers (host and pid): the claims' owner. */
  workerId: string;
  /** A new Redis connection of its own, named, its errors reported (once per outage); quit by `close()`. */
  connect(name: string): Redis;
  /** Reports an error of a Redis connection, queue or worker (once per outage when Redis is unreachable). */
  redisError(source: string, error: Error): void;
  /** Reports a failed job (once per outage when PostgreSQL is unreachable). */
  jobFailed(queue: string, job: string | undefined, error: Error): void;
  /** A job succeeded: PostgreSQL answers again, if it did not. */
  jobSucceeded(): void;
  /** The send queue: workers re-queue through it, the web page's and the bot's nudges queue through it. */
  sendQueue: Queue<SendJobData>;
  /**
   * The maintenance queue, where the scheduler role upserts its recurring jobs; built for the
   * scheduler role, and for the web role, whose operators' board shows it (read-only).
   */
  maintenanceQueue: Queue<OrgJobData> | null;
  /** The chat commands, the same for every chat channel (the bot and web roles, with a chat token). */
  commands: CommandService | null;
  /** The Telegram bot, initialised (the bot role, or the web role receiving Telegram's webhook). */
  telegram: { bot: DondocBot; webhookSecret: string } | null;
  /** Zalo's client, and its bot for the bot role or the web role receiving Zalo's webhook. */
  zalo: { client: ZaloClient; bot: ZaloBot | null; webhookSecret: string } | null;
  /**
   * Closes, once and in this order, what was built: the queues, the channels, Prisma and the pool
   * (when built here, not given), then the Redis connections. Call it after the roles stopped.
   */
  close(): Promise<void>;
}

export interface BuildOptions {
  /** The process's logger (main.ts makes it first, to report migrations); default from LOG_LEVEL. */
  logger?: Logger;
  clock?: Clock;
  /** A database the caller owns (tests): used, and not disconnected by `close()`. */
  database?: { pool: pg.Pool; db: Db };
  /** The channels (tests); default: those the configuration has credentials for. */
  channels?: Partial<Record<Channel, ChannelAdapter>>;
  /**
   * Telegram's limits for the bot's replies, notices and (when built here) the reminders channel.
   * Default: kept in Redis, shared by every process of the deployment (TELEGRAM_LIMITS=on and a
   * token), else this process's (TELEGRAM_LIMITS).
   */
  telegramLimiter?: TelegramLimiter;
  metrics?: Metrics;
}

/**
 * Builds what the roles named in `config.ROLES` need, once:
 *
 * 1. the logger, the database (pool and Prisma) and the signing key ({@link withSecretKey});
 * 2. Redis connections through one factory that reports outages once, and Telegram's shared limits;
 * 3. the channels (with the reminders' Telegram client, built here), the metrics and delivery,
 *    the send queue (and the maintenance queue for the scheduler and the web's queues page);
 * 4. for the bot and web roles, the chat side: one Telegram client (the bot's, whose `api` also
 *    carries the commands' notices), Zalo's client, the command service and the bots, initialised.
 */
export async function buildDeps(envConfig: EnvConfig, options: BuildOptions = {}): Promise<ProgramDeps> {
  const {
    Queue,
    Bot,
    createChannels,
    createRedisTelegramLimiter,
    limitTransformer,
    processTelegramLimiter,
    telegramBotId,
    createReminderApi,
    loadTemplates,
    createMetrics,
    createRedis,
    redisTargetOf,
    createDelivery,
  } = await programModules();
  const logger = options.logger ?? createLogger({ level: envConfig.LOG_LEVEL });
  const clock = options.clock ?? systemClock;
  const owned = !options.database;
  const { pool, db } =
    options.database ??
    createDatabase(envConfig, {
      poolMax: envConfig.DB_POOL_MAX,
      onIdleError: (error) => logger.warn({ err: error }, 'idle PostgreSQL connection lost; the pool reconnects'),
    });
  // SECRET_KEY, or the deployment's own random key kept in PostgreSQL: never a constant.
  const config = await withSecretKey(envConfig, db, logger);
  const roles = config.ROLES;
  const prefix = config.REDIS_PREFIX;

  // Every connection of this process from one factory, to the one Redis of the configuration.
  const redisTarget = redisTargetOf(config);
  const connections: Redis[] = [];
  // While Redis is down every connection, queue and worker reports the same error several times a
  // second (ioredis keeps reconnecting, which is what we want): say it once, then every 30 s.
  const redisOutage = outageReporter(logger, {
    level: 'error',
    down: 'Redis không kết nối được, đang thử lại / Redis unreachable, retrying',
    up: 'Redis đã kết nối lại / Redis reachable again',
  });
  // Jobs whose lease Redis lost (a failover, a stall): the same, once per 30 s.
  const lostLeases = outageReporter(logger, {
    level: 'warn',
    down: 'Redis không còn giữ khóa của một số việc (chuyển đổi dự phòng?); PostgreSQL quyết định việc gửi / Redis lost the lease of some jobs (a failover?); PostgreSQL decides what is sent',
    up: 'Khóa việc trong Redis bình thường trở lại / job leases in Redis as expected again',
  });
  // The connections that reported Redis unreachable and have not been ready since: the outage is
  // over when every one of them is back (one connection back first does not end it).
  const down = new Set<string>();
  const connectionNames = new Set<string>();
  const redisError = (source: string, error: Error) => {
    if (isRedisUnreachable(error)) {
      if (connectionNames.has(source)) down.add(source);
      redisOutage.failed({ err: error, source });
    } else if (isLostJobLease(error)) lostLeases.failed({ err: error, source });
    else logger.error({ err: error, source }, 'redis error');
  };
  const redisReady = (source: string) => {
    down.delete(source);
    if (down.size === 0) redisOutage.recovered();
  };
  // While PostgreSQL is down every job fails the same way, hundreds a second across retries: the
  // same, and once more when jobs succeed again.
  const dbOutage = outageReporter(logger, {
    level: 'warn',
    down: 'PostgreSQL không trả lời, các việc sẽ được thử lại / PostgreSQL unreachable, jobs will be retried',
    up: 'PostgreSQL trả lời lại / PostgreSQL reachable again',
  });
  const jobFailed = (queue: string, job: string | undefined, error: Error) => {
    if (isLostJobLease(error)) lostLeases.failed({ queue, err: error });
    else if (isRedisConnectionError(error)) redisError(`job:${queue}`, error);
    else if (isDatabaseUnreachable(error)) dbOutage.failed({ queue, err: error });
    else logger.warn({ job, queue, err: error }, 'job failed');
  };
  const connect = (name: string) => {
    const c = createRedis(redisTarget, { connectionName: `dondoc-${name}` });
    c.on('error', (error: Error) => redisError(name, error));
    c.on('ready', () => redisReady(name));
    connectionNames.add(name);
    connections.push(c);
    return c;
  };

  // Telegram's limits are the bot's, whichever process sends: kept in Redis, shared by every
  // worker and bot process of this deployment (TELEGRAM_LIMITS=off: only 429 answers waited out).
  let limitsRedis: Redis | null = null;
  let telegramLimiter = options.telegramLimiter;
  if (!telegramLimiter && config.TELEGRAM_BOT_TOKEN && config.TELEGRAM_LIMITS === 'on') {
    limitsRedis = createRedis(redisTarget, { connectionName: 'dondoc-telegram-limits' });
    // Its connection errors are the app's connections' to report; what the limiter itself meets is
    // said once, then every 30 s, and once more when Redis answers again.
    limitsRedis.on('error', () => undefined);
    const limitsOutage = outageReporter(logger, {
      level: 'warn',
      down: 'Giới hạn Telegram: Redis không trả lời, tiến trình này tự giãn nhịp gửi / Telegram limits: Redis not answering, pacing in this process alone',
      up: 'Giới hạn Telegram: Redis trả lời lại / Telegram limits: Redis answering again',
    });
    limitsRedis.on('ready', () => limitsOutage.recovered());
    telegramLimiter = createRedisTelegramLimiter(
      limitsRedis,
      `${prefix}:tg-limits:${telegramBotId(config.TELEGRAM_BOT_TOKEN)}`,
      {
        onError: (error) => limitsOutage.failed({ err: error }),
      },
    );
  }
  // The reminders' Telegram client, built here and handed to the channel: its own, not the bot's,
  // since the channel paces its sends before each claim and gives up after TELEGRAM_TIMEOUT_SECONDS;
  // its calls go over undici, sendMessage without grammY's caller (channels/telegram/fetch.ts).
  const telegramApi =
    !options.channels && config.TELEGRAM_BOT_TOKEN
      ? createReminderApi(config.TELEGRAM_BOT_TOKEN, {
          apiRoot: config.TELEGRAM_API_ROOT,
          timeoutSeconds: config.TELEGRAM_TIMEOUT_SECONDS,
        })
      : undefined;
  const channels =
    options.channels ??
    (await createChannels(config, logger, {
      ...(telegramLimiter ? { telegramLimiter } : {}),
      ...(telegramApi ? { telegramApi } : {}),
    }));
  // Telegram's limits for the bot's replies and notices: the deployment's shared one, else this process's.
  const chatLimiter = telegramLimiter ?? processTelegramLimiter(config.TELEGRAM_LIMITS);

  const metrics = options.metrics ?? createMetrics();
  const workerId = `${os.hostname()}-${process.pid}`;
  const delivery = createDelivery({
    db,
    config,
    templates: loadTemplates(),
    channels,
    clock,
    logger,
    metrics,
    workerId,
    claimLeaseMs: config.CLAIM_LEASE_SECONDS * 1000,
  });
  const sendQueue = await createSendQueue(connect('send-queue'), prefix);
  sendQueue.on('error', (error) => redisError('send-queue', error));
  let maintenanceQueue: Queue<OrgJobData> | null = null;
  if (roles.includes('scheduler') || roles.includes('web')) {
    maintenanceQueue = new Queue<OrgJobData>(MAINTENANCE_QUEUE, { connection: connect('maintenance-queue'), prefix });
    maintenanceQueue.on('error', (error) => redisError('maintenance-queue', error));
  }

  // The chat side: the bot role, and the web role (Telegram's and Zalo's webhooks, and the notices
  // an administrator's action sends to a unit's people). The commands can answer on any channel
  // this process has a token for (a confirmation typed in Zalo tells the unit's Telegram people).
  const chat = roles.includes('bot') || roles.includes('web');
  const webhooks = Boolean(config.PUBLIC_URL);
  let commands: CommandService | null = null;
  let telegram: ProgramDeps['telegram'] = null;
  let zalo: ProgramDeps['zalo'] = null;
  if (chat && (config.TELEGRAM_BOT_TOKEN || config.ZALO_BOT_TOKEN)) {
    const {
      dispatchDue,
      createDondocBot,
      createZaloBot,
      zaloSender,
      telegramMarkDone,
      telegramSender,
      telegramClientOptions,
      createZaloClient,
      processZaloLimiter,
      createCommandService,
      redisCodeTries,
    } = await chatModules();
    // The bot's Telegram client, over one keep-alive agent per Bot API server: its `api` carries the
    // bot's replies and edits and the commands' notices, which keep Telegram's limits too
    // (`chatLimiter`) and wait out a 429 instead of failing. No call is made until the bot is used.
    const telegramClient = config.TELEGRAM_BOT_TOKEN
      ? new Bot(config.TELEGRAM_BOT_TOKEN, { client: telegramClientOptions(config.TELEGRAM_API_ROOT) })
      : null;
    telegramClient?.api.config.use(limitTransformer(chatLimiter));
    const zaloClient = config.ZALO_BOT_TOKEN
      ? createZaloClient({
          token: config.ZALO_BOT_TOKEN,
          apiRoot: config.ZALO_API_ROOT,
          limiter: processZaloLimiter(config.ZALO_RATE_PER_SECOND),
          timeoutMs: config.ZALO_TIMEOUT_SECONDS * 1000,
        })
      : null;
    const senders: Partial<Record<ChatChannel, ChatSender>> = {};
    if (telegramClient) senders.telegram = telegramSender(telegramClient.api);
    if (zaloClient) senders.zalo = zaloSender(zaloClient);
    commands = createCommandService({
      db,
      logger: logger.child({ role: 'bot' }),
      clock,
      senders,
      codeTries: redisCodeTries(connect('invite-tries'), prefix),
      ...(telegramClient ? { onConfirmed: telegramMarkDone(telegramClient.api, db, logger) } : {}),
      dispatch: async (orgId) => {
        await dispatchDue(db, sendQueue, orgId, clock.now(), 0);
      },
    });
    // The bot handles updates in the bot role, and in the web role when Telegram pushes them there.
    if (telegramClient && (roles.includes('bot') || (roles.includes('web') && webhooks))) {
      const updates = webhooks ? connect('telegram-updates') : null;
      const bot = createDondocBot({
        db,
        logger: logger.child({ role: 'bot' }),
        clock,
        bot: telegramClient,
        apiRoot: config.TELEGRAM_API_ROOT,
        storageDir: config.STORAGE_DIR,
        commands,
        // A webhook's update not acknowledged in time is delivered again, to any copy of the web
        // role: each is handled once, by whichever process sees it first. (Polling needs no such
        // check: one poller, and offsets confirm what was received.)
        ...(updates
          ? {
              firstSight: async (updateId: number) =>
                (await updates.set(`${prefix}:tg-update:${updateId}`, '1', 'EX', 86_400, 'NX')) === 'OK',
            }
          : {}),
      });
      await bot.init();
      telegram = { bot, webhookSecret: webhookSecret(config.SECRET_KEY, 'telegram-webhook') };
    }
    if (zaloClient) {
      let bot: ZaloBot | null = null;
      if (roles.includes('bot') || (roles.includes('web') && webhooks)) {
        const updates = webhooks ? connect('zalo-updates') : null;
        bot = createZaloBot({
          db,
          logger: logger.child({ role: 'bot', channel: 'zalo' }),
          clock,
          client: zaloClient,
          commands,
          storageDir: config.STORAGE_DIR,
          // A webhook delivery not acknowledged in time comes again, maybe to another copy of the web role.
          ...(updates
            ? {
                firstSight: async (key: string) =>
                  (await updates.set(`${prefix}:zalo-update:${key}`, '1', 'EX', 86_400, 'NX')) === 'OK',
              }
            : {}),
        });
      }
      zalo = { client: zaloClient, bot, webhookSecret: webhookSecret(config.SECRET_KEY, 'zalo-webhook') };
    }
  }

  let closing: Promise<void> | null = null;
  return {
    config,
    logger,
    pool,
    db,
    clock,
    metrics,
    channels,
    delivery,
    workerId,
    connect,
    redisError,
    jobFailed,
    jobSucceeded: () => dbOutage.recovered(),
    sendQueue,
    maintenanceQueue,
    commands,
    telegram,
    zalo,
    close() {
      closing ??= (async () => {
        await Promise.allSettled([sendQueue, ...(maintenanceQueue ? [maintenanceQueue] : [])].map((q) => q.close()));
        await Promise.allSettled(
          Object.values(channels).map((c) => (c && !c.transactional && c.close ? c.close() : Promise.resolve())),
        );
        if (owned) {
          await db.$disconnect();
          await pool.end();
        }
        await Promise.allSettled(connections.map((c) => c.quit()));
        limitsRedis?.disconnect();
      })();
      return closing;
    },
  };
}

/** What the command line is built from (see src/cli/context.ts). */
export interface CliDeps {
  pool: pg.Pool;
  db: Db;
  /**
   * The send queue, for the commands that queue sends (a nudge): opened on the first call (BullMQ
   * and Redis's client are loaded then, not before), on a connection that gives up on a command
   * after a few tries (a command line must not wait forever for Redis), and closed by `close()`.
   */
  sendQueue(): Promise<Queue<SendJobData>>;
  /** Closes what was opened: the queue and its connection, then Prisma and the pool. */
  close(): Promise<void>;
}

/** The command line's database (a small pool) and, when a command asks, its send queue. */
export function buildCliDeps(config: EnvConfig): CliDeps {
  const { pool, db } = createDatabase(config, { poolMax: 4 });
  let queued: Promise<{ queue: Queue<SendJobData>; connection: Redis }> | null = null;
  const open = async () => {
    const { createRedis, redisTargetOf } = await import('./redis.js');
    const connection = createRedis(redisTargetOf(config), { lazyConnect: false, maxRetriesPerRequest: 3 });
    return { connection, queue: await createSendQueue(connection, config.REDIS_PREFIX) };
  };
  return {
    pool,
    db,
    async sendQueue() {
      queued ??= open();
      return (await queued).queue;
    },
    async close() {
      const opened = await queued?.catch(() => null);
      queued = null;
      if (opened) {
        await opened.queue.close();
        await opened.connection.quit();
      }
      await db.$disconnect();
      await pool.end();
    },
  };
}
