/**
 * A small client of the Zalo Bot Platform's Bot API (https://bot.zapps.me/docs/), on `fetch` only.
 *
 * Every method is `POST <apiRoot>/bot<TOKEN>/<method>` with a JSON body, answered with
 * `{ ok, result?, error_code?, description? }`; `ok` decides, not the HTTP status. What each
 * method returns, and what is assumed where the docs are silent, is in docs/channels.md.
 *
 * The token is part of every URL: no error, message or stack this module makes contains it (URLs
 * are never put in errors, and descriptions are redacted in case a server echoes one).
 */
import { timingSafeEqual } from 'node:crypto';
import { DEFAULT_ZALO_TIMEOUT_SECONDS } from '../send-bounds.js';
import { runLimited, type RunLimitedOptions, type ZaloLimiter } from './limiter.js';

export const ZALO_API_ROOT = 'https://bot-api.zaloplatforms.com';
/** The header that carries `setWebhook`'s `secret_token` on every webhook request (lower case, as node:http gives it). */
export const ZALO_SECRET_HEADER = 'x-bot-api-secret-token';

/** Events documented for webhooks and `getUpdates`; others may come and must be ignored safely. */
export type ZaloEventName =
  | 'message.text.received'
  | 'message.image.received'
  | 'message.sticker.received'
  | 'message.voice.received'
  | 'message.unsupported.received';

/** The sender of a message. `display_name` and `is_bot` are in the webhook docs' sample. */
export interface ZaloSender {
  id: string;
  display_name?: string;
  is_bot?: boolean;
}

/** `chat.id` is what `sendMessage` takes as `chat_id`; for a private chat it equals the sender's id. */
export interface ZaloChat {
  id: string;
  /** GROUP is beta (bots invited to groups). */
  chat_type: 'PRIVATE' | 'GROUP';
}

export interface ZaloMessage {
  message_id: string;
  /** Milliseconds since the epoch (not seconds, unlike Telegram). */
  date: number;
  from: ZaloSender;
  chat: ZaloChat;
  text?: string;
  /** Image events: the docs' field table says `photo`; `photo_url` has been seen in the wild. */
  photo?: string;
  photo_url?: string;
  caption?: string;
  /** Sticker events: the sticker id and its image `url`. */
  sticker?: string;
  url?: string;
  voice_url?: string;
}

/** One update: there is no `update_id` — Zalo documents no offset or acknowledgement. */
export interface ZaloUpdate {
  // `string & {}` keeps the documented names in autocompletion while accepting new ones.
  event_name: ZaloEventName | (string & {});
  /** Absent content (no text) is legitimate for `message.unsupported.received`. */
  message?: ZaloMessage;
}

export interface ZaloBotInfo {
  id: string;
  account_name: string;
  account_type: string;
  can_join_groups: boolean;
}

/** `url` is '' when no webhook is set. */
export interface ZaloWebhookInfo {
  url: string;
  updated_at?: number;
}

export interface ZaloSentMessage {
  message_id: string;
  date: number;
}

/** `upload_photo` is documented as "coming soon". */
export type ZaloChatAction = 'typing' | 'upload_photo';

/** Zalo's answer envelope. `parameters.retry_after` is not documented: read in case it comes. */
interface ZaloEnvelope {
  ok: boolean;
  result?: unknown;
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number };
}

/** Zalo answered `ok: false` (or something that is not its JSON). */
export class ZaloApiError extends Error {
  override name = 'ZaloApiError';
  readonly method: string;
  /** `error_code` of the answer; the HTTP status when the answer had none. */
  readonly errorCode: number;
  readonly description: string;
  readonly httpStatus: number;
  /** Seconds to wait before retrying, when the answer said (`parameters.retry_after` or a `Retry-After` header). */
  readonly retryAfter: number | undefined;
  constructor(init: {
    method: string;
    errorCode: number;
    description: string;
    httpStatus: number;
    retryAfter?: number | undefined;
  }) {
    super(`Zalo ${init.method} ${init.errorCode}: ${init.description}`);
    this.method = init.method;
    this.errorCode = init.errorCode;
    this.description = init.description;
    this.httpStatus = init.httpStatus;
    this.retryAfter = init.retryAfter;
  }
}

/** No answer: the connection failed or the request timed out. The request may or may not have been acted on. */
export class ZaloNetworkError extends Error {
  override name = 'ZaloNetworkError';
  readonly method: string;
  readonly timedOut: boolean;
  /** The system error code when there was one (ECONNREFUSED, ECONNRESET…). */
  readonly code: string | undefined;
  constructor(init: { method: string; timedOut: boolean; code?: string | undefined; detail: string }) {
    super(`Zalo ${init.method}: ${init.timedOut ? 'no answer in time' : 'network error'} (${init.detail})`);
    this.method = init.method;
    this.timedOut = init.timedOut;
    this.code = init.code;
  }
}

