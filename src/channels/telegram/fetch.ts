import http from 'node:http';
import https from 'node:https';
import type { ApiClientOptions } from 'grammy';

/** What grammY's client reads of a response: its body as JSON (see grammY's `ApiClient.call`). */
interface JsonResponse {
  json(): Promise<unknown>;
}

/** The options grammY passes to its `fetch` for a JSON call (see its `createJsonPayload`). */
interface CallInit {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  signal?: AbortSignal | null;
}

/**
 * A `fetch` for grammY's client that sends its JSON calls straight through `node:http(s)` on one
 * keep-alive agent, without node-fetch's Request, Headers and body streams: the reminders'
 * Telegram client makes tens of thousands of small calls a morning, and node-fetch's objects were
 * about a tenth of the worker's CPU per message (bench `pipeline`, --cpu-prof). A call whose body is
 * not a string (a file upload, multipart) goes through `fallback` (grammY's own fetch). An abort of
 * `signal` (grammY's timeout) destroys the request and rejects with the abort's reason.
 */
export function lightFetch(options: {
  agent: http.Agent;
  fallback: (url: string, init: CallInit) => Promise<JsonResponse>;
}): (url: string, init: CallInit) => Promise<JsonResponse> {
  return (url, init) => {
    if (typeof init.body !== 'string') return options.fallback(url, init);
    const body = init.body;
    return new Promise<JsonResponse>((resolve, reject) => {
      const signal = init.signal ?? undefined;
      if (signal?.aborted) return reject(signal.reason as Error);
      const target = new URL(url);
      const send = target.protocol === 'https:' ? https.request : http.request;
      const req = send(target, {
        method: init.method ?? 'POST',
        agent: options.agent,
        headers: {
          ...init.headers,
          'content-length': String(Buffer.byteLength(body)),
        },
      });
      const onAbort = () => req.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      req.once('error', (error) => {
        done();
        reject(error);
      });
      req.once('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('error', (error) => {
          done();
          reject(error);
        });
        res.once('end', () => {
          done();
          const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
          resolve({ json: () => Promise.resolve(JSON.parse(text) as unknown) });
        });
      });
      req.end(body);
    });
  };
}

const agents = new Map<string, http.Agent>();

/**
 * grammY client options for the reminders' sends to a Bot API server: {@link lightFetch} over one
 * keep-alive agent per server and process (the channel bounds its calls in flight itself); other
 * bodies through the runtime's `fetch`.
 */
export function lightClientOptions(apiRoot: string): Pick<ApiClientOptions, 'fetch'> {
  let agent = agents.get(apiRoot);
  if (!agent) {
    const options = { keepAlive: true };
    agents.set(apiRoot, (agent = apiRoot.startsWith('https:') ? new https.Agent(options) : new http.Agent(options)));
  }
  const send = lightFetch({ agent, fallback: (url, init) => fetch(url, init as RequestInit) });
  // grammY reads only `json()` of what its `fetch` answers (see its ApiClient.call).
  return { fetch: send as unknown as NonNullable<ApiClientOptions['fetch']> };
}
