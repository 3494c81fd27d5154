import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import { Api, HttpError, type ApiClientOptions, type Transformer } from 'grammy';

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

/** A body answered with a `content-encoding` (never asked for): decoded, else an error. */
function decode(body: Buffer, encoding: string | undefined): Buffer {
  switch ((encoding ?? 'identity').trim().toLowerCase()) {
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

/** Where a call goes, parsed once per URL (the reminders call one method, one URL). */
export interface Target {
  send: typeof http.request;
  protocol: string;
  hostname: string;
  port: string;
  path: string;
}
const targets = new Map<string, Target>();
const MAX_TARGETS = 64;

export function targetOf(url: string): Target {
  let target = targets.get(url);
  if (!target) {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`not an HTTP URL: ${u.protocol}`);
    target = {
      send: u.protocol === 'https:' ? https.request : http.request,
      protocol: u.protocol,
      // An IPv6 literal without its brackets, as node:http takes it.
      hostname: u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname,
      port: u.port,
      path: `${u.pathname}${u.search}`,
    };
    if (targets.size >= MAX_TARGETS) targets.delete(targets.keys().next().value!);
    targets.set(url, target);
  }
  return target;
}

/** What {@link post} needs besides the call: its agent, and when to give up. */
interface PostOptions {
  agent: http.Agent;
  /** An abort (grammY's, a caller's) destroys the request: {@link CallAborted}. */
  signal?: CallInit['signal'];
  /** Give up after this long: the request is destroyed with `timedOut()`. */
  timeoutMs?: number;
  timedOut?: () => Error;
}

/**
 * POSTs `body` to `target` and answers the whole answer's text, whatever its status. An abort or the
 * timeout destroys the request and its connection (never reused: a connection the server holds
 * stays held) and rejects; a connection refused or a name not found rejects with Node's error and
 * its code (ECONNREFUSED, ENOTFOUND: the call never left); a connection cut before the whole answer
 * came rejects with ECONNRESET, "socket hang up" or "aborted" (the call may have arrived). A
 * connection goes back to the agent only after its answer was read to its end.
 */
export function post(
  target: Target,
  headers: Record<string, string>,
  body: string,
  options: PostOptions,
): Promise<string> {
  const signal = options.signal ?? undefined;
  return new Promise<string>((resolve, reject) => {
    if (signal?.aborted) return reject(new CallAborted());
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (error: Error | null, text?: string) => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve(text!);
    };
    const req = target.send({
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      path: target.path,
      method: 'POST',
      agent: options.agent,
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
    });
    const cut = (error: Error) => {
      finish(error);
      req.destroy(error);
    };
    function onAbort() {
      cut(new CallAborted());
    }
    signal?.addEventListener('abort', onAbort);
    if (options.timeoutMs !== undefined)
      timer = setTimeout(() => cut(options.timedOut?.() ?? new CallAborted()), options.timeoutMs);
    // `on`, not `once`: a second error event must not be left unhandled (it would end the process).
    req.on('error', (error) => finish(error));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (error) => finish(error));
      res.on('end', () => {
        try {
          const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
          finish(null, decode(raw, res.headers['content-encoding']).toString('utf8'));
        } catch (error) {
          finish(error instanceof Error ? error : new Error(String(error)));
        }
      });
      // Closed before its end: the connection was cut during the answer.
      res.on('close', () => {
        if (!res.complete) finish(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
      });
    });
    req.end(body);
  });
}

/**
 * A `fetch` for grammY's client (its `ApiClientOptions.fetch`) that sends its JSON calls through
 * {@link post} on a keep-alive agent, without node-fetch's Request, Headers, body streams and abort
 * plumbing: the reminders' client makes tens of thousands of small calls a morning (the client
 * alone, bench/client-cpu.ts: 235–253 µs of CPU a call against 335–354 µs with node-fetch).
 *
 * grammY reads only `json()` of its answer, whatever its status: Telegram's error answers (400, 429
 * with `retry_after`, 5xx) are JSON, which grammY turns into a GrammyError; a body that is not JSON
 * (a proxy's HTML page) rejects `json()`, and a failure of {@link post} rejects the call, both read
 * by grammY as an HttpError. An abort of `signal` (grammY's timeout) destroys the request and its
 * connection. A call whose body is not a string (a file upload's multipart stream) goes through
 * `fallback`. Redirects are not followed (the Bot API answers none); an answer is never asked to be
 * compressed, but one that is (gzip, deflate, br) is decoded.
 */
