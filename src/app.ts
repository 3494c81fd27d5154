import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { createHmac } from 'node:crypto';
import { run, type RunnerHandle } from '@grammyjs/runner';
import { Api } from 'grammy';
import { Queue, Worker } from 'bullmq';
import { createMaintenanceProcessor } from '#jobs/maintenance.js';
import { JOB_PLAN, JOB_RECONCILE, MAINTENANCE_QUEUE, planSchedulerId, reconcileSchedulerId, REMINDERS_QUEUE, type OrgJobData, type SendJobData } from '#jobs/queues.js';
import { dispatchDue } from '#jobs/dispatch.js';
import { createSendProcessor } from '#jobs/send.js';
import { createDondocBot, type DondocBot, registerCommands, TELEGRAM_WEBHOOK_PATH, telegramWebhookRoute } from './bot/index.js';
import { createZaloBot, ZALO_WEBHOOK_PATH, zaloSender, type ZaloBot } from './bot/zalo.js';
import { telegramMarkDone, telegramSender } from './bot/telegram.js';
import { limitTransformer, processTelegramLimiter, type TelegramLimiter } from './channels/telegram/limiter.js';
import { checkZaloSecret, createZaloClient, parseZaloUpdate, ZALO_SECRET_HEADER, type ZaloClient } from './channels/zalo/client.js';
import { processZaloLimiter } from './channels/zalo/limiter.js';
import { createCommandService, redisCodeTries, type ChatChannel, type ChatSender, type CommandService } from './commands/service.js';
import type { ChannelAdapter } from './channels/types.js';
import type { Role } from './config.js';
import type { Deps } from './deps.js';
import type { Channel } from './generated/prisma/client.js';
import { loadTemplates } from './messages/templates.js';
import { isDatabaseUnreachable, outageReporter } from './lib/outage.js';
import { bearerMatches, createMetrics, type Metrics } from './metrics.js';
import { createRedis, type Redis } from './redis.js';
import { createDelivery, type Delivery } from './services/delivery.js';
import { createWebServer } from './web/server.js';

export interface AppOptions {
  roles: Role[];
  channels: Partial<Record<Channel, ChannelAdapter>>;
  metrics?: Metrics;
  /**
   * Telegram's limits for the bot's replies and notices (the channel has its own option): shared
   * through Redis by `npm start` (src/main.ts); without it, this process's (TELEGRAM_LIMITS).
   */
  telegramLimiter?: TelegramLimiter;
}

export interface App {
  start(): Promise<void>;
  /** Stops intake (HTTP), then workers, then queues, then Redis connections — once, in that order. */
  stop(): Promise<void>;
  readonly delivery: Delivery;
  readonly metrics: Metrics;
  /** The send queue (for the CLI's nudge and for tests). */
  sendQueue(): Queue<SendJobData>;
  /** The web server's address once started. */
  readonly address: () => string | null;
  /** The metrics server's address (METRICS_PORT on METRICS_HOST) once started. */
  readonly metricsAddress: () => string | null;
}

/**
 * The running program: the roles named in `options.roles`. Every role is stateless; any number of
 * copies may run against the same Redis and PostgreSQL.
 *
 * - scheduler: upserts, for each organisation, the recurring jobs from PostgreSQL's truth
 *   (hourly reconciliation of obligations, planning every minute); idempotent, so several
 *   schedulers at once, or a flushed Redis, converge.
 * - worker: processes maintenance jobs and sends reminders and digests.
 * - web: the HTTP server (health, metrics, one-click confirmation links).
 */
