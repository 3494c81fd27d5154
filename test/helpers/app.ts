import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import { inject } from 'vitest';
import { createApp, type App } from '#root/app.js';
import { createSandboxChannel } from '#root/channels/sandbox/index.js';
import { processTelegramLimiter } from '#root/channels/telegram/limiter.js';
import type { ChannelAdapter } from '#root/channels/types.js';
import { loadConfig, type Config, type Role } from '#root/config.js';
import { buildDeps, type ProgramDeps } from '#root/composition.js';
import type { Channel } from '#root/generated/prisma/client.js';
import { createLogger, type Logger } from '#root/logger.js';
import { createRedis } from '#root/redis.js';
import type { TestDatabase } from './db.js';
import { ManualClock } from './clock.js';

export interface TestApp {
  app: App;
  deps: ProgramDeps;
  clock: ManualClock;
  config: Config;
  stop(): Promise<void>;
}

/** A Redis key prefix of its own for one test (runs share the real Redis). */
export const testPrefix = () => `t${inject('runId')}${randomBytes(3).toString('hex')}`;

/** The program's roles over a test database, a Redis prefix of their own and a hand-moved clock. */
export async function startTestApp(
  t: TestDatabase,
  options: {
    start: Date;
    roles?: Role[];
    channels?: Partial<Record<Channel, ChannelAdapter>>;
    env?: Record<string, string>;
    logger?: Logger;
  },
): Promise<TestApp> {
  // The key as the program resolves it: SECRET_KEY when the test sets one, else the database's own.
  const envConfig = loadConfig({
    DATABASE_URL: t.url,
    REDIS_PREFIX: testPrefix(),
    LOG_LEVEL: 'silent',
    PORT: '0',
    WORKER_CONCURRENCY: '16',
    ...options.env,
  });
  const clock = new ManualClock(options.start);
  // Built as src/main.ts builds it, over the test's database (which the test closes) and channels;
  // Telegram's limits are this process's (a test of the shared ones builds its own).
  const deps = await buildDeps(
    { ...envConfig, ROLES: options.roles ?? ['worker'] },
    {
      logger: options.logger ?? createLogger({ level: envConfig.LOG_LEVEL }),
      clock,
      database: { pool: t.pool, db: t.prisma },
      channels: options.channels ?? { sandbox: createSandboxChannel() },
      telegramLimiter: processTelegramLimiter(envConfig.TELEGRAM_LIMITS),
    },
  );
  const config = deps.config;
  const app = createApp(deps);
  await app.start();
  return {
    app,
    deps,
    clock,
    config,
    async stop() {
      await app.stop();
      const redis = createRedis(config.REDIS_URL);
      const keys = await redis.keys(`${config.REDIS_PREFIX}:*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
    },
  };
}

/** Waits until a queue has nothing waiting, active or delayed. */
export async function drained(queue: Queue, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
    if (Object.values(c).every((n) => n === 0)) return;
    if (Date.now() > until) throw new Error(`queue ${queue.name} not drained: ${JSON.stringify(c)}`);
    await new Promise((r) => setTimeout(r, 15));
  }
}
