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
  for (const [k, v] of Object.entries(headers as Record<string, unknown>))
    out[k] = SECRET_HEADER.test(k) ? '[redacted]' : v;
  return out;
}

/**
 * Plain objects logged with a request's headers (@fastify/multipart's `busboyOptions` at trace, a
 * `req` or `res` built by hand): the same object, its headers made safe. Anything else (a Fastify
 * request has its own serializer in src/web/server.ts) is left to the redact list.
 */
const withSafeHeaders = (o: unknown) =>
  o && typeof o === 'object' && Object.getPrototypeOf(o) === Object.prototype && 'headers' in o
    ? { ...o, headers: safeHeaders((o as { headers: unknown }).headers) }
    : o;

/** Every path under which a request's or a response's headers may be logged, one or two levels down. */
const HEADER_PATHS = ['headers', '*.headers', '*.*.headers'].flatMap((at) =>
  [
    'cookie',
    '["set-cookie"]',
    'authorization',
    '["proxy-authorization"]',
    '["x-telegram-bot-api-secret-token"]',
    '["x-bot-api-secret-token"]',
    '["x-csrf-token"]',
    '["x-api-key"]',
  ].map((h) => (h.startsWith('[') ? `${at}${h}` : `${at}.${h}`)),
);

/** Credentials that an error's text can carry: a bot token in a Bot API URL or alone, a URL's password, a token in a query. */
const SECRET_IN_TEXT: [RegExp, string][] = [
  [/\/bot[^/\s"'<>]*:[^/\s"'<>]+/g, '/bot[redacted]'],
  [/\b\d{5,}:[\w-]{20,}/g, '[redacted]'],
  [/([a-z][a-z\d+.-]*:\/\/)[^\s/@]*@/gi, '$1[redacted]@'],
  [/([?&][\w-]*(?:token|secret|key|password|sig)[\w-]*=)[^&\s"']+/gi, '$1[redacted]'],
  [/[\w.%+-]+@[a-z\d-]+(?:\.[a-z\d-]+)*\.[a-z]{2,}/gi, '[redacted]'],
];

/** A text with every credential and address in it replaced. */
export function redactText(text: string): string {
  return SECRET_IN_TEXT.reduce((out, [pattern, by]) => out.replace(pattern, by), text);
}

/**
 * Fields of library errors that carry a message's body or its recipients: grammY's `payload` (the
 * text and the chat id), nodemailer's envelope and accepted/rejected addresses.
 */
const BODY_FIELDS = new Set([
  'payload',
  'envelope',
  'accepted',
  'rejected',
  'pending',
  'rejectedErrors',
  'text',
  'html',
  'body',
]);

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redactText(value);
  if (!value || typeof value !== 'object') return value;
  if (depth > 4) return '[too deep]';
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = BODY_FIELDS.has(k) ? '[redacted]' : redactValue(v, depth + 1);
  return out;
}

/**
 * An error as pino's standard serializer writes it (type, message and stack with their causes, its
 * own fields), with credentials and addresses taken out of every text in it and message bodies
 * dropped: an HTTP client's error can name the URL it called, and a Bot API URL holds the token.
 */
export function serializeError(error: unknown): unknown {
  return redactValue(pino.stdSerializers.err(error as Error), 0);
}

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
      serializers: {
        err: serializeError,
        headers: safeHeaders,
        busboyOptions: withSafeHeaders,
        req: withSafeHeaders,
        res: withSafeHeaders,
      },
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
