import type { Logger } from '#root/logger.js';

/**
 * Reports an outage of a service the program keeps retrying (Redis reconnecting, jobs failing
 * while PostgreSQL is down): the first failure at once, then one line every `everyMs` with how many
 * were folded into it, and one line when the service answers again — not a line per failure. A
 * failure within `everyMs` of the last line, though the service answered in between, is folded too:
 * a flap (a Sentinel failover: the connections come back, then ioredis moves them to the promoted
 * primary, aborting a command in flight) is one outage, not two.
 */
export function outageReporter(
  logger: Logger,
  options: { level: 'warn' | 'error'; down: string; up: string; everyMs?: number },
) {
  const everyMs = options.everyMs ?? 30_000;
  let since: number | null = null;
  let lastReport = 0;
  let suppressed = 0;
  return {
    failed(fields: Record<string, unknown>) {
      const now = Date.now();
      since ??= now;
      if (now - lastReport < everyMs) {
        suppressed++;
        return;
      }
      lastReport = now;
      logger[options.level]({ ...fields, downForSeconds: Math.round((now - since) / 1000), suppressed }, options.down);
      suppressed = 0;
    },
    recovered() {
      if (since === null) return;
      logger.info({ downForSeconds: Math.round((Date.now() - since) / 1000), suppressed }, options.up);
      since = null;
      suppressed = 0;
    },
  };
}

// Prisma's codes: P1001 can't reach the server, P1002 timed out, P1008 operation timed out, P1017
// the server closed the connection, P2024 no connection from the pool in time; PostgreSQL's: class
// 08 (connection exception) and 57P01–57P03 (shut down by an administrator or a crash, starting up).
const DB_DOWN_CODES = new Set([
  'P1001',
  'P1002',
  'P1008',
  'P1017',
  'P2024',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
]);
// The driver's and Prisma's messages, for errors wrapped without their code. "… is not queryable"
// is pg's answer on a held connection the server already closed (a transaction during a restart).
const DB_DOWN =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Can't reach database|Server has closed the connection|Connection terminated|Connection is closed|terminating connection|the database system is (starting up|shutting down|in recovery mode)|Timed out fetching a new connection|encountered a connection error and is not queryable|pool/i;

/** Whether an error says PostgreSQL cannot be reached (as opposed to a failure of the job itself). */
export function isDatabaseUnreachable(error: Error): boolean {
  const code = (error as Error & { code?: unknown }).code;
  return (typeof code === 'string' && DB_DOWN_CODES.has(code)) || DB_DOWN.test(error.message);
}

/**
 * What a Redis connection says while its server cannot be reached or is changing hands: refused or
 * lost connections, every sentinel unreachable, a Cluster without its slots, a primary demoted to
 * replica or still loading its data after a failover.
 */
const REDIS_DOWN =
  /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|ECONNRESET|EPIPE|Connection is closed|connect|sentinel|CLUSTERDOWN|refresh slots|None of startup nodes|READONLY|LOADING|MASTERDOWN|TRYAGAIN/i;

/** ioredis's own errors: a command aborted by a lost connection, retries used up, a Cluster's nodes all failing. */
const REDIS_ERRORS = new Set(['AbortError', 'ReplyError', 'MaxRetriesPerRequestError', 'ClusterAllFailedError']);

/** Whether an error says Redis cannot be reached (as opposed to a failure of the command itself). */
export function isRedisUnreachable(error: Error): boolean {
  return REDIS_DOWN.test(error.message);
}

/** Whether a job's error is Redis's connection failing (not PostgreSQL's, whose messages look alike). */
export function isRedisConnectionError(error: Error): boolean {
  return REDIS_ERRORS.has(error.name) && isRedisUnreachable(error);
}

/**
 * A job whose lease Redis no longer knows: its lock missing, held by another or not renewed (a
 * failover lost the lock's last writes, or a stall handed the job to another worker), or the job
 * given up as stalled too often. Nothing is lost or sent twice (the claim in PostgreSQL decides;
 * the planner queues again what is still pending): said once per outage, not once per job.
 */
export function isLostJobLease(error: Error): boolean {
  return /^(Missing (lock|key) for job|Lock mismatch for job|could not renew lock for job)|is not in the active state|job stalled more than allowable limit/.test(
    error.message,
  );
}
