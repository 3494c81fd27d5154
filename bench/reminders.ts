import { randomBytes } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { dispatchDue } from '#jobs/dispatch.js';
import { createApp } from '#root/app.js';
import { buildDeps } from '#root/composition.js';
import { createSandboxChannel } from '#root/channels/sandbox/index.js';
import { loadConfig } from '#root/config.js';
import { systemClock } from '#root/deps.js';
import { createLogger } from '#root/logger.js';
import { createRedis } from '#root/redis.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { buildMiniOrg } from '../test/helpers/builders.js';
import { dueNextYear } from '../test/helpers/clock.js';
import { dropPrefix, type BenchEnv } from './env.js';
import type { Figure } from './run.js';

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** Reference: plain BullMQ no-op jobs on the same Redis, at the workers' concurrency. */
async function noopThroughput(env: BenchEnv, n: number, concurrency: number): Promise<number> {
  const prefix = `${env.prefix}-noop`;
  const qc = createRedis(env.redisUrl);
  const wc = createRedis(env.redisUrl);
  const queue = new Queue('noop', { connection: qc, prefix });
  let done = 0;
  let resolve!: () => void;
  const finished = new Promise<void>((r) => (resolve = r));
  const worker = new Worker('noop', async () => undefined, { connection: wc, prefix, concurrency, autorun: false });
  worker.on('completed', () => ++done === n && resolve());
  const t0 = performance.now();
  for (let i = 0; i < n; i += 1000)
    await queue.addBulk(
      Array.from({ length: Math.min(1000, n - i) }, (_, k) => ({
        name: 'noop',
        data: { i: i + k },
        opts: { removeOnComplete: true },
      })),
    );
  void worker.run();
  await finished;
  const rate = n / ((performance.now() - t0) / 1000);
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  await qc.quit();
  await wc.quit();
  return rate;
}

/**
 * `reminders`: 10,000 sandbox reminders due the same minute, delivered per second, against BullMQ
 * no-op jobs per second in the same run; and the lateness of 1,000 reminders spread over two minutes.
 */
export async function benchReminders(env: BenchEnv): Promise<Figure[]> {
  const N = Number(process.env.BENCH_REMINDERS ?? 10_000);
  const config = {
    ...loadConfig({
      DATABASE_URL: env.url,
      REDIS_URL: env.redisUrl,
      REDIS_PREFIX: `${env.prefix}-rem`,
      LOG_LEVEL: 'silent',
      WORKER_CONCURRENCY: process.env.WORKER_CONCURRENCY ?? '',
      DB_POOL_MAX: '20',
    }),
    SECRET_KEY: randomBytes(32).toString('base64url'),
  };
  const reference = await noopThroughput(env, N, config.WORKER_CONCURRENCY);

  async function seed(code: string, count: number, at: (i: number) => Date) {
    // Due next year, whatever day the bench runs.
    const now = new Date();
    const next = dueNextYear(now);
    const mini = await buildMiniOrg(env.db, {
      code,
      units: count / 4,
      duties: ['A', 'B', 'C', 'D'].map((c) => ({ code: c, due: next.due })),
      now,
    });
    await reconcileObligations(env.db, mini.org.id, next.window, now);
    const obligations = await env.db.obligation.findMany({
      where: { orgId: mini.org.id },
      include: { unit: { include: { contacts: true } } },
    });
    const rows = obligations.map((o, i) => ({
      orgId: mini.org.id,
      obligationId: o.id,
      contactId: o.unit.contacts[0]!.id,
      channel: 'sandbox' as const,
      kind: 'lead' as const,
      stage: `nudge-bench${i}@${next.stageDay}`,
      scheduledAt: at(i),
    }));
    // In slices: Prisma splits a larger createMany into chunks it runs concurrently on one connection.
    for (let i = 0; i < rows.length; i += 2_000) await env.db.reminder.createMany({ data: rows.slice(i, i + 2_000) });
    return mini.org.id;
  }

  // Throughput: everything due now.
  const orgA = await seed('bench-a', N, () => new Date());
  const app = createApp(
    await buildDeps(
      { ...config, ROLES: ['worker'] },
      {
        logger: createLogger({ level: 'silent' }),
        clock: systemClock,
        database: { pool: env.pool, db: env.db },
        channels: { sandbox: createSandboxChannel() },
      },
    ),
  );
  await app.start();
  const t0 = performance.now();
  await dispatchDue(env.db, app.sendQueue(), orgA, new Date(), 0);
  while ((await env.db.reminder.count({ where: { orgId: orgA, status: 'sent' } })) < N)
    await new Promise((r) => setTimeout(r, 100));
  const rate = N / ((performance.now() - t0) / 1000);

  // Timeliness: 1,000 reminders spread over two minutes, queued ahead and delayed to their instant.
  const M = Number(process.env.BENCH_SPREAD_REMINDERS ?? 1_000);
  let lateness: number[] = [];
  if (M > 0) {
    const startAt = Date.now() + 10_000;
    const orgB = await seed('bench-b', M, (i) => new Date(startAt + Math.floor((i * 120_000) / M)));
    await dispatchDue(env.db, app.sendQueue(), orgB, new Date(), 600_000);
    while ((await env.db.reminder.count({ where: { orgId: orgB, status: 'sent' } })) < M)
      await new Promise((r) => setTimeout(r, 500));
    const rows = await env.db.reminder.findMany({
      where: { orgId: orgB },
      select: { scheduledAt: true, sentAt: true },
    });
    lateness = rows.map((r) => (r.sentAt!.getTime() - r.scheduledAt.getTime()) / 1000);
  }
  const duplicates = (await env.db.outboxMessage.count()) - N - M;
  await app.stop();
  await dropPrefix(env.redisUrl, `${env.prefix}-rem`);

  const ratio = rate / reference;
  const p99 = percentile(lateness, 99);
  return [
    { bench: 'reminders', figure: `sandbox reminders delivered (${N} due at once)`, value: round(rate, 0), unit: '/s' },
    { bench: 'reminders', figure: 'BullMQ no-op jobs, same Redis (reference)', value: round(reference, 0), unit: '/s' },
    {
      bench: 'reminders',
      figure: 'ratio delivered / no-op',
      value: round(ratio, 3),
      unit: '×',
      target: '≥ 0.25',
      ok: ratio >= 0.25,
    },
    // BENCH_SPREAD_REMINDERS=0 skips the lateness part: no figure rather than a missed NaN.
    ...(M > 0
      ? [
          {
            bench: 'reminders',
            figure: `lateness p50 (${M} over 2 min)`,
            value: round(percentile(lateness, 50), 3),
            unit: 's',
          },
          {
            bench: 'reminders',
            figure: `lateness p99 (${M} over 2 min)`,
            value: round(p99, 3),
            unit: 's',
            target: '≤ 5 s',
            ok: p99 <= 5,
          },
        ]
      : []),
    { bench: 'reminders', figure: 'duplicates', value: duplicates, unit: '', target: '0', ok: duplicates === 0 },
  ];
}
