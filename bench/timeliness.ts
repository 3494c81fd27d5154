import { randomBytes } from 'node:crypto';
import { createApp } from '#root/app.js';
import { buildDeps } from '#root/composition.js';
import { createSandboxChannel } from '#root/channels/sandbox/index.js';
import { loadConfig } from '#root/config.js';
import { systemClock } from '#root/deps.js';
import { yearWindow } from '#root/domain/zoned-day.js';
import { createLogger } from '#root/logger.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { buildMiniOrg } from '../test/helpers/builders.js';
import { dropPrefix, openBenchEnv, type BenchEnv } from './env.js';
import type { Figure } from './run.js';
import { percentile, round, size, sleep } from './util.js';

/**
 * `timeliness`: M sandbox reminders whose instants are spread evenly over the next S seconds,
 * delivered by the real scheduler and worker roles: the scheduler's job plans every
 * PLAN_EVERY_SECONDS and queues what is due within PLAN_LOOKAHEAD_SECONDS, delayed to its instant;
 * the worker sends. Lateness = sent_at − scheduled_at, p50 and p99 (target ≤ 5 s).
 *
 * The scheduler plans every organisation of its database, so this bench has a database of its own.
 * The reminders are manual nudges (`nudge-…` stages): the planner keeps them, and they are sent at
 * any hour (a planned stage outside 08:00–17:00 would be cancelled as missed).
 */
export async function benchTimeliness(shared: BenchEnv): Promise<Figure[]> {
  const M = size('BENCH_TIMELINESS_REMINDERS', 1_000);
  const S = size('BENCH_TIMELINESS_SECONDS', 120);
  const every = size('BENCH_TIMELINESS_PLAN_EVERY_SECONDS', 5);
  const lookahead = size('BENCH_TIMELINESS_LOOKAHEAD_SECONDS', 30);
  const env = await openBenchEnv('timeliness');
  try {
    const config = {
      ...loadConfig({
        DATABASE_URL: env.url,
        REDIS_URL: shared.redisUrl,
        REDIS_PREFIX: env.prefix,
        LOG_LEVEL: 'silent',
        WORKER_CONCURRENCY: process.env.WORKER_CONCURRENCY ?? '',
        DB_POOL_MAX: '20',
        PLAN_EVERY_SECONDS: String(every),
        PLAN_LOOKAHEAD_SECONDS: String(lookahead),
      }),
      SECRET_KEY: randomBytes(32).toString('base64url'),
    };

    // Obligations due next June: the planner has no stage of its own to write in the next day.
    const year = new Date().getUTCFullYear() + 1;
    const mini = await buildMiniOrg(env.db, {
      code: 'bench-time',
      units: Math.ceil(M / 4),
      duties: ['A', 'B', 'C', 'D'].map((c) => ({ code: c, due: `${year}-06-30` })),
      now: new Date(),
    });
    const orgId = mini.org.id;
    await reconcileObligations(env.db, orgId, yearWindow(year), new Date());
    const obligations = await env.db.obligation.findMany({
      where: { orgId },
      include: { unit: { include: { contacts: true } } },
      orderBy: { id: 'asc' },
      take: M,
    });

    const app = createApp(
      await buildDeps(
        { ...config, ROLES: ['scheduler', 'worker'] },
        {
          logger: createLogger({ level: 'silent' }),
          clock: systemClock,
          database: { pool: env.pool, db: env.db },
          channels: { sandbox: createSandboxChannel() },
        },
      ),
    );
    await app.start();
    try {
      // The first instant a little ahead, so that the first of the scheduler's passes can queue it.
      const startAt = Date.now() + 10_000;
      const rows = obligations.map((o, i) => ({
        orgId,
        obligationId: o.id,
        contactId: o.unit.contacts[0]!.id,
        channel: 'sandbox' as const,
        kind: 'lead' as const,
        stage: `nudge-timeliness${i}@${year}0630`,
        scheduledAt: new Date(startAt + Math.floor((i * S * 1_000) / M)),
      }));
      for (let i = 0; i < rows.length; i += 2_000) await env.db.reminder.createMany({ data: rows.slice(i, i + 2_000) });
      const until = startAt + S * 1_000 + 60_000;
      let sent = 0;
      while ((sent = await env.db.reminder.count({ where: { orgId, status: 'sent' } })) < M && Date.now() < until)
        await sleep(500);
      const delivered = await env.db.reminder.findMany({
        where: { orgId, status: 'sent' },
        select: { scheduledAt: true, sentAt: true },
      });
      const lateness = delivered.map((r) => (r.sentAt!.getTime() - r.scheduledAt.getTime()) / 1000);
      const duplicates = (await env.db.outboxMessage.count({ where: { orgId } })) - sent;
      const p99 = percentile(lateness, 99);
      const label = `${M} over ${S} s, planned every ${every} s, ${lookahead} s ahead`;
      return [
        {
          bench: 'timeliness',
          figure: `lateness p50 (${label})`,
          value: round(percentile(lateness, 50), 3),
          unit: 's',
        },
        {
          bench: 'timeliness',
          figure: `lateness p99 (${label})`,
          value: round(p99, 3),
          unit: 's',
          target: '≤ 5 s',
          ok: p99 <= 5,
        },
        { bench: 'timeliness', figure: 'lateness max', value: round(Math.max(...lateness), 3), unit: 's' },
        {
          bench: 'timeliness',
          figure: 'not sent within 60 s of the last instant',
          value: M - sent,
          unit: '',
          target: '0',
          ok: sent === M,
        },
        { bench: 'timeliness', figure: 'duplicates', value: duplicates, unit: '', target: '0', ok: duplicates === 0 },
      ];
    } finally {
      await app.stop();
      await dropPrefix(shared.redisUrl, env.prefix);
    }
  } finally {
    await env.close();
  }
}
