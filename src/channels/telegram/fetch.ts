import type { IncomingHttpHeaders } from 'node:http';
import zlib from 'node:zlib';
import { Api, HttpError, type ApiClientOptions, type Transformer } from 'grammy';
import { Pool, type Dispatcher } from 'undici';

/** What grammY's client reads of a response: its body as JSON (see grammY's `ApiClient.call`). */
export interface JsonResponse {
  json(): Promise<unknown>;
}

/** The options grammY passes to its `fetch` (see its `createJsonPayload` and `baseFetchConfig`). */
export interface CallInit {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  signal?: {
    aborted: boolean;
    addEventListener(type: 'abort', listener: () => void): void;
    removeEventListener(type: 'abort', listener: () => void): void;
  } | null;
}

export type LightFetch = (url: string, init: CallInit) => Promise<JsonResponse>;

/** The error a call aborted by grammY (its timeout) is destroyed with. */
export class CallAborted extends Error {
  constructor() {
    super('the call was aborted (timed out)');
    this.name = 'CallAborted';
  }
}

/**
 * A call given up (its timeout, an abort) before it was written: it was still waiting for its
 * connection (being opened, its TLS handshake unfinished, or every connection of a bounded pool
 * busy). The server cannot have received it: safe to retry. `cause`: why it was given up
 * ({@link CallTimedOut}, {@link CallAborted}).
 */
export class CallNotSent extends Error {
  readonly code = 'CALL_NOT_SENT';
  constructor(reason: Error) {
    super(`the call was not sent: ${reason.message}`, { cause: reason });
    this.name = 'CallNotSent';
  }
}

/** A body answered with a `content-encoding` (never asked for): decoded, else an error. */
function decode(body: Buffer, encoding: string | undefined): Buffer {
  if (encoding === undefined) return body;
  switch (encoding.trim().toLowerCase()) {
    case 'identity':
    case '':
      return body;
    case 'gzip':
    case 'x-gzip':
      return zlib.gunzipSync(body);
    case 'deflate':
      return zlib.inflateSync(body);
    case 'br':
      return zlib.brotliDecompressSync(body);
    default:
      throw new Error(`unsupported content-encoding «${encoding}»`);
  }
}

/**
 * How long a kept-alive connection may wait unused before the client closes it: under 5 s, Node's
 * servers' default (a `Keep-Alive: timeout=N` hint shortens it to N − 1 s). A server that closes an
 * idle connection just as a call is written on it cuts that call, whose outcome is then unknown (a
 * possible double send); closing it first on our side avoids that race. A call in progress is not
 * limited by it: the caller's timeout is.
 */
export const IDLE_CONNECTION_MS = 4_000;

const pools = new Map<string, Pool>();

/**
 * The reminders' keep-alive connections to a Bot API server (`origin`: its scheme, host and port),
 * one undici Pool per server and process: as many connections as calls in flight (the channel bounds
 * those itself, see `maxInFlight`), one call at a time on each (no pipelining: a cut connection cuts
 * one call only), an idle one closed after {@link IDLE_CONNECTION_MS} or 1 s before the server's
 * `Keep-Alive` hint, whichever is sooner. No timeouts of its own besides the connect's (10 s, a
 * call that never left): the caller's bound the whole call.
 */
