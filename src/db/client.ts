import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '#root/generated/prisma/client.js';

export { PrismaClient };
export type Db = PrismaClient;

export interface DbOptions {
  url: string;
  poolMax?: number;
  connectTimeoutMs?: number;
  /**
   * Called when an idle connection dies (PostgreSQL restarted, a failover, an administrator's
   * pg_terminate_backend). The pool drops it and opens another when needed; without a listener the
   * error would end the process.
   */
  onIdleError?: (error: Error) => void;
}

/**
 * A pg pool with the settings every connection of dondoc needs: UTC sessions (timestamptz
 * handling has known bugs otherwise) and a finite connect timeout (pg waits forever by default).
 */
export function createPool(options: DbOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
    options: '-c TimeZone=UTC',
    application_name: 'dondoc',
  });
  pool.on(
    'error',
    options.onIdleError ??
      ((error) => process.stderr.write(`dondoc: idle PostgreSQL connection lost: ${error.message}\n`)),
  );
  return pool;
}

/** The pool each client made by {@link createPrisma} runs over (see src/db/prepared.ts). */
const pools = new WeakMap<object, pg.Pool>();

/** Prisma 7 over our pool through the driver adapter: no engine binary needed. */
export function createPrisma(pool: pg.Pool): PrismaClient {
  const db = new PrismaClient({ adapter: new PrismaPg(pool) });
  pools.set(db, pool);
  return db;
}

/** The pg pool under a client made by {@link createPrisma}; undefined for any other (a transaction's). */
export function poolOf(db: object): pg.Pool | undefined {
  return pools.get(db);
}

/** The database name in a PostgreSQL URL. */
export function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
}

/** The same server, another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/**
 * Creates the database named in `url` when it does not exist yet (the one-command start on a new
 * machine). Connects to the server's `postgres` database to do so.
 */
export async function ensureDatabase(url: string): Promise<boolean> {
  const name = databaseName(url);
  const admin = new pg.Client({ connectionString: withDatabase(url, 'postgres'), connectionTimeoutMillis: 5_000 });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    try {
      await admin.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    } catch (error) {
      // Another process created it between our check and our CREATE: that is fine.
      if ((error as { code?: string }).code !== '42P04') throw error;
    }
    return true;
  } finally {
    await admin.end();
  }
}