export interface ZaloClientOptions {
  token: string;
  /** Default {@link ZALO_API_ROOT}; a test server's root in tests. */
  apiRoot?: string;
  /** Default the global `fetch`. */
  fetch?: typeof fetch;
  /** Time allowed for one call, answer included (default 10 s); `getUpdates` gets its long-poll timeout on top. */
  timeoutMs?: number;
  /**
   * Paces `sendMessage`, `sendPhoto` and `sendSticker` per chat and per bot, and waits out 429
   * answers (see limiter.ts). Without one, nothing is paced and a 429 is thrown at once.
   */
  limiter?: ZaloLimiter;
  /** How 429s are waited out when there is a limiter. */
  retry?: Omit<RunLimitedOptions, 'pacedByCaller'>;
}

export interface ZaloCallOptions {
  /** Aborts the call (e.g. a long poll at shutdown); the abort reason is thrown as is. */
  signal?: AbortSignal;
  /** The caller already took this send's turn from the limiter (a channel's `pace`). */
  paced?: boolean;
}

export interface ZaloClient {
  readonly apiRoot: string;
  /** Checks the token; the bot's identity. */
  getMe(options?: ZaloCallOptions): Promise<ZaloBotInfo>;
  /**
   * Long polling: waits up to `timeout` seconds (default 30) for updates. Zalo answers one update
   * per call (an array is accepted too) and a 408 "Request timeout" when none came: that is `[]`
   * here. There is no offset: an update returned is gone. Fails while a webhook is set.
   */
  getUpdates(params?: { timeout?: number }, options?: ZaloCallOptions): Promise<ZaloUpdate[]>;
  /** `secret_token`: 8–256 characters, echoed in the `X-Bot-Api-Secret-Token` header of each delivery. */
  setWebhook(params: { url: string; secret_token: string }, options?: ZaloCallOptions): Promise<ZaloWebhookInfo>;
  deleteWebhook(options?: ZaloCallOptions): Promise<ZaloWebhookInfo>;
  getWebhookInfo(options?: ZaloCallOptions): Promise<ZaloWebhookInfo>;
  /** Plain text, 1–2,000 characters (split longer texts with `splitZaloText`). */
  sendMessage(chatId: string, text: string, options?: ZaloCallOptions): Promise<ZaloSentMessage>;
  /** `photoUrl`: a public URL Zalo fetches; `caption` 1–2,000 characters. */
  sendPhoto(chatId: string, photoUrl: string, caption?: string, options?: ZaloCallOptions): Promise<ZaloSentMessage>;
  sendSticker(chatId: string, sticker: string, options?: ZaloCallOptions): Promise<ZaloSentMessage>;
  sendChatAction(chatId: string, action?: ZaloChatAction, options?: ZaloCallOptions): Promise<true>;
  /** Any method, unpaced: the `result` of a successful answer. */
  call<T>(
    method: string,
    params?: Record<string, unknown>,
    options?: ZaloCallOptions & { timeoutMs?: number },
  ): Promise<T>;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function isEnvelope(v: unknown): v is ZaloEnvelope {
  return isRecord(v) && typeof v.ok === 'boolean';
}

/** `Retry-After`: seconds, or an HTTP date. */
function retryAfterHeader(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1_000));
}

/** Recognises a 429 for {@link runLimited}. */
export const zaloRateLimitOf = (error: unknown) =>
  error instanceof ZaloApiError && error.errorCode === 429 ? { retryAfterSeconds: error.retryAfter } : undefined;

/** An update from a webhook body: Zalo's docs show `{ ok: true, result: update }`, some report the bare update; both are accepted. */
export function parseZaloUpdate(body: unknown): ZaloUpdate | undefined {
  const candidate = isEnvelope(body) ? body.result : body;
  if (!isRecord(candidate) || typeof candidate.event_name !== 'string') return undefined;
  const message = candidate.message;
  if (message !== undefined && !(isRecord(message) && isRecord(message.chat) && typeof message.chat.id === 'string'))
    return undefined;
  return candidate as unknown as ZaloUpdate;
}

