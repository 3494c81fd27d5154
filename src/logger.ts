import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Headers whose values are credentials: cookies (the administrators' session), authorization
 * (the metrics token), and any header naming a token, secret, key, session or CSRF value (the chat
 * webhooks' `x-telegram-bot-api-secret-token`, `x-bot-api-secret-token`, `x-csrf-token`).
 */
const SECRET_HEADER = /^(cookie|set-cookie|authorization|proxy-authorization)$|token|secret|key|session|csrf|auth/i;

/** A copy of a headers object with every credential's value replaced; other headers kept. */
export function safeHeaders(headers: unknown): unknown {
  if (!headers || typeof headers !== 'object') return headers;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(headers as Record<string, unknown>)) out[k] = SECRET_HEADER.test(k) ? '[redacted]' : v;
  return out;
}

/**
 * Plain objects logged with a request's headers (@fastify/multipart's `busboyOptions` at trace, a
 * `req` or `res` built by hand): the same object, its headers made safe. Anything else (a Fastify
 * request has its own serializer in src/web/server.ts) is left to the redact list.
 */
const withSafeHeaders = (o: unknown) =>
  o && typeof o === 'object' && Object.getPrototypeOf(o) === Object.prototype && 'headers' in o ? { ...o, headers: safeHeaders((o as { headers: unknown }).headers) } : o;

/** Every path under which a request's or a response's headers may be logged, one or two levels down. */
const HEADER_PATHS = ['headers', '*.headers', '*.*.headers'].flatMap((at) =>
  ['cookie', '["set-cookie"]', 'authorization', '["proxy-authorization"]', '["x-telegram-bot-api-secret-token"]', '["x-bot-api-secret-token"]', '["x-csrf-token"]', '["x-api-key"]'].map((h) =>
    h.startsWith('[') ? `${at}${h}` : `${at}.${h}`,
  ),
);

/**
 * The process logger: JSON lines (pino). Secrets, message bodies and addresses are never logged;
 * at every level (trace included) credentials in headers are replaced by serializers for the
 * objects known to carry them, and the redact list is a second line of defence for fields that
 * might carry them anywhere else.
 */
export function createLogger(options: { level: string; name?: string; destination?: DestinationStream }): Logger {
  return pino(
    {
      name: options.name ?? 'dondoc',
      level: options.level,
      serializers: { headers: safeHeaders, busboyOptions: withSafeHeaders, req: withSafeHeaders, res: withSafeHeaders },
      redact: {
        paths: [
          'config.SECRET_KEY',
          'config.DATABASE_URL',
          'config.REDIS_URL',
          'config.SMTP_URL',
          'config.TELEGRAM_BOT_TOKEN',
          'config.ZALO_BOT_TOKEN',
          'config.METRICS_TOKEN',
          ...HEADER_PATHS,
          '*.token',
          '*.password',
          '*.secret',
          '*.email',
          'text',
          '*.text',
        ],
        censor: '[redacted]',
      },
    },
    options.destination,
  );
}
