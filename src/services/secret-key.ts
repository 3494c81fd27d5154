import { randomBytes } from 'node:crypto';
import type { Config, EnvConfig } from '#root/config.js';
import type { Db } from '#root/db/client.js';
import type { Logger } from '#root/logger.js';

/** The row of `deployment_secrets` that holds the signing key made when SECRET_KEY is not set. */
export const SECRET_KEY_ROW = 'secret_key';

/**
 * The key that signs links and derives the chat webhooks' secrets. SECRET_KEY when it is set;
 * otherwise the deployment's own key, kept in PostgreSQL: the first process to ask makes one at
 * random (32 bytes), every other process reads the same.
 *
 * 1. Insert a fresh random key with `ON CONFLICT DO NOTHING`: of processes starting at once, exactly
 *    one insert wins, the others change nothing.
 * 2. Read the row back: whoever inserted it, every process now holds the same key.
 *
 * The log says which happened, never the key.
 */
export async function resolveSecretKey(db: Db, configured: string | undefined, logger?: Logger): Promise<string> {
  if (configured) return configured;
  const candidate = randomBytes(32).toString('base64url');
  const made =
    await db.$executeRaw`INSERT INTO deployment_secrets (name, value) VALUES (${SECRET_KEY_ROW}, ${candidate}) ON CONFLICT (name) DO NOTHING`;
  const row = await db.deploymentSecret.findUniqueOrThrow({ where: { name: SECRET_KEY_ROW } });
  if (made === 1) {
    logger?.warn(
      { keySource: 'generated', table: 'deployment_secrets' },
      'SECRET_KEY chưa đặt: đã tạo một khóa ngẫu nhiên và lưu trong PostgreSQL, mọi tiến trình dùng chung / SECRET_KEY not set: a random key was made and kept in PostgreSQL for every process',
    );
  } else {
    logger?.info(
      { keySource: 'database', table: 'deployment_secrets' },
      'SECRET_KEY chưa đặt: dùng khóa đã lưu trong PostgreSQL / SECRET_KEY not set: using the key kept in PostgreSQL',
    );
  }
  return row.value;
}

/** The configuration with its signing key resolved (see `resolveSecretKey`). */
export async function withSecretKey(config: EnvConfig, db: Db, logger?: Logger): Promise<Config> {
  return { ...config, SECRET_KEY: await resolveSecretKey(db, config.SECRET_KEY, logger) };
}
