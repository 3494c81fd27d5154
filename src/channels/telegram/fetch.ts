import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import type { ApiClientOptions } from 'grammy';

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
interface Target {
  send: typeof http.request;
  protocol: string;
  hostname: string;
  port: string;
  path: string;
}
const targets = new Map<string, Target>();
const MAX_TARGETS = 64;

function targetOf(url: string): Target {
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

/**
 * A `fetch` for grammY's client that sends its JSON calls straight through `node:http(s)` on a
 * keep-alive agent, without node-fetch's Request, Headers, body streams and abort plumbing: the
 * reminders' Telegram client makes tens of thousands of small calls a morning, and node-fetch was
 * about a third of the worker's HTTP cost per message (bench `pipeline`, --cpu-prof).
 *
 * What grammY needs of it, and how each failure reads (the channel classifies them, index.ts):
 * - the answer's body, whatever its status, as JSON (`json()`): Telegram's error answers (400, 429
 *   with `retry_after`, 5xx) are JSON, read by grammY into a GrammyError; a body that is not JSON
 *   (a proxy's HTML page) rejects `json()`, which grammY reports as an HttpError;
 * - an abort of `signal` (grammY's timeout) destroys the request and its connection, so that a
 *   connection held by the server is never reused, and rejects with {@link CallAborted};
 * - a connection refused or a name not found rejects with Node's error and its code
 *   (ECONNREFUSED, ENOTFOUND: the message never left); a connection cut before the whole answer
 *   came (ECONNRESET, "socket hang up", "aborted") rejects with Node's error: the message may have
 *   arrived. A connection is reused only after its previous answer was read to its end.
 *
 * A call whose body is not a string (a file upload's multipart stream) goes through `fallback`.
 * Redirects are not followed (the Bot API answers none); an answer is never asked to be compressed,
 * but one that is (gzip, deflate, br) is decoded.
 */
export function lightFetch(options: { agent: http.Agent; fallback: LightFetch }): LightFetch {
  return (url, init) => {
    if (typeof init.body !== 'string') return options.fallback(url, init);
    const body = init.body;
    const signal = init.signal ?? undefined;
    return new Promise<JsonResponse>((resolve, reject) => {
      if (signal?.aborted) return reject(new CallAborted());
      let settled = false;
      const finish = (error: Error | null, text?: string) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve({ json: () => new Promise((ok) => ok(JSON.parse(text!) as unknown)) });
      };
      const target = targetOf(url);
      const req = target.send({
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        path: target.path,
        method: init.method ?? 'POST',
        agent: options.agent,
        headers: { ...init.headers, 'content-length': String(Buffer.byteLength(body)) },
      });
      function onAbort() {
        const error = new CallAborted();
        finish(error);
        req.destroy(error);
      }
      signal?.addEventListener('abort', onAbort);
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
