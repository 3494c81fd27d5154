/**
 * A local fake of the Zalo Bot Platform's Bot API for tests, on `node:http` only.
 *
 * Point the client at it with `createZaloClient({ token: fake.token, apiRoot: fake.apiRoot })`.
 * It answers the methods a reminder bot uses with Zalo's documented shapes (docs/channels.md):
 * `{ ok: true, result }` / `{ ok: false, error_code, description }`, the HTTP status equal to
 * `error_code`. It enforces what Zalo documents — the token in the path (401 otherwise), text and
 * captions of 1–2,000 characters, `secret_token` of 8–256, no `getUpdates` while a webhook is set,
 * long polling that answers one update per call or a 408 "Request timeout" — and, when `limits` are
 * on, rate limits answered with 429 "Quota exceeded" and a retry hint.
 *
 * Where Zalo documents nothing, the choices are ours and marked ASSUMED: the error given to
 * `getUpdates` while a webhook is set, the answer for a user who blocked the bot, the limits and
 * the retry hint.
 *
 * A test plays the user (`userSends`, `userSendsImage`, `userSendsSticker`, `inject`): updates are
 * queued for `getUpdates`, or POSTed to the webhook with the `X-Bot-Api-Secret-Token` header when
 * one is set. It plays the network with `fail` (an error status, a call held until the client gives
 * up, a connection reset) and `block`. Every call is recorded; the token is not.
 *
 * The clock and timers are captured when this module is loaded, so `vi.useFakeTimers()` in a test
 * does not freeze long polling or the limits.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
const realNow = Date.now.bind(Date);

type Json = Record<string, unknown>;

/** One HTTP call the fake received (recorded on arrival; `status` is 0 until answered). */
export interface ZaloRecordedCall {
  /** Bot API method as sent (case kept: Zalo's method names are case-sensitive). */
  method: string;
  /** GET or POST. */
  httpMethod: string;
  /** Parameters from the query string and the JSON or form body. */
  params: Json;
  /** Arrival, ms since the epoch, on the fake's clock. */
  at: number;
  /** HTTP status answered; 0 while unanswered (a long poll, or a `'timeout'` fault). */
  status: number;
  /** Whether the path carried the right token (the token itself is never recorded). */
  authorized: boolean;
  /** `chat_id`, when the call had one. */
  chatId?: string;
}

/** A message the bot sent (one part of a split text is one message). */
export interface ZaloSentRecord {
  message_id: string;
  chat_id: string;
  date: number;
  kind: 'text' | 'photo' | 'sticker';
  text?: string;
  photo?: string;
  caption?: string;
  sticker?: string;
}

export interface FakeZaloLimits {
  /** Messages per bot in any 1-second window. */
  perSecond: number;
  /** Minimum spacing between two messages to one chat, ms. */
  perChatMs: number;
  /**
   * How the 429 says when to retry (ASSUMED — Zalo documents "429 Quota exceeded" and no hint):
   * `parameters.retry_after` seconds (default), a `Retry-After` header, or nothing.
   */
  retryHint?: 'parameters' | 'header' | 'none';
}

export interface StartZaloServerOptions {
  /** The valid token (default a made-up one in Zalo's `<bot_id>:<secret>` shape). */
  token?: string;
  /** Rate limits (429). Default `{ perSecond: 10, perChatMs: 1000 }`; `false` for none. */
  limits?: FakeZaloLimits | false;
  /** The fake's clock, ms since the epoch (default the real `Date.now`). */
  now?: () => number;
  /** Webhook body: `{ ok: true, result: update }` as in Zalo's docs (default), or the bare update as some report it. */
  webhookEnvelope?: 'wrapped' | 'bare';
  /** `account_name` answered by getMe. */
  accountName?: string;
}

/** A fault for {@link FakeZalo.fail}. */
export interface FakeZaloFault {
  /** An HTTP status with Zalo's error body; `'timeout'`: the call is never answered; `'reset'`: the connection is cut. */
  status: number | 'timeout' | 'reset';
  /** `error_code` in the body (default `status`). */
  errorCode?: number;
  description?: string;
  /** Only calls to this chat. */
  chatId?: string;
  /** Matching calls that fail (default 1). */
  times?: number;
  /** Matching calls let through before the fault starts (default 0): e.g. the second part of a split message. */
  after?: number;
  /** A `parameters.retry_after` to put in the body. */
  retryAfter?: number;
}