/** Whether a webhook request's `X-Bot-Api-Secret-Token` is `expected`, compared in constant time. */
export function checkZaloSecret(received: string | string[] | undefined, expected: string): boolean {
  if (typeof received !== 'string' || expected === '') return false;
  const a = Buffer.from(received);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * A Zalo Bot API client. The steps of each call: build the URL (never shown), POST the JSON
 * params under a timeout, read the answer as JSON whatever the HTTP status, return `result` when
 * `ok`, else throw a {@link ZaloApiError}; a failed connection or a timeout is a
 * {@link ZaloNetworkError}. Sends go through the limiter when one is given.
 */
export function createZaloClient(options: ZaloClientOptions): ZaloClient {
  const token = options.token;
  if (typeof token !== 'string' || token.trim() === '')
    throw new TypeError('createZaloClient: a bot token is required');
  const apiRoot = (options.apiRoot ?? ZALO_API_ROOT).replace(/\/+$/, '');
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_ZALO_TIMEOUT_SECONDS * 1000;
  const limiter = options.limiter;

  /** Whatever a server says back is shown without the token, should it echo the URL. */
  const redact = (text: string): string =>
    text
      .split(token)
      .join('<token>')
      .replace(/\/bot[^/\s"']+\//g, '/bot<token>/');

  async function call<T>(
    method: string,
    params: Record<string, unknown> = {},
    callOptions: ZaloCallOptions & { timeoutMs?: number } = {},
  ): Promise<T> {
    const url = `${apiRoot}/bot${token}/${method}`;
    const timer = new AbortController();
    let timedOut = false;
    const handle = setTimeout(() => {
      timedOut = true;
      timer.abort();
    }, callOptions.timeoutMs ?? timeoutMs);
    const signal = callOptions.signal ? AbortSignal.any([callOptions.signal, timer.signal]) : timer.signal;
    let status: number;
    let text: string;
    let retryAfter: number | undefined;
    try {
      const res = await fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(params),
        signal,
      });
      status = res.status;
      retryAfter = retryAfterHeader(res.headers.get('retry-after'), Date.now());
      text = await res.text();
    } catch (error) {
      if (callOptions.signal?.aborted && !timedOut) throw callOptions.signal.reason;
      const cause = isRecord(error) && isRecord(error.cause) ? error.cause : undefined;
      const code = typeof cause?.code === 'string' ? cause.code : undefined;
      // Only the code and a redacted message leave here: undici's errors can carry the request.
      const detail = timedOut
        ? `${callOptions.timeoutMs ?? timeoutMs} ms`
        : (code ?? redact(error instanceof Error ? error.message : String(error)));
      throw new ZaloNetworkError({ method, timedOut, code, detail });
    } finally {
      clearTimeout(handle);
    }

    let body: unknown;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      body = undefined;
    }
    if (!isEnvelope(body)) {
      throw new ZaloApiError({
        method,
        errorCode: status >= 400 ? status : 502,
        httpStatus: status,
        description: `unexpected answer (HTTP ${status}, not Zalo's JSON)`,
        retryAfter,
      });
    }
    if (body.ok) return body.result as T;
    const hinted = body.parameters?.retry_after;
    throw new ZaloApiError({
      method,
      errorCode: typeof body.error_code === 'number' ? body.error_code : status,
      httpStatus: status,
      description: redact(
        typeof body.description === 'string' && body.description !== '' ? body.description : `HTTP ${status}`,
      ),
      retryAfter: typeof hinted === 'number' && Number.isFinite(hinted) ? Math.max(0, hinted) : retryAfter,
    });
  }

  /** A send to one chat: paced and 429-retried by the limiter, when there is one. */
  function send<T>(
    method: string,
    chatId: string,
    params: Record<string, unknown>,
    callOptions: ZaloCallOptions = {},
  ): Promise<T> {
    const run = () => call<T>(method, { chat_id: chatId, ...params }, callOptions);
    if (!limiter) return run();
    return runLimited(limiter, chatId, run, zaloRateLimitOf, {
      ...options.retry,
      pacedByCaller: callOptions.paced === true,
    });
  }

  return {
    apiRoot,
    call,
    getMe: (o) => call<ZaloBotInfo>('getMe', {}, o),
    async getUpdates(params = {}, o = {}) {
      const timeout = params.timeout ?? 30;
      try {
        // The docs' table types `timeout` as a String (their sample sends a number): send a string.
        const result = await call<unknown>(
          'getUpdates',
          { timeout: String(timeout) },
          { ...o, timeoutMs: timeout * 1_000 + timeoutMs },
        );
        if (Array.isArray(result)) return result.filter((u): u is ZaloUpdate => parseZaloUpdate(u) !== undefined);
        const update = parseZaloUpdate(result);
        return update ? [update] : [];
      } catch (error) {
        // "Request timeout": the long poll ended with nothing new.
        if (error instanceof ZaloApiError && error.errorCode === 408) return [];
        throw error;
      }
    },
    setWebhook: (params, o) =>
      call<ZaloWebhookInfo>('setWebhook', { url: params.url, secret_token: params.secret_token }, o),
    deleteWebhook: (o) => call<ZaloWebhookInfo>('deleteWebhook', {}, o),
    getWebhookInfo: (o) => call<ZaloWebhookInfo>('getWebhookInfo', {}, o),
    sendMessage: (chatId, text, o) => send<ZaloSentMessage>('sendMessage', chatId, { text }, o),
    sendPhoto: (chatId, photoUrl, caption, o) =>
      send<ZaloSentMessage>(
        'sendPhoto',
        chatId,
        caption === undefined ? { photo: photoUrl } : { photo: photoUrl, caption },
        o,
      ),
    sendSticker: (chatId, sticker, o) => send<ZaloSentMessage>('sendSticker', chatId, { sticker }, o),
    async sendChatAction(chatId, action = 'typing', o) {
      // Documented answer: `{ "ok": true }` with no result. Not paced: it is no message.
      await call<unknown>('sendChatAction', { chat_id: chatId, action }, o);
      return true;
    },
  };
}
