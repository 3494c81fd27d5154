import { loadConfig, type EnvConfig } from '#root/config.js';
import { createPool, createPrisma, type Db } from '#root/db/client.js';
import { createLogger, type Logger } from '#root/logger.js';
import { resolveSecretKey } from '#root/services/secret-key.js';
import type pg from 'pg';

/** What every command needs, built once per invocation. */
export interface CliContext {
  /** The environment's configuration: SECRET_KEY may be unset there, `secretKey()` is the key. */
  config: EnvConfig;
  /** The deployment's signing key (SECRET_KEY, or the one kept in PostgreSQL), read once. */
  secretKey(): Promise<string>;
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
  let key: Promise<string> | undefined;
  return {
    config,
    secretKey: () => (key ??= resolveSecretKey(db, config.SECRET_KEY, logger)),
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
