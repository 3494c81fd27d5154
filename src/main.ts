import { createApp } from './app.js';
import { buildDeps } from './composition.js';
import { ConfigError, loadConfig, loadEnvFile, SHUTDOWN_GRACE_MS } from './config.js';
import { chooseLang, UnknownLangError } from './messages/lang-choice.js';
import { ensureDatabase } from './db/client.js';
import { migrate } from './db/migrate.js';
import { createLogger, redactText } from './logger.js';
import { describeRedis, redisTargetOf } from './redis.js';

/**
 * The program's process: configuration, logger and migrations here, everything else by `buildDeps`
 * (src/composition.ts), then the roles of ROLES (src/app.ts). On a new machine `npm start`
 * creates the database, applies migrations and, when the database is empty, seeds the demo
 * organisation, so that a newcomer sees the program work at once.
 */
async function main(): Promise<void> {
  let envConfig;
  try {
    // `.env` of the working directory, when there is one (the environment's own values win).
    loadEnvFile();
    // Its problems in the operator's language: DONDOC_LANG, else the locale (LC_ALL, LC_MESSAGES, LANG).
    envConfig = loadConfig(process.env, chooseLang(process.env));
  } catch (error) {
    if (error instanceof ConfigError || error instanceof UnknownLangError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger({ level: envConfig.LOG_LEVEL });
  // Unexpected errors with their stacks, as structured lines (credentials taken out by the
  // logger's serializer). An exception nobody caught leaves the process in an unknown state: exit,
  // and let the supervisor start it again.
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    process.exit(1);
  });

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

  // Everything else is built in one place (src/composition.ts), the signing key resolved there.
  const deps = await buildDeps(envConfig, { logger });
  const { config, db } = deps;

  if (config.SEED_DEMO && (await db.organisation.count()) === 0) {
    // The demo's code (and everything it builds with) only when it is used, not in every process.
    const { seedDemo } = await import('./services/demo.js');
    const r = await seedDemo(db, {
      orgCode: config.DEFAULT_ORG,
      timeZone: config.DEFAULT_TIME_ZONE,
      now: deps.clock.now(),
      actor: 'system:demo',
    });
    logger.info(
      { org: r.orgCode, units: r.units, contacts: r.contacts, obligations: r.obligations },
      'demo organisation seeded',
    );
  }
  // The demo's administrator, so that the web page can be tried at once (never in production,
  // where the first administrator is created with `dondoc admin create`).
  if (config.SEED_DEMO && config.NODE_ENV !== 'production' && (await db.adminAccount.count()) === 0) {
    const org = await db.organisation.findUnique({ where: { code: config.DEFAULT_ORG } });
    if (org) {
      const [{ createAdmin }, { DEMO_ADMIN }] = await Promise.all([
        import('./services/admins.js'),
        import('./services/demo.js'),
      ]);
      // The demo's one organisation is the whole deployment: its administrator operates it too.
      await createAdmin(
        db,
        org.id,
        { email: DEMO_ADMIN.email, name: DEMO_ADMIN.name, password: DEMO_ADMIN.password, operator: true },
        'system:demo',
      );
      logger.info(
        { email: DEMO_ADMIN.email, url: `http://localhost:${config.PORT}/login` },
        'demo administrator created (its password is in the README)',
      );
    }
  }

  const app = createApp(deps);
  await app.start();
  logger.info({ roles: config.ROLES, pid: process.pid, redis: describeRedis(redisTargetOf(config)) }, 'dondoc started');

  let exiting = false;
  const shutdown = async (signal: string) => {
    if (exiting) return;
    exiting = true;
    logger.info({ signal }, 'stopping');
    const force = setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS);
    force.unref();
    // Intake, workers, queues, Prisma, Redis: once, in that order (App.stop, then deps.close).
    await app.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  // Its stack, with any credential (a URL's password, a token) taken out.
  process.stderr.write(
    `dondoc: ${redactText(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`,
  );
  process.exit(1);
});
