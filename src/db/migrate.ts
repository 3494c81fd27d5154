import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/** Prisma's migration lock: holding the same key keeps us and `prisma migrate deploy` apart. */
const PRISMA_ADVISORY_LOCK = 72707369;

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../prisma/migrations/', import.meta.url));

/** Prisma's own DDL for its bookkeeping table (PostgreSQL). */
const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/** The migrations on disk, in Prisma's layout (`<timestamp>_<name>/migration.sql`), oldest first. */
export async function readMigrations(dir = MIGRATIONS_DIR): Promise<MigrationFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    }),
  );
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: string[];
}

/**
 * Applies pending migrations the way `prisma migrate deploy` does, so that either can be used on
 * the same database.
 *
 * 1. Take Prisma's advisory lock (several processes may start at once: one migrates, the others wait).
 * 2. Create `_prisma_migrations` if missing.
 * 3. Refuse to go on if an applied migration's file changed (checksum) or one is marked failed.
 * 4. For each pending migration: insert its row (started), run its SQL in a transaction, then set
 *    `finished_at` and `applied_steps_count = 1`. On error the transaction leaves nothing behind, so
 *    the row is marked rolled back with the error in `logs` and the error is raised.
 */
export async function migrate(url: string, dir = MIGRATIONS_DIR): Promise<MigrateResult> {
  const files = await readMigrations(dir);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, options: '-c TimeZone=UTC' });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_ADVISORY_LOCK]);
    await client.query(CREATE_MIGRATIONS_TABLE);
    const { rows } = await client.query<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
      rolled_back_at: Date | null;
    }>('SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at');
    const live = rows.filter((r) => r.rolled_back_at === null);
    const failed = live.find((r) => r.finished_at === null);
    if (failed) {
      throw new MigrationError(
        `Migration ${failed.migration_name} đã thất bại trước đó; xem cột logs trong _prisma_migrations / ` +
          `migration ${failed.migration_name} failed earlier; see its logs in _prisma_migrations`,
      );
    }
    const done = new Map(live.map((r) => [r.migration_name, r.checksum]));
    for (const [name, checksum] of done) {
      const file = files.find((f) => f.name === name);
      if (file && file.checksum !== checksum) {
        throw new MigrationError(`Migration ${name} đã bị sửa sau khi áp dụng / was modified after it was applied`);
      }
    }
    const result: MigrateResult = { applied: [], alreadyApplied: [...done.keys()] };
    for (const file of files) {
      if (done.has(file.name)) continue;
      const id = randomUUID();
      await client.query(
        'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
        [id, file.checksum, file.name],
      );
      try {
        await client.query('BEGIN');
        await client.query(file.sql);
        await client.query(
          'UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1',
          [id],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        await client.query('UPDATE "_prisma_migrations" SET logs = $2, rolled_back_at = now() WHERE id = $1', [
          id,
          String(error instanceof Error ? error.message : error),
        ]);
        throw new MigrationError(`Migration ${file.name}: ${error instanceof Error ? error.message : String(error)}`);
      }
      result.applied.push(file.name);
    }
    return result;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_ADVISORY_LOCK]).catch(() => undefined);
    await client.end();
  }
}
