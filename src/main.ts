import { createApp } from './app.js';
import { createChannels } from './channels/index.js';
import { createRedisTelegramLimiter, telegramBotId, type TelegramLimiter } from './channels/telegram/limiter.js';
import { ConfigError, loadConfig } from './config.js';
import { createPool, createPrisma, ensureDatabase } from './db/client.js';
import { migrate } from './db/migrate.js';
import { systemClock, type Deps } from './deps.js';
import { outageReporter } from './lib/outage.js';
import { createLogger } from './logger.js';
import { createRedis, type Redis } from './redis.js';
import { createAdmin } from './services/admins.js';
import { withSecretKey } from './services/secret-key.js';
import { DEMO_ADMIN, seedDemo } from './services/demo.js';

/**
 * Everything is built here: configuration, logger, database, the roles. On a new machine `npm start`
 * creates the database, applies migrations and, when the database is empty, seeds the demo
 * organisation, so that a newcomer sees the program work at once.
 */
async function main(): Promise<void> {
  let envConfig;
  try {
    envConfig = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({ level: envConfig.LOG_LEVEL });
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));

  // PostgreSQL may still be starting (docker compose): retry with backoff rather than crash-loop.
  for (let attempt = 1; ; attempt++) {
    try {
      if (await ensureDatabase(envConfig.DATABASE_URL)) logger.info('database created');
      const r = await migrate(envConfig.DATABASE_URL);
      if (r.applied.length) logger.info({ applied: r.applied }, 'migrations applied');
      break;
    } catch (error) {
      if (attempt >= 10 || !/ECONNREFUSED|ENOTFOUND|timeout|starting up/i.test(String(error))) throw error;
      const wait = Math.min(30_000, 500 * 2 ** attempt);
      logger.warn({ attempt, wait, err: error }, 'PostgreSQL not reachable yet, retrying');
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  const pool = createPool({
    url: envConfig.DATABASE_URL,
    poolMax: envConfig.DB_POOL_MAX,
    connectTimeoutMs: envConfig.DB_CONNECT_TIMEOUT_MS,
    onIdleError: (error) => logger.warn({ err: error }, 'idle PostgreSQL connection lost; the pool reconnects'),
  });
  const db = createPrisma(pool);
  // SECRET_KEY, or the deployment's own random key kept in PostgreSQL: never a constant.
  const config = await withSecretKey(envConfig, db, logger);
  const deps: Deps = { config, logger, pool, db, clock: systemClock };

  if (config.SEED_DEMO && (await db.organisation.count()) === 0) {
    const r = await seedDemo(db, { orgCode: config.DEFAULT_ORG, timeZone: config.DEFAULT_TIME_ZONE, now: deps.clock.now(), actor: 'system:demo' });
    logger.info({ org: r.orgCode, units: r.units, contacts: r.contacts, obligations: r.obligations }, 'demo organisation seeded');
  }
  // The demo's administrator, so that the web page can be tried at once (never in production,
  // where the first administrator is created with `dondoc admin create`).
  if (config.SEED_DEMO && config.NODE_ENV !== 'production' && (await db.adminAccount.count()) === 0) {
    const org = await db.organisation.findUnique({ where: { code: config.DEFAULT_ORG } });
    if (org) {
      // The demo's one organisation is the whole deployment: its administrator operates it too.
      await createAdmin(db, org.id, { email: DEMO_ADMIN.email, name: DEMO_ADMIN.name, password: DEMO_ADMIN.password, operator: true }, 'system:demo');
      logger.info({ email: DEMO_ADMIN.email, url: `http://localhost:${config.PORT}/login` }, 'demo administrator created (its password is in the README)');
    }
  }

  // Telegram's limits are the bot's, whichever process sends: kept in Redis, shared by every
  // worker and bot process of this deployment (TELEGRAM_LIMITS=off: only 429 answers waited out).
  let limitsRedis: Redis | null = null;
  let telegramLimiter: TelegramLimiter | undefined;
  if (config.TELEGRAM_BOT_TOKEN && config.TELEGRAM_LIMITS === 'on') {
    limitsRedis = createRedis(config.REDIS_URL, { connectionName: 'dondoc-telegram-limits' });
    // Its connection errors are the app's connections' to report; what the limiter itself meets is
    // said once, then every 30 s, and once more when Redis answers again.
    limitsRedis.on('error', () => undefined);
    const limitsOutage = outageReporter(logger, {
      level: 'warn',
      down: 'Giới hạn Telegram: Redis không trả lời, tiến trình này tự giãn nhịp gửi / Telegram limits: Redis not answering, pacing in this process alone',
      up: 'Giới hạn Telegram: Redis trả lời lại / Telegram limits: Redis answering again',
    });
    limitsRedis.on('ready', () => limitsOutage.recovered());
    telegramLimiter = createRedisTelegramLimiter(limitsRedis, `${config.REDIS_PREFIX}:tg-limits:${telegramBotId(config.TELEGRAM_BOT_TOKEN)}`, {
      onError: (error) => limitsOutage.failed({ err: error }),
    });
  }
  const channels = await createChannels(config, logger, { telegramLimiter });
  const app = createApp(deps, { roles: config.ROLES, channels, ...(telegramLimiter ? { telegramLimiter } : {}) });
  await app.start();
  logger.info({ roles: config.ROLES, pid: process.pid }, 'dondoc started');

  let exiting = false;
  const shutdown = async (signal: string) => {
    if (exiting) return;
    exiting = true;
    logger.info({ signal }, 'stopping');
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    await app.stop();
    limitsRedis?.disconnect();
    await db.$disconnect();
    await pool.end();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`dondoc: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