/** What a webhook delivery got back from the receiver. */
export interface ZaloWebhookDelivery {
  update: Json;
  /** HTTP status of the receiver's answer; 0 when it could not be reached. */
  status: number;
  error?: string;
}

export interface FakeUserOptions {
  displayName?: string;
  /** Default the user's private chat (id = user id). */
  chatId?: string;
  chatType?: 'PRIVATE' | 'GROUP';
}

export interface FakeZalo {
  /** e.g. `http://127.0.0.1:PORT`, for the client's `apiRoot`. */
  apiRoot: string;
  token: string;
  /** The bot's id (the token's part before `:`). */
  botId: string;
  /** Every call, in order of arrival. */
  calls: ZaloRecordedCall[];
  /** Messages the bot sent (to one chat, or all), in order. */
  sent(chatId?: string): ZaloSentRecord[];
  /** Queues (or POSTs to the webhook) an update as is, and returns it. */
  inject(update: Json): Json;
  /** A user's text in their private chat: `message.text.received`. */
  userSends(userId: string, text: string, options?: FakeUserOptions): Json;
  /** `message.image.received`, with `photo` (the docs' field) and an optional caption. */
  userSendsImage(userId: string, photoUrl: string, options?: FakeUserOptions & { caption?: string }): Json;
  /** `message.sticker.received`, with the sticker id and its `url`. */
  userSendsSticker(userId: string, sticker: string, options?: FakeUserOptions): Json;
  /** Updates waiting for `getUpdates`. */
  pending(): number;
  /** Long polls (getUpdates) held open now, waiting for an update: what a test awaits before writing. */
  polling(): number;
  /** The webhook set by setWebhook (undefined when none). */
  webhook(): { url: string; secret_token: string; updated_at: number } | undefined;
  /** Deliveries POSTed to the webhook, in order. */
  webhookDeliveries: ZaloWebhookDelivery[];
  /** Resolves once every webhook delivery under way has been answered. */
  settled(): Promise<void>;
  /** The next matching calls of `method` (`'*'`: any but getUpdates) fail as `fault` says. */
  fail(method: string, fault: FakeZaloFault): void;
  /** Sends to this user fail as Zalo would answer if they blocked the bot (ASSUMED: 404 by default), until {@link unblock}. */
  block(userId: string, answer?: { errorCode: number; description: string }): void;
  unblock(userId: string): void;
  /** Stop: pending long polls get 408, held calls are cut. */
  close(): Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly description: string,
    readonly parameters?: Json,
    readonly headers?: Record<string, string>,
  ) {
    super(description);
  }
}

const TEXT_MAX = 2_000;
const SENDS = new Set(['sendMessage', 'sendPhoto', 'sendSticker']);
const CHAT_METHODS = new Set([...SENDS, 'sendChatAction']);
const KNOWN = new Set(['getMe', 'getUpdates', 'setWebhook', 'deleteWebhook', 'getWebhookInfo', ...CHAT_METHODS]);
/** ASSUMED: Zalo documents no answer for a user who blocked the bot; 404 is its "Not found" code. */
const BLOCKED_ANSWER = { errorCode: 404, description: 'Not found: the user has blocked the bot or does not exist' };
const DEFAULT_LIMITS: FakeZaloLimits = { perSecond: 10, perChatMs: 1_000 };

const badRequest = (what: string) => new ApiError(400, `Bad request: ${what}`);

