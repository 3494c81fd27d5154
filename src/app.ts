import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { run } from '@grammyjs/runner';
import { Worker, type Queue } from 'bullmq';
import { createMaintenanceProcessor } from '#jobs/maintenance.js';
import {
  JOB_PLAN,
  JOB_RECONCILE,
  MAINTENANCE_QUEUE,
  planSchedulerId,
  reconcileSchedulerId,
  REMINDERS_QUEUE,
  type OrgJobData,
  type SendJobData,
} from '#jobs/queues.js';
import { createSendProcessor } from '#jobs/send.js';
import { RAMP_FIRST, rampedProcessor } from '#jobs/ramp.js';
import { BUNDLES_PER_JOB } from '#jobs/dispatch.js';
import type { ProgramDeps } from './composition.js';
import { isDatabaseUnreachable, isRedisUnreachable } from './lib/outage.js';
import { createMetricsServer, type Metrics } from './metrics.js';
import type { Delivery } from './services/delivery.js';

/** A started role: `stop()` ends what it started (its intake, or its workers). */
export interface RoleHandle {
  stop(): Promise<void>;
}

export interface App {
  start(): Promise<void>;
  /**
   * Shuts down once, in order: stops intake (the scheduler's timer, HTTP, the bots), closes the
   * workers, then `deps.close()` (queues, channels, Prisma, Redis).
   */
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
 * Upserts each organisation's recurring jobs. One organisation that cannot be scheduled (a zone
 * the cron parser refuses, stored before zones were checked) is logged with its code and
 * skipped: it never stops the organisations after it, nor the scheduler's start. Returns the
 * organisations that were scheduled.
 */
async function upsertSchedulers(deps: ProgramDeps, queue: Queue<OrgJobData>, unschedulable: Set<string>) {
  const { config, logger } = deps;
  const orgs = await deps.db.organisation.findMany({
    select: { id: true, code: true, timeZone: true },
    orderBy: { code: 'asc' },
  });
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
      // Redis unreachable (or changing primary): the outage is reported once, and the next resync
      // upserts every organisation again; it says nothing of this organisation.
      if (error instanceof Error && isRedisUnreachable(error)) {
        deps.redisError('scheduler', error);
        break;
      }
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

/**
 * The scheduler role: upserts, for each organisation, the recurring jobs from PostgreSQL's truth
 * (hourly reconciliation of obligations, planning every minute), reconciles once at start, and
 * re-upserts every SCHEDULER_RESYNC_SECONDS; idempotent, so several schedulers at once, or a
 * flushed Redis, converge.
 */
export async function startScheduler(deps: ProgramDeps): Promise<RoleHandle> {
  const { config, logger } = deps;
  const queue = deps.maintenanceQueue;
  if (!queue) throw new Error('the scheduler role needs the maintenance queue: build with ROLES including scheduler');
  // Organisations already reported as unschedulable (code and zone): said once per process, not every resync.
  const unschedulable = new Set<string>();
  // The first pass also reconciles each organisation once now rather than at the next hour.
  let reconciled = false;
  const upsert = async () => {
    const orgs = await upsertSchedulers(deps, queue, unschedulable);
    if (!reconciled) {
      for (const org of orgs) {
        await queue.add(
          JOB_RECONCILE,
          { orgId: org.id },
          { jobId: `reconcile-start-${org.code}-${Date.now().toString(36)}`, removeOnComplete: 100 },
        );
      }
      reconciled = true;
    }
    return orgs;
  };
  // PostgreSQL or Redis unreachable (a failover, a restart) is said as the jobs' outages are, once
  // per 30 s; anything else as an error.
  const failed = (error: unknown) => {
    if (error instanceof Error && isRedisUnreachable(error)) deps.redisError('scheduler', error);
    else if (error instanceof Error && isDatabaseUnreachable(error)) deps.jobFailed('scheduler', undefined, error);
    else logger.error({ err: error }, 'scheduler upsert failed');
  };
  // A start during an outage does not end the process: the first pass is tried again every
  // few seconds until it succeeds (or the role stops), then every resync period.
  let orgs: Awaited<ReturnType<typeof upsertSchedulers>> = [];
  let retry: NodeJS.Timeout | undefined;
  let stopped = false;
  const firstPass = async (): Promise<void> => {
    try {
      orgs = await upsert();
    } catch (error) {
      failed(error);
      if (stopped) return;
      retry = setTimeout(() => void firstPass(), Math.min(5, config.SCHEDULER_RESYNC_SECONDS) * 1000);
      retry.unref();
    }
  };
  await firstPass();
  // New organisations appear, and a flushed Redis loses every scheduler: re-upsert regularly
  // (idempotent) so that the schedule is rebuilt from PostgreSQL within this period.
  const timer = setInterval(() => {
    if (reconciled) upsert().catch(failed);
  }, config.SCHEDULER_RESYNC_SECONDS * 1000);
  timer.unref();
  logger.info({ role: 'scheduler', organisations: orgs.length }, 'role started');
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearTimeout(retry);
    },
  };
}

