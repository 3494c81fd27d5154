import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate } from '#root/db/migrate.js';
import { withDatabase } from '#root/db/client.js';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabaseUrl: string;
    runId: string;
  }
}

/**
 * Once per `vitest run`: a database migrated with our runner, used as the template that each
 * integration test file clones (CREATE DATABASE … TEMPLATE is fast), and a run id for Redis prefixes.
 * Everything made here is dropped at the end.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  const template = `dondoc_t_${runId}`;
  const admin = new pg.Client({ connectionString: withDatabase(server, 'postgres'), connectionTimeoutMillis: 5_000 });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${template}"`);
  const templateUrl = withDatabase(server, template);
  await migrate(templateUrl);
  project.provide('templateDatabaseUrl', templateUrl);
  project.provide('runId', runId);
  return async () => {
    const { rows } = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [
      `dondoc_t_${runId}%`,
    ]);
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await admin.end();
  };
}
