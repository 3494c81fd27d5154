import type { Queue } from 'bullmq';
import type { SendJobData } from '#jobs/queues.js';
import { buildCliDeps } from '#root/composition.js';
import { loadConfig, type EnvConfig } from '#root/config.js';
import type { Lang } from '#root/domain/wording.js';
import type { Db } from '#root/db/client.js';
import { createLogger, type Logger } from '#root/logger.js';
import { resolveSecretKey } from '#root/services/secret-key.js';
import type pg from 'pg';

/** What every command needs, built once per invocation. */
export interface CliContext {
  /** The environment's configuration: SECRET_KEY may be unset there, `secretKey()` is the key. */
  config: EnvConfig;
  /** The deployment's signing key (SECRET_KEY, or the one kept in PostgreSQL), read once. */
  secretKey(): Promise<string>;
  logger: Logger;
  pool: pg.Pool;
  db: Db;
  /** The send queue (a nudge queues through it), opened by the builder when a command first asks. */
  sendQueue(): Promise<Queue<SendJobData>>;
  now: () => Date;
  /** Who the audit log names for changes made from this command line. */
  actor: string;
  /** The language of this run: `--lang`, else DONDOC_LANG, else the locale (src/messages/lang-choice.ts). */
  lang: Lang;
  close(): Promise<void>;
}

/** The context of one run; `lang` as the run chose it (Vietnamese unless said). */
export function createCliContext(env: NodeJS.ProcessEnv, lang: Lang = 'vi'): CliContext {
  const config = loadConfig(env, lang);
  // The CLI prints its results on stdout; logs go to stderr and only when asked for.
  const logger = createLogger({ level: env.LOG_LEVEL ?? 'warn' });
  // Built by the program's builder (src/composition.ts): a small pool; Redis only if a command needs it.
  const deps = buildCliDeps(config);
  const { pool, db } = deps;
  let key: Promise<string> | undefined;
  return {
    config,
    secretKey: () => (key ??= resolveSecretKey(db, config.SECRET_KEY, logger)),
    logger,
    pool,
    db,
    sendQueue: () => deps.sendQueue(),
    now: () => new Date(),
    actor: `cli:${env.USER ?? env.LOGNAME ?? 'admin'}`,
    lang,
    close: () => deps.close(),
  };
}