/** The worker role: processes maintenance jobs, and sends reminders and digests. */
export function startWorkers(deps: ProgramDeps): RoleHandle {
  const { config, logger, delivery, sendQueue } = deps;
  const prefix = config.REDIS_PREFIX;
  const maintenance = new Worker<OrgJobData>(
    MAINTENANCE_QUEUE,
    createMaintenanceProcessor(deps, delivery, sendQueue, config.PLAN_LOOKAHEAD_SECONDS * 1000),
    { connection: deps.connect('maintenance-worker'), prefix, concurrency: 2 },
  );
  // WORKER_CONCURRENCY bundles in flight in this process; a batch job carries up to BUNDLES_PER_JOB,
  // so the worker takes far fewer jobs at once (and leaves the rest to other workers): twice as many
  // as it takes to fill them, so that a batch waiting on its slowest send (a timeout) does not leave
  // the places of its others empty. That many reached in doubling steps (see jobs/ramp.ts).
  // (The processor is first called once a job is fetched, after `send` is made.)
  const jobsAtOnce = 2 * Math.ceil(config.WORKER_CONCURRENCY / BUNDLES_PER_JOB);
  const processor = rampedProcessor(
    jobsAtOnce,
    (): Worker<SendJobData> => send,
    createSendProcessor(delivery, sendQueue, logger, { bundlesInFlight: config.WORKER_CONCURRENCY }),
  );
  const send: Worker<SendJobData> = new Worker<SendJobData>(REMINDERS_QUEUE, processor, {
    connection: deps.connect('send-worker'),
    prefix,
    concurrency: Math.min(RAMP_FIRST, jobsAtOnce),
    // A SIGKILLed worker's jobs return to the queue once their lock lapses (then the claim
    // in PostgreSQL decides whether anything is left to send).
    lockDuration: config.WORKER_LOCK_SECONDS * 1000,
    stalledInterval: config.WORKER_LOCK_SECONDS * 1000,
  });
  const workers = [maintenance, send];
  for (const w of workers) {
    w.on('error', (error) => deps.redisError(`worker:${w.name}`, error));
    w.on('failed', (job, error) => deps.jobFailed(w.name, job?.id, error));
    w.on('completed', () => deps.jobSucceeded());
  }
  logger.info({ role: 'worker', workerId: deps.workerId }, 'role started');
  return {
    async stop() {
      await Promise.allSettled(workers.map((w) => w.close()));
    },
  };
}

/**
 * The bot role: Telegram (webhook when PUBLIC_URL is set, else long polling) and Zalo (the same).
 * Stopping ends the polling; the bots' follow-ups are drained by {@link createApp}'s `stop`.
 */
export async function startBot(deps: ProgramDeps): Promise<RoleHandle> {
  const { config, logger } = deps;
  let runner: ReturnType<typeof run> | undefined;
  if (!config.TELEGRAM_BOT_TOKEN) {
    logger.info(
      { role: 'bot' },
      'TELEGRAM_BOT_TOKEN chưa đặt: không chạy bot Telegram / no token: the Telegram bot is off',
    );
  }
  if (deps.telegram) {
    const { bot, webhookSecret } = deps.telegram;
    // The bot's code (and the runner) are loaded by the roles that use them, not by every process.
    const { registerCommands, TELEGRAM_WEBHOOK_PATH } = await import('./bot/index.js');
    await registerCommands(bot);
    if (config.PUBLIC_URL) {
      // Telegram pushes updates to the web role (any copy of it); none of this process polls.
      await bot.api.setWebhook(`${config.PUBLIC_URL.replace(/\/$/, '')}${TELEGRAM_WEBHOOK_PATH}`, {
        secret_token: webhookSecret,
        allowed_updates: ['message', 'callback_query'],
      });
      logger.info({ role: 'bot', username: bot.botInfo.username, mode: 'webhook' }, 'role started');
    } else {
      await bot.api.deleteWebhook();
      // Long polling through grammY's runner; one chat's updates in order, chats in parallel.
      const { run } = await import('@grammyjs/runner');
      runner = run(bot, { runner: { fetch: { allowed_updates: ['message', 'callback_query'] } } });
      logger.info({ role: 'bot', username: bot.botInfo.username, mode: 'polling' }, 'role started');
    }
  }
  if (deps.zalo) {
    const { client, bot, webhookSecret } = deps.zalo;
    if (config.PUBLIC_URL) {
      const { ZALO_WEBHOOK_PATH } = await import('./bot/zalo.js');
      await client.setWebhook({
        url: `${config.PUBLIC_URL.replace(/\/$/, '')}${ZALO_WEBHOOK_PATH}`,
        secret_token: webhookSecret,
      });
      logger.info({ role: 'bot', channel: 'zalo', mode: 'webhook' }, 'role started');
    } else {
      // Zalo refuses getUpdates while a webhook is set.
      await client.deleteWebhook().catch((error: unknown) => logger.warn({ err: error }, 'zalo deleteWebhook failed'));
      bot?.startPolling();
      logger.info({ role: 'bot', channel: 'zalo', mode: 'polling' }, 'role started');
    }
  }
  return {
    async stop() {
      if (runner?.isRunning()) await runner.stop().catch(() => undefined);
    },
  };
}

