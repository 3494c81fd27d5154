import type pg from 'pg';
import type { Config } from './config.js';
import type { Db } from './db/client.js';
import type { Logger } from './logger.js';

/** Where time comes from: the wall clock in production, a controlled one in tests. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** What every role and service of the running program is built from (see src/composition.ts, which adds the rest). */
export interface Deps {
  config: Config;
  logger: Logger;
  pool: pg.Pool;
  db: Db;
  clock: Clock;
}
