import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { Queue } from 'bullmq';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { MAINTENANCE_QUEUE, REMINDERS_QUEUE } from '#jobs/queues.js';
import type { Db } from './db/client.js';
import type { Clock } from './deps.js';
import type { Logger } from './logger.js';
import type { Redis } from './redis.js';
import { withTimeout } from './lib/timeout.js';

/**
 * Prometheus metrics of this process. Created per process (not at import) so tests and several
 * roles in one process share one registry.
 *
 * The `kind` label of the reminder counters is the reminder's stage (lead, due, overdue,
 * escalation, cooperating) or `digest`: sent and failed reminders by stage are these counters.
 */
export function createMetrics() {
  const registry = new Registry();
  // The process's own: CPU, memory, heap, event loop lag, open handles, garbage collection.
  collectDefaultMetrics({ register: registry });
  const labels = ['channel', 'kind'] as const;
  return {
    registry,
    /**
     * How long the web role took to answer, by method, route pattern (never the path: a signed
     * link's token is in it) and status class.
     */
    httpDuration: new Histogram({
      name: 'dondoc_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method, route pattern and status class',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    sent: new Counter({
      name: 'dondoc_reminders_sent_total',
      help: 'Messages delivered, by channel and kind',
      labelNames: labels,
      registers: [registry],
    }),
    failed: new Counter({
      name: 'dondoc_reminders_failed_total',
      help: 'Permanent delivery failures, by channel and kind',
      labelNames: labels,
      registers: [registry],
    }),
    retried: new Counter({
      name: 'dondoc_reminders_retried_total',
      help: 'Temporary delivery failures that will be retried',
      labelNames: labels,
      registers: [registry],
    }),
    /**
     * Sends whose outcome is unknown, so the channel may or may not have accepted the message:
     * claims found without an outcome after the lease (the worker died between the claim and the
     * record), and calls the channel never answered (a timeout). They are sent again (the README's
     * rule): each is a possible duplicate.
     */
    /**
     * Password hashes computed to answer a login (scrypt, 128 MiB and ~0.5 s each; an unknown
     * email's decoy included): what the login limits bound, whatever the concurrency.
     */
    passwordChecks: new Counter({
      name: 'dondoc_password_checks_total',
      help: 'Password hashes computed to answer logins (scrypt), the decoy of an unknown email included',
      registers: [registry],
    }),
    unknown: new Counter({
      name: 'dondoc_reminders_unknown_outcome_total',
      help: 'Sends of unknown outcome (a claim reclaimed after a crash, or no answer from the channel): possibly delivered twice',
      labelNames: ['channel'] as const,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * The answer to a scrape without the right bearer token: plain text for whoever set up the
 * monitoring (the operator), in both languages like the rest of the operator's terminal output.
 */
export const METRICS_UNAUTHORIZED = 'Cần mã truy cập / bearer token required\n';

/** Whether an Authorization header is `Bearer <token>` (compared in constant time). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer ([^\s]+)$/i.exec(header ?? '');
  if (!m) return false;
  const sent = Buffer.from(m[1]!);
  const want = Buffer.from(token);
  return sent.length === want.length && timingSafeEqual(sent, want);
}

/**
 * The process's metrics server (METRICS_PORT): `GET /metrics` only, asking for `token` when one is
 * set. Prometheus scrapes each process here, on an address of its own (METRICS_HOST, this machine
 * by default): a worker or scheduler counts what it does (reminders sent and failed by channel and
 * stage, jobs); the web role's registry adds the gauges read at scrape (queue depths, each
 * organisation's open obligations). Not listening until the caller says so.
 */
export function createMetricsServer(metrics: Metrics, options: { token: string | undefined; logger: Logger }): Server {
  const { token, logger } = options;
  return createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res
        .writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
        .end('Không có trang này / not found: /metrics only\n');
      return;
    }
    if (token && !bearerMatches(req.headers.authorization, token)) {
      res
        .writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer realm="metrics"' })
        .end(METRICS_UNAUTHORIZED);
      return;
    }
    metrics.registry.metrics().then(
      (text) =>
        res.writeHead(200, { 'content-type': metrics.registry.contentType, 'cache-control': 'no-store' }).end(text),
      (error: unknown) => {
        logger.error({ err: error }, 'metrics failed');
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Lỗi / error\n');
      },
    );
  });
}

/** The queues whose depth is reported, and the states counted. */
export const OBSERVED_QUEUES = [REMINDERS_QUEUE, MAINTENANCE_QUEUE] as const;
export const OBSERVED_JOB_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

export interface ScrapeSources {
  db: Db;
  /** A connection the web role already has; the queues to count are opened on it, lazily. */
  redis: Redis;
  prefix: string;
  clock: Clock;
  logger?: Logger;
  /** How long one dependency may take before the scrape reports it down (default 2 s; Prometheus waits 10 s by default, and a cold first query of Prisma can take over 1 s). */
  timeoutMs?: number;
}

interface Snapshot {
  postgres: { org: string; open: number; overdue: number }[] | null;
  queues: { queue: string; counts: Record<string, number> }[] | null;
}

/**
 * Gauges measured when Prometheus scrapes (prom-client's `collect`), in the web process:
 *
 * - `dondoc_queue_jobs{queue,state}`: BullMQ `getJobCounts` of the reminders and maintenance queues;
 * - `dondoc_obligations_open{org}` and `dondoc_obligations_overdue{org}`: one SQL count;
 * - `dondoc_up{dependency}`: 1 when PostgreSQL (or Redis) answered this scrape, 0 otherwise.
 *
 * One scrape asks PostgreSQL and Redis once each, in parallel, each within `timeoutMs`; a
 * dependency that is down or slow is reported 0 and its gauges are left out (no stale numbers),
 * and the scrape itself still answers. Redis is not even asked unless its connection is ready:
 * the web's connection queues commands while reconnecting (`maxRetriesPerRequest: null`), and a
 * scrape must not wait for that.
 *
 * Returns `close()`, which closes the Queue objects opened for counting (not the connection).
 */
export function observeAtScrape(metrics: Metrics, sources: ScrapeSources): { close(): Promise<void> } {
  const { registry } = metrics;
  const timeoutMs = sources.timeoutMs ?? 2000;
  const names = ['dondoc_queue_jobs', 'dondoc_obligations_open', 'dondoc_obligations_overdue', 'dondoc_up'];
  // A second web server on the same registry (tests) replaces the first one's collectors.
  for (const n of names) registry.removeSingleMetric(n);

  let queues: Queue[] | null = null;
  const openQueues = () =>
    (queues ??= OBSERVED_QUEUES.map((name) => {
      const q = new Queue(name, { connection: sources.redis, prefix: sources.prefix });
      // Connection errors are already reported by the connection's owner (src/app.ts); an
      // 'error' event without a listener would throw.
      q.on('error', (error) => sources.logger?.debug({ err: error, queue: name }, 'metrics queue error'));
      return q;
    }));

  async function obligationCounts() {
    const now = sources.clock.now();
    const rows = await sources.db.$queryRaw<{ org: string; open: number; overdue: number }[]>`
      SELECT o.code AS org, count(ob.id)::int AS open,
             count(ob.id) FILTER (WHERE COALESCE(ob.extended_to, ob.due_at) < ${now})::int AS overdue
        FROM organisations o
        LEFT JOIN obligations ob ON ob.org_id = o.id AND ob.status = 'open' AND ob.current AND NOT ob.history
       GROUP BY o.code`;
    return rows;
  }

  async function queueCounts() {
    if (sources.redis.status !== 'ready') throw new Error(`redis ${sources.redis.status}`);
    return Promise.all(
      openQueues().map(async (q) => ({ queue: q.name, counts: await q.getJobCounts(...OBSERVED_JOB_STATES) })),
    );
  }

  // Every gauge's collect() of one scrape shares one snapshot (prom-client collects them in turn).
  let last: { at: number; snapshot: Promise<Snapshot> } | null = null;
  const snapshot = () => {
    const at = Date.now();
    if (last && at - last.at < 1000) return last.snapshot;
    const taken = (async (): Promise<Snapshot> => {
      const [pg, rd] = await Promise.allSettled([
        withTimeout(obligationCounts(), timeoutMs),
        withTimeout(queueCounts(), timeoutMs),
      ]);
      if (pg.status === 'rejected') sources.logger?.warn({ err: pg.reason }, 'metrics: PostgreSQL did not answer');
      if (rd.status === 'rejected') sources.logger?.warn({ err: rd.reason }, 'metrics: Redis did not answer');
      return {
        postgres: pg.status === 'fulfilled' ? pg.value : null,
        queues: rd.status === 'fulfilled' ? rd.value : null,
      };
    })();
    last = { at, snapshot: taken };
    return taken;
  };

  new Gauge({
    name: 'dondoc_queue_jobs',
    help: 'Jobs in a BullMQ queue by state, counted at scrape time (absent when Redis did not answer)',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      for (const q of s.queues ?? [])
        for (const state of OBSERVED_JOB_STATES) this.set({ queue: q.queue, state }, q.counts[state] ?? 0);
    },
  });
  new Gauge({
    name: 'dondoc_obligations_open',
    help: 'Open current obligations (overdue ones included), per organisation',
    labelNames: ['org'] as const,
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      for (const r of s.postgres ?? []) this.set({ org: r.org }, r.open);
    },
  });
  new Gauge({
    name: 'dondoc_obligations_overdue',
    help: 'Open current obligations past their due (or extended) date, per organisation',
    labelNames: ['org'] as const,
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      for (const r of s.postgres ?? []) this.set({ org: r.org }, r.overdue);
    },
  });
  new Gauge({
    name: 'dondoc_up',
    help: 'Whether a dependency answered this scrape (1) or not (0)',
    labelNames: ['dependency'] as const,
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.set({ dependency: 'postgres' }, s.postgres ? 1 : 0);
      this.set({ dependency: 'redis' }, s.queues ? 1 : 0);
    },
  });

  return {
    async close() {
      if (queues) await Promise.allSettled(queues.map((q) => q.close()));
    },
  };
}