export function createApp(deps: Deps, options: AppOptions): App {
  const { config, logger } = deps;
  const roles = options.roles;
  const metrics = options.metrics ?? createMetrics();
  const connections: Redis[] = [];
  // While Redis is down every connection, queue and worker reports the same error several times a
  // second (ioredis keeps reconnecting, which is what we want): say it once, then every 30 s.
  const redisOutage = outageReporter(logger, {
    level: 'error',
    down: 'Redis không kết nối được, đang thử lại / Redis unreachable, retrying',
    up: 'Redis đã kết nối lại / Redis reachable again',
  });
  const redisError = (source: string, error: Error) => {
    if (/ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|ECONNRESET|Connection is closed|connect/i.test(error.message)) redisOutage.failed({ err: error, source });
    else logger.error({ err: error, source }, 'redis error');
  };
  // While PostgreSQL is down every job fails the same way, hundreds a second across retries: the
  // same, and once more when jobs succeed again.
  const dbOutage = outageReporter(logger, {
    level: 'warn',
    down: 'PostgreSQL không trả lời, các việc sẽ được thử lại / PostgreSQL unreachable, jobs will be retried',
    up: 'PostgreSQL trả lời lại / PostgreSQL reachable again',
  });
  const jobFailed = (queue: string, job: string | undefined, error: Error) => {
    if (isDatabaseUnreachable(error)) dbOutage.failed({ queue, err: error });
    else logger.warn({ job, queue, err: error }, 'job failed');
  };
  const connect = (name: string) => {
    const c = createRedis(config.REDIS_URL, { connectionName: `dondoc-${name}` });
    c.on('error', (error: Error) => redisError(name, error));
    c.on('ready', () => redisOutage.recovered());
    connections.push(c);
    return c;
  };
  const prefix = config.REDIS_PREFIX;
  const workerId = `${os.hostname()}-${process.pid}`;
  const delivery = createDelivery({
    db: deps.db,
    config,
    templates: loadTemplates(),
    channels: options.channels,
    clock: deps.clock,
    logger,
    metrics,
    workerId,
  });
  let sendQueue: Queue<SendJobData> | null = null;
  // Telegram's limits for the bot's replies and notices: the deployment's shared one, else this process's.
  const telegramLimiter = () => options.telegramLimiter ?? processTelegramLimiter(config.TELEGRAM_LIMITS);
  // The chat commands, the same for every chat channel; they can answer on any channel this
  // process has a token for (a confirmation typed in Zalo tells the unit's Telegram people).
  let commandService: CommandService | undefined;
  let zaloClient: ZaloClient | undefined;
  const zalo = () => (zaloClient ??= createZaloClient({ token: config.ZALO_BOT_TOKEN!, apiRoot: config.ZALO_API_ROOT, limiter: processZaloLimiter(config.ZALO_RATE_PER_SECOND) }));
  const commands = () => {
    if (commandService) return commandService;
    const senders: Partial<Record<ChatChannel, ChatSender>> = {};
    let markDone: ((obligationId: string, doneText: string) => Promise<void>) | undefined;
    if (config.TELEGRAM_BOT_TOKEN) {
      const api = new Api(config.TELEGRAM_BOT_TOKEN, { apiRoot: config.TELEGRAM_API_ROOT });
      api.config.use(limitTransformer(telegramLimiter()));
      senders.telegram = telegramSender(api);
      markDone = telegramMarkDone(api, deps.db, logger);
    }
    if (config.ZALO_BOT_TOKEN) senders.zalo = zaloSender(zalo());
    commandService = createCommandService({
      db: deps.db,
      logger: logger.child({ role: 'bot' }),
      clock: deps.clock,
      senders,
      codeTries: redisCodeTries(connect('invite-tries'), prefix),
      ...(markDone ? { onConfirmed: markDone } : {}),
      dispatch: async (orgId) => {
        await dispatchDue(deps.db, getSendQueue(), orgId, deps.clock.now(), 0);
      },
    });
    return commandService;
  };
  let zaloBot: ZaloBot | undefined;
  const zaloUpdates = config.PUBLIC_URL ? connect('zalo-updates') : null;
  const getZaloBot = () =>
    (zaloBot ??= createZaloBot({
      db: deps.db,
      logger: logger.child({ role: 'bot', channel: 'zalo' }),
      clock: deps.clock,
      client: zalo(),
      commands: commands(),
      storageDir: config.STORAGE_DIR,
      // A webhook delivery not acknowledged in time comes again, maybe to another copy of the web role.
      ...(zaloUpdates ? { firstSight: async (key: string) => (await zaloUpdates.set(`${prefix}:zalo-update:${key}`, '1', 'EX', 86_400, 'NX')) === 'OK' } : {}),
    }));
  const zaloWebhookSecret = () => createHmac('sha256', config.SECRET_KEY).update('zalo-webhook').digest('base64url').slice(0, 64);

  // One bot per process, shared by the bot role and the webhook of the web role.
  let botPromise: Promise<DondocBot> | undefined;
  const telegramBot = () =>
    (botPromise ??= (async () => {
      const updates = config.PUBLIC_URL ? connect('telegram-updates') : null;
      const bot = createDondocBot({
        db: deps.db,
        logger: logger.child({ role: 'bot' }),
        clock: deps.clock,
        token: config.TELEGRAM_BOT_TOKEN!,
        apiRoot: config.TELEGRAM_API_ROOT,
        limiter: telegramLimiter(),
        storageDir: config.STORAGE_DIR,
        commands: commands(),
        // A webhook's update not acknowledged in time is delivered again, to any copy of the web
        // role: each is handled once, by whichever process sees it first. (Polling needs no such
        // check: one poller, and offsets confirm what was received.)
        ...(updates ? { firstSight: async (updateId: number) => (await updates.set(`${prefix}:tg-update:${updateId}`, '1', 'EX', 86_400, 'NX')) === 'OK' } : {}),
      });
      await bot.init();
      return bot;
    })());
  const webhookSecret = () => createHmac('sha256', config.SECRET_KEY).update('telegram-webhook').digest('base64url').slice(0, 64);

  const getSendQueue = () => {
    if (!sendQueue) {
      sendQueue = new Queue<SendJobData>(REMINDERS_QUEUE, { connection: connect('send-queue'), prefix });
      sendQueue.on('error', (error) => redisError('send-queue', error));
    }
    return sendQueue;
  };
  const workers: Worker[] = [];
  const queues: Queue[] = [];
  let web: ReturnType<typeof createWebServer> | null = null;
  let metricsServer: Server | null = null;
  let timer: NodeJS.Timeout | null = null;
  let botRunner: RunnerHandle | undefined;
  let stopping: Promise<void> | null = null;

  /**
   * Upserts each organisation's recurring jobs. One organisation that cannot be scheduled (a zone
   * the cron parser refuses, stored before zones were checked) is logged with its code and
   * skipped: it never stops the organisations after it, nor the scheduler's start. Returns the
   * organisations that were scheduled.
   */
  // Organisations already reported as unschedulable (code and zone): said once per process, not every resync.
  const unschedulable = new Set<string>();
  async function upsertSchedulers(queue: Queue<OrgJobData>) {
    const orgs = await deps.db.organisation.findMany({ select: { id: true, code: true, timeZone: true }, orderBy: { code: 'asc' } });
    const scheduled: typeof orgs = [];
    for (const org of orgs) {
      try {
        await queue.upsertJobScheduler(
          reconcileSchedulerId(org.code),
          { pattern: '5 * * * *', tz: org.timeZone },
          { name: JOB_RECONCILE, data: { orgId: org.id }, opts: { removeOnComplete: 100, removeOnFail: 500 } },
        );
        await queue.upsertJobScheduler(
          planSchedulerId(org.code),
          { every: config.PLAN_EVERY_SECONDS * 1000 },
          { name: JOB_PLAN, data: { orgId: org.id }, opts: { removeOnComplete: 100, removeOnFail: 500 } },
        );
        scheduled.push(org);
      } catch (error) {
        const key = `${org.code}\n${org.timeZone}`;
        const level = unschedulable.has(key) ? 'debug' : 'error';
        unschedulable.add(key);
        logger[level](
          { err: error, org: org.code, timeZone: org.timeZone },
          'không lập lịch được cho tổ chức này, các tổ chức khác vẫn chạy; sửa bằng dondoc org set / cannot schedule this organisation; the others go on',
        );
      }
    }
    return scheduled;
  }

  return {
    delivery,
    metrics,
    sendQueue: getSendQueue,
    address: () => {
      const a = web?.server.address();
      return a && typeof a === 'object' ? `http://127.0.0.1:${a.port}` : null;
    },
    metricsAddress: () => {
      const a = metricsServer?.address();
      return a && typeof a === 'object' ? `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : null;
    },
    async start() {
      if (roles.includes('worker')) {
        const maintenance = new Worker<OrgJobData>(
          MAINTENANCE_QUEUE,
          createMaintenanceProcessor(deps, delivery, getSendQueue(), config.PLAN_LOOKAHEAD_SECONDS * 1000),
          { connection: connect('maintenance-worker'), prefix, concurrency: 2 },
        );
        const send = new Worker<SendJobData>(REMINDERS_QUEUE, createSendProcessor(delivery, getSendQueue(), logger), {
          connection: connect('send-worker'),
          prefix,
          concurrency: config.WORKER_CONCURRENCY,
          // A SIGKILLed worker's jobs return to the queue once their lock lapses (then the claim
          // in PostgreSQL decides whether anything is left to send).
          lockDuration: config.WORKER_LOCK_SECONDS * 1000,
          stalledInterval: config.WORKER_LOCK_SECONDS * 1000,
        });
        for (const w of [maintenance, send]) {
          w.on('error', (error) => redisError(`worker:${w.name}`, error));
          w.on('failed', (job, error) => jobFailed(w.name, job?.id, error));
          w.on('completed', () => dbOutage.recovered());
          workers.push(w);
        }
        logger.info({ role: 'worker', workerId }, 'role started');
      }
      if (roles.includes('scheduler')) {
        const queue = new Queue<OrgJobData>(MAINTENANCE_QUEUE, { connection: connect('maintenance-queue'), prefix });
        queue.on('error', (error) => redisError('maintenance-queue', error));
        queues.push(queue);
        const orgs = await upsertSchedulers(queue);
        // Reconcile once now rather than at the next hour.
        for (const org of orgs) {
          await queue.add(JOB_RECONCILE, { orgId: org.id }, { jobId: `reconcile-start-${org.code}-${Date.now().toString(36)}`, removeOnComplete: 100 });
        }
        // New organisations appear, and a flushed Redis loses every scheduler: re-upsert regularly
        // (idempotent) so that the schedule is rebuilt from PostgreSQL within this period.
        timer = setInterval(() => {
          upsertSchedulers(queue).catch((error: unknown) => logger.error({ err: error }, 'scheduler upsert failed'));
        }, config.SCHEDULER_RESYNC_SECONDS * 1000);
        timer.unref();
        logger.info({ role: 'scheduler', organisations: orgs.length }, 'role started');
      }
      const webhookMode = Boolean(config.TELEGRAM_BOT_TOKEN && config.PUBLIC_URL);
      if (roles.includes('bot') && !config.TELEGRAM_BOT_TOKEN) {
        logger.info({ role: 'bot' }, 'TELEGRAM_BOT_TOKEN chưa đặt: không chạy bot Telegram / no token: the Telegram bot is off');
      }
      if (roles.includes('bot') && config.TELEGRAM_BOT_TOKEN) {
        const bot = await telegramBot();
        await registerCommands(bot);
        if (webhookMode) {
          // Telegram pushes updates to the web role (any copy of it); none of this process polls.
          await bot.api.setWebhook(`${config.PUBLIC_URL!.replace(/\/$/, '')}${TELEGRAM_WEBHOOK_PATH}`, { secret_token: webhookSecret(), allowed_updates: ['message', 'callback_query'] });
          logger.info({ role: 'bot', username: bot.botInfo.username, mode: 'webhook' }, 'role started');
        } else {
          await bot.api.deleteWebhook();
          // Long polling through grammY's runner; one chat's updates in order, chats in parallel.
          botRunner = run(bot, { runner: { fetch: { allowed_updates: ['message', 'callback_query'] } } });
          logger.info({ role: 'bot', username: bot.botInfo.username, mode: 'polling' }, 'role started');
        }
      }
      if (roles.includes('bot') && config.ZALO_BOT_TOKEN) {
        if (config.PUBLIC_URL) {
          await zalo().setWebhook({ url: `${config.PUBLIC_URL.replace(/\/$/, '')}${ZALO_WEBHOOK_PATH}`, secret_token: zaloWebhookSecret() });
          logger.info({ role: 'bot', channel: 'zalo', mode: 'webhook' }, 'role started');
        } else {
          // Zalo refuses getUpdates while a webhook is set.
          await zalo().deleteWebhook().catch((error: unknown) => logger.warn({ err: error }, 'zalo deleteWebhook failed'));
          getZaloBot().startPolling();
          logger.info({ role: 'bot', channel: 'zalo', mode: 'polling' }, 'role started');
        }
      }
      if (roles.includes('web')) {
        web = createWebServer({
          config,
          db: deps.db,
          redis: connect('web'),
          clock: deps.clock,
          logger,
          metrics,
          sendQueue: getSendQueue,
          ...(config.TELEGRAM_BOT_TOKEN || config.ZALO_BOT_TOKEN ? { announce: (input) => commands().announce(input) } : {}),
        });
        if (webhookMode) {
          const secretToken = webhookSecret();
          web.post(TELEGRAM_WEBHOOK_PATH, telegramWebhookRoute(await telegramBot(), secretToken));
        }
        if (config.ZALO_BOT_TOKEN && config.PUBLIC_URL) {
          const secret = zaloWebhookSecret();
          web.post(ZALO_WEBHOOK_PATH, async (req, reply) => {
            if (!checkZaloSecret(req.headers[ZALO_SECRET_HEADER], secret)) return reply.code(401).send({ ok: false, description: 'Unauthorized' });
            const update = parseZaloUpdate(req.body);
            if (!update) return reply.code(400).send({ ok: false, description: 'Bad Request: not a Zalo update' });
            // Answer at once; the update is handled in the background (Zalo does not wait for it).
            void getZaloBot().handle(update).catch(() => undefined);
            return reply.send({ ok: true });
          });
        }
        await web.listen({ port: config.PORT, host: '0.0.0.0' });
        logger.info({ role: 'web', port: config.PORT }, 'role started');
      }
      if (config.METRICS_PORT !== undefined) {
        // Prometheus scrapes each process here, on an address of its own (METRICS_HOST, this
        // machine by default): a worker or scheduler counts what it does (reminders sent and failed
        // by channel and stage, jobs); the web role's registry adds the gauges read at scrape
        // (queue depths, each organisation's open obligations). METRICS_TOKEN, when set, is asked.
        const server = createServer((req, res) => {
          if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
            res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Không có trang này / not found: /metrics only\n');
            return;
          }
          if (config.METRICS_TOKEN && !bearerMatches(req.headers.authorization, config.METRICS_TOKEN)) {
            res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer realm="metrics"' }).end('Cần mã truy cập / bearer token required\n');
            return;
          }
          metrics.registry.metrics().then(
            (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' }).end(text),
            (error: unknown) => {
              logger.error({ err: error }, 'metrics failed');
              res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Lỗi / error\n');
            },
          );
        });
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(config.METRICS_PORT, config.METRICS_HOST, () => resolve());
        });
        metricsServer = server;
        const bound = server.address() as AddressInfo;
        logger.info({ host: bound.address, port: bound.port }, 'metrics served');
      }
    },
    stop() {
      stopping ??= (async () => {
        if (timer) clearInterval(timer);
        if (web) await web.close().catch(() => undefined);
        if (metricsServer) await new Promise((resolve) => metricsServer!.close(resolve));
        if (botRunner?.isRunning()) await botRunner.stop().catch(() => undefined);
        // Follow-ups of what was just handled (marking messages done, telling colleagues) finish first.
        if (botPromise) await (await botPromise.catch(() => null))?.drain();
        if (zaloBot) await zaloBot.stop();
        await Promise.allSettled(workers.map((w) => w.close()));
        await Promise.allSettled([...queues, ...(sendQueue ? [sendQueue] : [])].map((q) => q.close()));
        await Promise.allSettled(
          Object.values(options.channels).map((c) => (c && !c.transactional && c.close ? c.close() : Promise.resolve())),
        );
        await Promise.allSettled(connections.map((c) => c.quit()));
      })();
      return stopping;
    },
  };
}