export function lightFetch(options: { agent: http.Agent; fallback: LightFetch }): LightFetch {
  return async (url, init) => {
    if (typeof init.body !== 'string') return options.fallback(url, init);
    const text = await post(targetOf(url), init.headers ?? {}, init.body, {
      agent: options.agent,
      signal: init.signal,
    });
    return { json: () => new Promise((ok) => ok(JSON.parse(text) as unknown)) };
  };
}

/**
 * How long a kept-alive connection may wait unused before the client closes it: under 5 s, Node's
 * servers' default (a `Keep-Alive: timeout=N` hint shortens it to N − 1 s). A server that closes an
 * idle connection just as a call is written on it cuts that call, whose outcome is then unknown (a
 * possible double send); closing it first on our side avoids that race. (Node's agent follows the
 * hint only when it has a timeout of its own.) A call in progress is not limited by it: grammY's
 * timeout is.
 */
export const IDLE_CONNECTION_MS = 4_000;

const agents = new Map<string, http.Agent>();

/** The reminders' keep-alive agent for a Bot API server, one per server and process. */
export function reminderAgent(apiRoot: string): http.Agent {
  let agent = agents.get(apiRoot);
  if (!agent) {
    const options = { keepAlive: true, timeout: IDLE_CONNECTION_MS };
    agents.set(apiRoot, (agent = apiRoot.startsWith('https:') ? new https.Agent(options) : new http.Agent(options)));
  }
  return agent;
}

/**
 * grammY client options for the reminders' sends to a Bot API server: {@link lightFetch} over
 * {@link reminderAgent} (the channel bounds its calls in flight itself, see `maxInFlight`); other
 * bodies (uploads, never sent by the reminders) through the runtime's `fetch`.
 */
export function reminderClientOptions(apiRoot: string): Pick<ApiClientOptions, 'fetch'> {
  const send = lightFetch({ agent: reminderAgent(apiRoot), fallback: (url, init) => fetch(url, init as RequestInit) });
  // grammY reads only `json()` of what its `fetch` answers (see its ApiClient.call).
  return { fetch: send as unknown as NonNullable<ApiClientOptions['fetch']> };
}

/** The reminders' calls made by {@link directCalls}: sendMessage's payload is JSON, never a file. */
const DIRECT = new Set(['sendMessage']);

const JSON_HEADERS = { 'content-type': 'application/json', connection: 'keep-alive' };

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
 * `prev`): the same JSON body, POSTed by {@link post} over the reminders' agent, the answer read as
 * JSON and returned to grammY as the API's response (an `ok: false` answer becomes its
 * GrammyError, a 429's `retry_after` is read by the limiter's transformer above this one). It
 * spares the caller's per-call AbortController, timeout race and payload scan: about 60 µs of CPU a
 * call (bench/client-cpu.ts).
 *
 * Its failures are grammY's: an HttpError around what happened — a timeout after `timeoutSeconds`
 * ({@link CallTimedOut}, the request and its connection destroyed), an abort of `signal`, Node's
 * network error (ECONNREFUSED: never sent; ECONNRESET, "socket hang up": maybe sent), an answer
 * that is not JSON. Other methods go on to grammY's caller.
 */
export function directCalls(options: {
  apiRoot: string;
  token: string;
  timeoutSeconds: number;
  agent: http.Agent;
}): Transformer {
  const base = `${options.apiRoot}/bot${options.token}/`;
  const timeoutMs = options.timeoutSeconds * 1000;
  return async (prev, method, payload, signal) => {
    if (!DIRECT.has(method)) return prev(method, payload, signal);
    try {
      const body = JSON.stringify(payload, withoutNulls);
      const text = await post(targetOf(base + method), JSON_HEADERS, body, {
        agent: options.agent,
        signal: signal as CallInit['signal'],
        timeoutMs,
        timedOut: () => new CallTimedOut(method, options.timeoutSeconds),
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
    ...reminderClientOptions(options.apiRoot),
  });
  api.config.use(directCalls({ ...options, token, agent: reminderAgent(options.apiRoot) }));
  return api;
}