/**
 * The web role: the HTTP server (health, the administrators' pages, one-click confirmation links),
 * and the chat webhooks when PUBLIC_URL is set. Returns its server's address.
 */
export async function startWeb(deps: ProgramDeps): Promise<RoleHandle & { address(): string | null }> {
  const { config, logger, commands } = deps;
  // The web server and its pages (fastify, the board, spreadsheets, QR codes, calendars, imports and
  // reports) are loaded by the web role only, before it listens: a worker never needs them (they
  // were about 30 MB of an idle worker's 280).
  const [
    { createWebServer },
    { TELEGRAM_WEBHOOK_PATH, telegramWebhookRoute },
    { ZALO_WEBHOOK_PATH, zaloWebhookRoute },
  ] = await Promise.all([import('./web/server.js'), import('./bot/index.js'), import('./bot/zalo.js')]);
  const web = createWebServer({
    config,
    db: deps.db,
    redis: deps.connect('web'),
    clock: deps.clock,
    logger,
    metrics: deps.metrics,
    sendQueue: () => deps.sendQueue,
    boardQueues: [deps.sendQueue, ...(deps.maintenanceQueue ? [deps.maintenanceQueue] : [])],
    ...(commands ? { announce: (input) => commands.announce(input) } : {}),
  });
  if (deps.telegram && config.PUBLIC_URL)
    web.post(TELEGRAM_WEBHOOK_PATH, telegramWebhookRoute(deps.telegram.bot, deps.telegram.webhookSecret));
  if (deps.zalo?.bot && config.PUBLIC_URL)
    web.post(ZALO_WEBHOOK_PATH, zaloWebhookRoute(deps.zalo.bot, deps.zalo.webhookSecret));
  await web.listen({ port: config.PORT, host: '0.0.0.0' });
  logger.info({ role: 'web', port: config.PORT }, 'role started');
  return {
    address: () => {
      const a = web.server.address();
      return a && typeof a === 'object' ? `http://127.0.0.1:${a.port}` : null;
    },
    async stop() {
      await web.close().catch(() => undefined);
    },
  };
}

/** The metrics server (METRICS_PORT on METRICS_HOST; see {@link createMetricsServer}), whatever the roles. */
export async function startMetrics(deps: ProgramDeps): Promise<RoleHandle & { address(): string | null }> {
  const { config, logger } = deps;
  const server: Server = createMetricsServer(deps.metrics, { token: config.METRICS_TOKEN, logger });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.METRICS_PORT, config.METRICS_HOST, () => resolve());
  });
  const bound = server.address() as AddressInfo;
  logger.info({ host: bound.address, port: bound.port }, 'metrics served');
  return {
    address: () => {
      const a = server.address();
      return a && typeof a === 'object'
        ? `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`
        : null;
    },
    async stop() {
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * The running program: the roles named in `deps.config.ROLES`, started from what
 * src/composition.ts built. Every role is stateless; any number of copies may run against the same
 * Redis and PostgreSQL.
 *
 * - scheduler: the recurring jobs of every organisation ({@link startScheduler});
 * - worker: maintenance jobs, reminders and digests ({@link startWorkers});
 * - bot: the Telegram and Zalo bots ({@link startBot});
 * - web: the HTTP server and the chat webhooks ({@link startWeb});
 * - and, with METRICS_PORT, the metrics server ({@link startMetrics}).
 */
export function createApp(deps: ProgramDeps): App {
  const roles = deps.config.ROLES;
  let workers: RoleHandle | null = null;
  let scheduler: RoleHandle | null = null;
  let bot: RoleHandle | null = null;
  let web: Awaited<ReturnType<typeof startWeb>> | null = null;
  let metricsServer: Awaited<ReturnType<typeof startMetrics>> | null = null;
  let stopping: Promise<void> | null = null;
  return {
    delivery: deps.delivery,
    metrics: deps.metrics,
    sendQueue: () => deps.sendQueue,
    address: () => web?.address() ?? null,
    metricsAddress: () => metricsServer?.address() ?? null,
    async start() {
      if (roles.includes('worker')) workers = startWorkers(deps);
      if (roles.includes('scheduler')) scheduler = await startScheduler(deps);
      if (roles.includes('bot')) bot = await startBot(deps);
      if (roles.includes('web')) web = await startWeb(deps);
      if (deps.config.METRICS_PORT !== undefined) metricsServer = await startMetrics(deps);
    },
    stop() {
      stopping ??= (async () => {
        await scheduler?.stop();
        await web?.stop();
        await metricsServer?.stop();
        await bot?.stop();
        // Follow-ups of what was just handled (marking messages done, telling colleagues) finish first.
        if (deps.telegram) await deps.telegram.bot.drain();
        if (deps.zalo?.bot) await deps.zalo.bot.stop();
        await workers?.stop();
        await deps.close();
      })();
      return stopping;
    },
  };
}