export function reminderPool(origin: string): Pool {
  let pool = pools.get(origin);
  if (!pool) {
    pool = new Pool(origin, {
      keepAliveTimeout: IDLE_CONNECTION_MS,
      keepAliveMaxTimeout: IDLE_CONNECTION_MS,
      keepAliveTimeoutThreshold: 1_000,
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    pools.set(origin, pool);
  }
  return pool;
}

/** Where a call goes, parsed once per URL (the reminders call one method, one URL). */
export interface Target {
  pool: Dispatcher;
  path: string;
}
const targets = new Map<string, Target>();
const MAX_TARGETS = 64;

export function targetOf(url: string): Target {
  let target = targets.get(url);
  if (!target) {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`not an HTTP URL: ${u.protocol}`);
    target = { pool: reminderPool(u.origin), path: `${u.pathname}${u.search}` };
    if (targets.size >= MAX_TARGETS) targets.delete(targets.keys().next().value!);
    targets.set(url, target);
  }
  return target;
}

/** What {@link post} needs besides the call: when to give up. */
interface PostOptions {
  /** An abort (grammY's, a caller's) gives up on the call: {@link CallAborted}. */
  signal?: CallInit['signal'];
  /** Give up after this long, with `timedOut()`. */
  timeoutMs?: number;
  timedOut?: () => Error;
}

/**
 * One call of {@link post}, as undici's dispatch handler: the answer's body gathered, then decoded
 * and settled once; giving up (timeout, abort) settles at once and aborts the request, which
 * destroys its connection if it was written (undici never reuses it), or keeps it from being written
 * if it was still waiting for a connection. Which of the two it was is known by `controller`: undici
 * calls `onRequestStart` on a connected socket just before it writes the request, in the same tick;
 * before that the request waits in undici's queue, never written. A class, not closures: a call
 * allocates one object.
 */
class Call implements Dispatcher.DispatchHandler {
  private chunks: Buffer[] = [];
  private encoding: string | undefined;
  private controller: Dispatcher.DispatchController | null = null;
  private reason: Error | null = null;
  private settled = false;
  timer: NodeJS.Timeout | undefined;
  onAbort: (() => void) | undefined;

  constructor(
    private readonly resolve: (text: string) => void,
    private readonly reject: (error: Error) => void,
    private readonly signal: CallInit['signal'] | undefined,
  ) {}

  giveUp(reason: Error) {
    if (this.settled) return;
    this.reason = reason;
    // Not handed to a connection yet: never written (onRequestStart aborts it if it ever gets one).
    this.finish(this.controller ? reason : new CallNotSent(reason));
    this.controller?.abort(reason);
  }

  private finish(error: Error | null, text?: string) {
    if (this.settled) return;
    this.settled = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.onAbort) this.signal?.removeEventListener('abort', this.onAbort);
    if (error) this.reject(error);
    else this.resolve(text!);
  }

  onRequestStart(controller: Dispatcher.DispatchController) {
    // Given up on while it waited for a connection: never written.
    if (this.reason) controller.abort(this.reason);
    else this.controller = controller;
  }

  onResponseStart(_c: Dispatcher.DispatchController, _status: number, headers: IncomingHttpHeaders) {
    const encoding = headers['content-encoding'];
    if (encoding !== undefined) this.encoding = String(encoding);
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer) {
    this.chunks.push(chunk);
  }

  onResponseEnd() {
    try {
      const raw = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      this.finish(null, decode(raw, this.encoding).toString('utf8'));
    } catch (error) {
      this.finish(error instanceof Error ? error : new Error(String(error)));
    }
  }

  onResponseError(_c: Dispatcher.DispatchController | null, error: Error) {
    this.finish(error);
  }
}

/**
 * POSTs `body` to `target` and answers the whole answer's text, whatever its status. An abort or the
 * timeout rejects at once and aborts the request. Once written, it rejects with its reason
 * ({@link CallAborted}, `timedOut()`): the call may have arrived; its connection is destroyed (never
 * reused: a connection the server holds stays held). Before, while the call still waited for its
 * connection (being opened, or every connection of a bounded pool busy), it rejects with
 * {@link CallNotSent}: the call never left, and never will (it stays in undici's queue until a
 * connection is ready for it or fails, and is aborted then, unwritten; undici closes that
 * connection). A connection refused or a name not found rejects with Node's error and its code
 * (ECONNREFUSED, ENOTFOUND), a connect that timed out with UND_ERR_CONNECT_TIMEOUT: the call never
 * left; a connection cut before the whole answer came rejects with undici's SocketError
 * (UND_ERR_SOCKET, "other side closed"): the call may have arrived. Nothing is retried. A connection
 * goes back to the pool only after its answer was read to its end.
 */
export function post(
  target: Target,
  headers: Dispatcher.DispatchOptions['headers'],
  body: string,
  options: PostOptions = {},
): Promise<string> {
  const signal = options.signal ?? undefined;
  return new Promise<string>((resolve, reject) => {
    if (signal?.aborted) return reject(new CallNotSent(new CallAborted()));
    const call = new Call(resolve, reject, signal);
    if (signal) {
      call.onAbort = () => call.giveUp(new CallAborted());
      signal.addEventListener('abort', call.onAbort);
    }
    if (options.timeoutMs !== undefined) {
      const timedOut = options.timedOut;
      call.timer = setTimeout(() => call.giveUp(timedOut?.() ?? new CallAborted()), options.timeoutMs);
    }
    // A request undici cannot make (a header it refuses) comes back through onResponseError.
    target.pool.dispatch({ path: target.path, method: 'POST', headers, body }, call);
  });
}

/**
 * A `fetch` for grammY's client (its `ApiClientOptions.fetch`) that sends its JSON calls through
 * {@link post} on the server's {@link reminderPool}, without node-fetch's Request, Headers, body
 * streams and abort plumbing: the reminders' client makes tens of thousands of small calls a
 * morning.
 *
 * grammY reads only `json()` of its answer, whatever its status: Telegram's error answers (400, 429
 * with `retry_after`, 5xx) are JSON, which grammY turns into a GrammyError; a body that is not JSON
 * (a proxy's HTML page) rejects `json()`, and a failure of {@link post} rejects the call, both read
 * by grammY as an HttpError. An abort of `signal` (grammY's timeout) gives up on the call and
 * destroys its connection. A call whose body is not a string (a file upload's multipart stream) goes through
 * `fallback`. Redirects are not followed (the Bot API answers none); an answer is never asked to be
 * compressed, but one that is (gzip, deflate, br) is decoded.
 */
