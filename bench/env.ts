import pg from 'pg';
import { createPool, createPrisma, withDatabase, type Db } from '#root/db/client.js';
import { migrate } from '#root/db/migrate.js';
import { createRedis } from '#root/redis.js';

/**
 * A database and a Redis prefix of the bench's own, dropped at the end. `tag` names a second one
 * for a bench that must not see the others' data (the scheduler role plans every organisation).
 */
export async function openBenchEnv(tag?: string) {
  const server = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const id = `dondoc_bench_${Date.now().toString(36)}${tag ? `_${tag}` : ''}`;
  const admin = new pg.Client({ connectionString: withDatabase(server, 'postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${id}"`);
  const url = withDatabase(server, id);
  await migrate(url);
  // Seeding runs thousands of queries at once on 20 connections: on a busy machine a query can wait
  // longer than the default 5 s for one (pg-pool counts that wait as connecting).
  const pool = createPool({ url, poolMax: 20, connectTimeoutMs: 120_000, onIdleError: () => undefined });
  const db: Db = createPrisma(pool);
  return {
    url,
    redisUrl,
    prefix: id,
    pool,
    db,
    async close() {
      await db.$disconnect();
      await pool.end();
      await admin.query(`DROP DATABASE IF EXISTS "${id}" WITH (FORCE)`);
      await admin.end();
    },
  };
}

export type BenchEnv = Awaited<ReturnType<typeof openBenchEnv>>;

/** Deletes every Redis key a bench wrote under `prefix` (the machine's Redis is shared). */
export async function dropPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = createRedis(redisUrl);
  const keys = await redis.keys(`${prefix}:*`);
  for (let i = 0; i < keys.length; i += 1_000) await redis.del(...keys.slice(i, i + 1_000));
  await redis.quit();
}
