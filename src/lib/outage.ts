import type { Logger } from '#root/logger.js';

/**
 * Reports an outage of a service the program keeps retrying (Redis reconnecting, jobs failing
 * while PostgreSQL is down): the first failure at once, then one line every `everyMs` with how many
 * were folded into it, and one line when the service answers again — not a line per failure.
 */
export function outageReporter(logger: Logger, options: { level: 'warn' | 'error'; down: string; up: string; everyMs?: number }) {
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
      lastReport = 0;
      suppressed = 0;
    },
  };
}