export function lightFetch(options: { fallback: LightFetch }): LightFetch {
  return async (url, init) => {
    if (typeof init.body !== 'string') return options.fallback(url, init);
    const text = await post(targetOf(url), init.headers ?? {}, init.body, { signal: init.signal });
    return { json: () => new Promise((ok) => ok(JSON.parse(text) as unknown)) };
  };
}

/**
 * grammY client options for the reminders' sends to a Bot API server: {@link lightFetch} over the
 * server's {@link reminderPool}; other bodies (uploads, never sent by the reminders) through the
 * runtime's `fetch`.
 */
export function reminderClientOptions(): Pick<ApiClientOptions, 'fetch'> {
  const send = lightFetch({ fallback: (url, init) => fetch(url, init as RequestInit) });
  // grammY reads only `json()` of what its `fetch` answers (see its ApiClient.call).
  return { fetch: send as unknown as NonNullable<ApiClientOptions['fetch']> };
}

/** The reminders' calls made by {@link directCalls}: sendMessage's payload is JSON, never a file. */
const DIRECT = new Set(['sendMessage']);

const JSON_HEADERS = ['content-type', 'application/json'];

/** grammY's serialisation of a JSON payload: `null` values left out (see its `createJsonPayload`). */
const withoutNulls = (_key: string, value: unknown) => value ?? undefined;

/** A call that took longer than the client's timeout (grammY's own wording). */
export class CallTimedOut extends Error {
  constructor(method: string, seconds: number) {
    super(`Request to '${method}' timed out after ${seconds} seconds`);
    this.name = 'CallTimedOut';
  }
}

/**
 * A grammY transformer, installed first on the reminders' client, that makes its sendMessage calls
 * itself, in place of grammY's built-in caller (grammY's transformers may answer without calling
 * `prev`): the same JSON body, POSTed by {@link post} on the server's {@link reminderPool} (undici),
 * the answer read as JSON and returned to grammY as the API's response (an `ok: false` answer
 * becomes its GrammyError, a 429's `retry_after` is read by the limiter's transformer above this
 * one). It spares grammY's caller's per-call AbortController, timeout race and payload scan, and
 * node:http's request and agent machinery: the client alone (bench/client-cpu.ts) went from
 * 290–350 µs of CPU a call with grammY's caller to 210–250 with node:http here, 150–175 on undici.
 *
 * Its failures are grammY's: an HttpError around what happened — a timeout after `timeoutSeconds`
 * ({@link CallTimedOut}, the request and its connection destroyed), an abort of `signal` — either
 * one, before the call was written, a {@link CallNotSent} —, a network error (ECONNREFUSED,
 * UND_ERR_CONNECT_TIMEOUT: never sent; UND_ERR_SOCKET, a connection cut: maybe sent), an answer
 * that is not JSON. Other methods go on to grammY's caller.
 */
export function directCalls(options: { apiRoot: string; token: string; timeoutSeconds: number }): Transformer {
  const timeoutMs = options.timeoutSeconds * 1000;
  // Per method, made once: grammY's URL of its calls (see its ApiClient.call), parsed, and its
  // timeout's error (no closure per call).
  const methods = new Map<string, { target: Target; timedOut: () => Error }>();
  const methodOf = (method: string) => {
    let m = methods.get(method);
    if (!m) {
      m = {
        target: targetOf(`${options.apiRoot}/bot${options.token}/${method}`),
        timedOut: () => new CallTimedOut(method, options.timeoutSeconds),
      };
      methods.set(method, m);
    }
    return m;
  };
  return async (prev, method, payload, signal) => {
    if (!DIRECT.has(method)) return prev(method, payload, signal);
    try {
      const { target, timedOut } = methodOf(method);
      const body = JSON.stringify(payload, withoutNulls);
      const text = await post(target, JSON_HEADERS, body, {
        signal: signal as CallInit['signal'],
        timeoutMs,
        timedOut,
      });
      return JSON.parse(text) as Awaited<ReturnType<typeof prev>>;
    } catch (error) {
      throw new HttpError(`Network request for '${method}' failed!`, error);
    }
  };
}

/**
 * The reminders' Telegram client: grammY's Api over {@link reminderClientOptions}, its sendMessage
 * calls made by {@link directCalls} (installed first: the channel's pacing wraps it), giving up
 * after `timeoutSeconds` (TELEGRAM_TIMEOUT_SECONDS).
 */
export function createReminderApi(token: string, options: { apiRoot: string; timeoutSeconds: number }): Api {
  const api = new Api(token, {
    apiRoot: options.apiRoot,
    timeoutSeconds: options.timeoutSeconds,
    ...reminderClientOptions(),
  });
  api.config.use(directCalls({ ...options, token }));
  return api;
}
