import { loadConfig, type Config } from '#root/config.js';
import { createPool, createPrisma, type Db } from '#root/db/client.js';
import { createLogger, type Logger } from '#root/logger.js';
import type pg from 'pg';

/** What every command needs, built once per invocation. */
export interface CliContext {
  config: Config;
  logger: Logger;
  pool: pg.Pool;
  db: Db;
  now: () => Date;
  /** Who the audit log names for changes made from this command line. */
  actor: string;
  close(): Promise<void>;
}

export function createCliContext(env: NodeJS.ProcessEnv): CliContext {
  const config = loadConfig(env);
  // The CLI prints its results on stdout; logs go to stderr and only when asked for.
  const logger = createLogger({ level: env.LOG_LEVEL ?? 'warn' });
  const pool = createPool({ url: config.DATABASE_URL, poolMax: 4, connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS });
  const db = createPrisma(pool);
  return {
    config,
    logger,
    pool,
    db,
    now: () => new Date(),
    actor: `cli:${env.USER ?? env.LOGNAME ?? 'admin'}`,
    async close() {
      await db.$disconnect();
      await pool.end();
    },
  };
}
