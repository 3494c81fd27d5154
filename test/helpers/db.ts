import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createPool, createPrisma, databaseName, withDatabase, type Db } from '#root/db/client.js';

export interface TestDatabase {
  url: string;
  pool: pg.Pool;
  prisma: Db;
  close(): Promise<void>;
}

/** A fresh, migrated database of its own for one test file (cloned from the run's template). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = inject('templateDatabaseUrl');
  const name = `${databaseName(template)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: withDatabase(template, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${databaseName(template)}"`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(template, name);
  const pool = createPool({ url, poolMax: 5 });
  const prisma = createPrisma(pool);
  return {
    url,
    pool,
    prisma,
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

/** An empty database of its own (not migrated), for the migration runner's tests. */
export async function createEmptyDatabase(): Promise<{ url: string }> {
  const template = inject('templateDatabaseUrl');
  const name = `${databaseName(template)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: withDatabase(template, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return { url: withDatabase(template, name) };
}