function stringParam(params: Json, name: string): string | undefined {
  const v = params[name];
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

/** Start a fake Zalo Bot API on 127.0.0.1, on a free port. */
export async function startZaloServer(options: StartZaloServerOptions = {}): Promise<FakeZalo> {
  const token = options.token ?? '1459232241454765289:ZtestSecretTokenForDondocFake-abc';
  const botId = token.split(':')[0] ?? token;
  const now = options.now ?? realNow;
  const limits = options.limits === false ? undefined : { ...DEFAULT_LIMITS, ...options.limits };
  const envelope = options.webhookEnvelope ?? 'wrapped';

  const calls: ZaloRecordedCall[] = [];
  const sent: ZaloSentRecord[] = [];
  const updates: Json[] = [];
  const faults: (FakeZaloFault & { method: string; left: number; skip: number })[] = [];
  const blocked = new Map<string, { errorCode: number; description: string }>();
  const webhookDeliveries: ZaloWebhookDelivery[] = [];
  const inFlight = new Set<Promise<void>>();
  let hook: { url: string; secret_token: string; updated_at: number } | undefined;
  let hookUpdatedAt = 0;
  const botSends: number[] = [];
  const lastToChat = new Map<string, number>();
  let nextId = 1;
  let closed = false;

  interface Waiter {
    wake: (update: Json | undefined) => void;
  }
  const waiters: Waiter[] = [];
  const held = new Set<http.ServerResponse>();

  const messageId = (): string =>
    (now().toString(16) + (nextId++).toString(16).padStart(8, '0')).slice(-20).padStart(20, '0');

  const checkText = (value: unknown, what: 'text' | 'caption'): string => {
    if (typeof value !== 'string' || value.length === 0) throw badRequest(`${what} is required`);
    // Counted in UTF-16 code units (ASSUMED: the docs say "1 to 2000 characters").
    if (value.length > TEXT_MAX) throw badRequest(`${what} must be from 1 to ${TEXT_MAX} characters`);
    return value;
  };

  /** Rate limits: throws a 429 if over; otherwise returns the function that counts the send. */
  const checkLimits = (chatId: string): (() => void) => {
    if (!limits) return () => undefined;
    const t = now();
    const tooMany = (freeAt: number): never => {
      const seconds = Math.max(1, Math.ceil((freeAt - t) / 1_000));
      const hint = limits.retryHint ?? 'parameters';
      throw new ApiError(
        429,
        'Quota exceeded',
        hint === 'parameters' ? { retry_after: seconds } : undefined,
        hint === 'header' ? { 'retry-after': String(seconds) } : undefined,
      );
    };
    while (botSends.length > 0 && t - (botSends[0] as number) >= 1_000) botSends.shift();
    if (botSends.length >= limits.perSecond) tooMany((botSends[0] as number) + 1_000);
    const last = lastToChat.get(chatId);
    if (last !== undefined && t - last < limits.perChatMs) tooMany(last + limits.perChatMs);
    return () => {
      botSends.push(t);
      lastToChat.set(chatId, t);
    };
  };

  const chatIdOf = (params: Json): string => {
    const chatId = stringParam(params, 'chat_id');
    if (chatId === undefined || chatId.trim() === '') throw badRequest('chat_id is required');
    const block = blocked.get(chatId);
    if (block) throw new ApiError(block.errorCode, block.description);
    return chatId;
  };

  const record = (chatId: string, kind: ZaloSentRecord['kind'], fields: Partial<ZaloSentRecord>): Json => {
    const m: ZaloSentRecord = { message_id: messageId(), chat_id: chatId, date: now(), kind, ...fields };
    sent.push(m);
    return { message_id: m.message_id, date: m.date };
  };

  const handlers: Record<string, (params: Json) => unknown> = {
    getMe: () => ({
      id: botId,
      account_name: options.accountName ?? 'bot.DondocTest',
      account_type: 'BASIC',
      can_join_groups: false,
    }),
    setWebhook: (params) => {
      const url = stringParam(params, 'url');
      if (url === undefined || url === '') throw badRequest('url is required');
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw badRequest('url is invalid');
      }
      // Zalo wants a public HTTPS URL; a test's receiver is local HTTP, so only the scheme is checked.
      if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw badRequest('url is invalid');
      const secret = stringParam(params, 'secret_token');
      if (secret === undefined || secret.length < 8 || secret.length > 256)
        throw badRequest('secret_token must be from 8 to 256 characters');
      hookUpdatedAt = now();
      hook = { url: parsed.href, secret_token: secret, updated_at: hookUpdatedAt };
      return { url: hook.url, updated_at: hookUpdatedAt };
    },
    deleteWebhook: () => {
      hook = undefined;
      hookUpdatedAt = now();
      return { url: '', updated_at: hookUpdatedAt };
    },
    getWebhookInfo: () => ({ url: hook?.url ?? '', updated_at: hookUpdatedAt }),
    sendMessage: (params) => {
      const chatId = chatIdOf(params);
      const text = checkText(params.text, 'text');
      checkLimits(chatId)();
      return record(chatId, 'text', { text });
    },
    sendPhoto: (params) => {
      const chatId = chatIdOf(params);
      const photo = stringParam(params, 'photo');
      if (photo === undefined || photo === '') throw badRequest('photo is required');
      const caption = params.caption === undefined ? undefined : checkText(params.caption, 'caption');
      checkLimits(chatId)();
      return record(chatId, 'photo', caption === undefined ? { photo } : { photo, caption });
    },
    sendSticker: (params) => {
      const chatId = chatIdOf(params);
      const sticker = stringParam(params, 'sticker');
      if (sticker === undefined || sticker === '') throw badRequest('sticker is required');
      checkLimits(chatId)();
      return record(chatId, 'sticker', { sticker });
    },
    sendChatAction: (params) => {
      chatIdOf(params);
      const action = stringParam(params, 'action');
      if (action !== 'typing' && action !== 'upload_photo') throw badRequest('action must be typing or upload_photo');
      return undefined; // documented answer: `{ "ok": true }`
    },
  };

  const takeFault = (method: string, chatId: string | undefined) => {
    const i = faults.findIndex(
      (f) =>
        (f.method === '*' ? method !== 'getUpdates' : f.method === method) &&
        (f.chatId === undefined || f.chatId === chatId),
    );
    if (i === -1) return undefined;
    const f = faults[i]!;
    if (f.skip > 0) {
      f.skip -= 1;
      return undefined;
    }
    f.left -= 1;
    if (f.left <= 0) faults.splice(i, 1);
    return f;
  };

  const send = (
    res: http.ServerResponse,
    call: ZaloRecordedCall | undefined,
    status: number,
    body: Json,
    headers: Record<string, string> = {},
  ): void => {
    if (call) call.status = status;
    held.delete(res);
    if (res.writableEnded || res.destroyed) return;
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  };
  const sendError = (res: http.ServerResponse, call: ZaloRecordedCall | undefined, e: ApiError): void => {
    const body: Json = { ok: false, error_code: e.code, description: e.description };
    if (e.parameters) body.parameters = e.parameters;
    send(res, call, e.code, body, e.headers);
  };

  const getUpdates = (
    params: Json,
    call: ZaloRecordedCall,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): void => {
    // ASSUMED: the docs say getUpdates "will not work" while a webhook is set, not how it fails.
    if (hook) throw badRequest('webhook is set; call deleteWebhook before using getUpdates');
    const raw = params.timeout === undefined ? 30 : Number(params.timeout);
    if (!Number.isFinite(raw) || raw < 0) throw badRequest('timeout is invalid');
    const timeout = Math.min(raw, 60);
    const first = updates.shift();
    if (first) return send(res, call, 200, { ok: true, result: first });
    const timedOut = () => sendError(res, call, new ApiError(408, 'Request timeout'));
    if (timeout === 0 || closed) return timedOut();
    const waiter: Waiter = {
      wake: (update) => {
        const i = waiters.indexOf(waiter);
        if (i !== -1) waiters.splice(i, 1);
        realClearTimeout(timer);
        if (update) send(res, call, 200, { ok: true, result: update });
        else timedOut();
      },
    };
    const timer = realSetTimeout(() => waiter.wake(undefined), timeout * 1_000);
    waiters.push(waiter);
    held.add(res);
    req.socket.once('close', () => {
      const i = waiters.indexOf(waiter);
      if (i !== -1) {
        waiters.splice(i, 1);
        realClearTimeout(timer);
      }
      held.delete(res);
    });
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const m = /^\/bot([^/]*)\/([^/]+)$/.exec(url.pathname);
    if (!m || (req.method !== 'GET' && req.method !== 'POST'))
      return sendError(res, undefined, new ApiError(404, 'Not found'));
    const [, pathToken = '', method = ''] = m;

    let params: Json = Object.fromEntries(url.searchParams);
    let parseError: ApiError | undefined;
    const body = Buffer.concat(chunks).toString('utf8');
    if (body.trim() !== '') {
      const type = req.headers['content-type'] ?? '';
      try {
        if (type.includes('application/x-www-form-urlencoded'))
          params = { ...params, ...Object.fromEntries(new URLSearchParams(body)) };
        else {
          const parsed = JSON.parse(body) as unknown;
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
          params = { ...params, ...(parsed as Json) };
        }
      } catch {
        parseError = badRequest('invalid JSON body');
      }
    }
    const authorized = decodeURIComponent(pathToken) === token;
    const call: ZaloRecordedCall = { method, httpMethod: req.method, params, at: now(), status: 0, authorized };
    const chatId = stringParam(params, 'chat_id');
    if (chatId !== undefined) call.chatId = chatId;
    calls.push(call);

    if (!authorized) return sendError(res, call, new ApiError(401, 'Unauthorized'));
    if (parseError) return sendError(res, call, parseError);
    if (!KNOWN.has(method)) return sendError(res, call, badRequest('invalid API name'));

    const fault = takeFault(method, call.chatId);
    if (fault) {
      if (fault.status === 'timeout') {
        held.add(res);
        return;
      }
      if (fault.status === 'reset') {
        req.socket.destroy();
        return;
      }
      const code = fault.errorCode ?? fault.status;
      const description = fault.description ?? (fault.status >= 500 ? 'Internal server error' : 'Bad request');
      const e = new ApiError(
        code,
        description,
        fault.retryAfter !== undefined ? { retry_after: fault.retryAfter } : undefined,
      );
      const payload: Json = { ok: false, error_code: e.code, description: e.description };
      if (e.parameters) payload.parameters = e.parameters;
      return send(res, call, fault.status, payload);
    }
    try {
      if (method === 'getUpdates') return getUpdates(params, call, req, res);
      const result = handlers[method]!(params);
      send(res, call, 200, result === undefined ? { ok: true } : { ok: true, result });
    } catch (e) {
      if (e instanceof ApiError) sendError(res, call, e);
      else sendError(res, call, new ApiError(500, `Internal server error: ${String(e)}`));
    }
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) =>
      sendError(res, undefined, new ApiError(500, `Internal server error: ${String(e)}`)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const deliver = (update: Json, target: { url: string; secret_token: string }): void => {
    const entry: ZaloWebhookDelivery = { update, status: 0 };
    webhookDeliveries.push(entry);
    const body = envelope === 'wrapped' ? { ok: true, result: update } : update;
    const p = fetch(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-bot-api-secret-token': target.secret_token },
      body: JSON.stringify(body),
    })
      .then(async (r) => {
        entry.status = r.status;
        await r.arrayBuffer();
      })
      .catch((e: unknown) => {
        entry.error = e instanceof Error ? e.message : String(e);
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };

  const inject = (update: Json): Json => {
    if (hook) {
      deliver(update, hook);
      return update;
    }
    const waiter = waiters[0];
    if (waiter) waiter.wake(update);
    else updates.push(update);
    return update;
  };

  const userMessage = (userId: string, options: FakeUserOptions, fields: Json): Json => ({
    from: { id: userId, display_name: options.displayName ?? `Người dùng ${userId}`, is_bot: false },
    chat: { id: options.chatId ?? userId, chat_type: options.chatType ?? 'PRIVATE' },
    message_id: messageId(),
    date: now(),
    ...fields,
  });

  return {
    apiRoot: `http://127.0.0.1:${port}`,
    token,
    botId,
    calls,
    sent: (chatId) => (chatId === undefined ? [...sent] : sent.filter((s) => s.chat_id === chatId)),
    inject,
    userSends: (userId, text, opts = {}) =>
      inject({ event_name: 'message.text.received', message: userMessage(userId, opts, { text }) }),
    userSendsImage: (userId, photoUrl, opts = {}) =>
      inject({
        event_name: 'message.image.received',
        message: userMessage(
          userId,
          opts,
          opts.caption === undefined ? { photo: photoUrl } : { photo: photoUrl, caption: opts.caption },
        ),
      }),
    userSendsSticker: (userId, sticker, opts = {}) =>
      inject({
        event_name: 'message.sticker.received',
        message: userMessage(userId, opts, { sticker, url: `https://stickers.zaloapp.com/${sticker}.png` }),
      }),
    pending: () => updates.length,
    polling: () => waiters.length,
    webhook: () => (hook ? { ...hook } : undefined),
    webhookDeliveries,
    settled: async () => {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    fail: (method, fault) => {
      faults.push({ ...fault, method, left: fault.times ?? 1, skip: fault.after ?? 0 });
    },
    block: (userId, answer = BLOCKED_ANSWER) => {
      blocked.set(userId, answer);
    },
    unblock: (userId) => {
      blocked.delete(userId);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      for (const w of [...waiters]) w.wake(undefined);
      for (const res of held) res.destroy();
      held.clear();
      await Promise.all([...inFlight]);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
