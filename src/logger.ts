import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * The process logger: JSON lines (pino). Secrets, message bodies and addresses are never logged;
 * the redact list is a second line of defence for fields that might carry them.
 */
export function createLogger(options: { level: string; name?: string; destination?: DestinationStream }): Logger {
  return pino({
    name: options.name ?? 'dondoc',
    level: options.level,
    redact: {
      paths: [
        'config.SECRET_KEY',
        'config.DATABASE_URL',
        'config.REDIS_URL',
        'config.SMTP_URL',
        'config.TELEGRAM_BOT_TOKEN',
        'config.ZALO_BOT_TOKEN',
        'config.METRICS_TOKEN',
        '*.token',
        '*.password',
        '*.secret',
        '*.email',
        'text',
        '*.text',
      ],
      censor: '[redacted]',
    },
  }, options.destination);
}
