import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { isAllowedHost, type AllowedHost } from './address.js';
import { bareHost, refusedRange, type RefusedRange } from './ip.js';

/**
 * One webhook request over node:http(s), guarded against server-side request forgery:
 *
 * 1. Only http: and https: URLs, without credentials; http: only for an allowed `host:port`.
 * 2. The host is resolved once and every address it resolves to is checked: none may be private,
 *    loopback, link-local (169.254.169.254, the cloud's metadata service), CGNAT, multicast, unique
 *    local, IPv4-mapped… (ip.ts), unless the URL's `host:port` is on the allow list.
 * 3. The connection goes to the address checked (pinned: no second lookup that DNS rebinding could
 *    answer differently); TLS still checks the certificate against the host's name.
 * 4. Redirects (301, 302, 307, 308) are followed by hand, at most {@link MAX_REDIRECTS}, each hop
 *    checked as the first — an allowed host that redirects to a private address is refused.
 * 5. One deadline covers the whole exchange, redirects included; the answer's status is what
 *    counts, its body is not read.
 */

export const MAX_REDIRECTS = 3;
const FOLLOWED = new Set([301, 302, 307, 308]);

/** What the guard refused: retrying cannot help until the address is changed. */
export class WebhookRefusedError extends Error {
  override name = 'WebhookRefusedError';
  constructor(
    readonly reason: 'scheme' | 'credentials' | 'https' | 'private' | 'redirects' | 'redirect-status' | 'location',
    message: string,
    /** Whether the refusal came on a redirect (the first address was fine). */
    readonly onRedirect: boolean,
  ) {
    super(message);
  }
}

/** No answer: the name did not resolve, the connection failed or broke, or the deadline passed. */
export class WebhookNetworkError extends Error {
  override name = 'WebhookNetworkError';
  constructor(
    message: string,
    readonly timedOut: boolean,
    /** Whether the whole request had been written when it failed: the receiver may have acted on it. */
    readonly sent: boolean,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

export interface WebhookResponse {
  status: number;
  /** `Retry-After` in seconds, when the answer had one (seconds or an HTTP date). */
  retryAfterSeconds: number | undefined;
  /** Redirects followed to get it. */
  redirects: number;
}

export type Resolve = (host: string) => Promise<{ address: string; family: number }[]>;

export interface PostOptions {
  url: string;
  body: string;
  headers: Record<string, string>;
  allow: readonly AllowedHost[];
  /** The whole exchange, redirects included. */
  timeoutMs: number;
  maxRedirects?: number;
  /** Name resolution (default: the system's, every address). Tests give their own to play a DNS. */
  resolve?: Resolve;
  /** Certificate authorities trusted instead of the system's (an in-network receiver's own CA; tests). */
  ca?: string | Buffer;
  signal?: AbortSignal;
}

const systemResolve: Resolve = (host) => dnsLookup(host, { all: true, verbatim: true });

/** `Retry-After`: seconds, or an HTTP date. */
export function retryAfterSeconds(value: string | string[] | undefined, now: number): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\d+$/.test(v.trim())) return Number(v.trim());
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1_000));
}

const rangeWords: Record<RefusedRange, string> = {
  unspecified: 'an unspecified address',
  loopback: 'a loopback address',
  private: 'a private network address',
  'link-local': 'a link-local address (cloud metadata)',
  cgnat: 'a carrier-grade NAT address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  reserved: 'a reserved address',
  documentation: 'a documentation address',
  benchmark: 'a benchmarking address',
  'unique-local': 'a unique local IPv6 address',
  'site-local': 'a site-local IPv6 address',
  'ipv4-mapped': 'an IPv4-mapped IPv6 address',
  translated: 'a NAT64 or 6to4 address',
};

/** Checks one hop's URL and resolves its host to the address to connect to. */
async function target(
  u: URL,
  allow: readonly AllowedHost[],
  resolve: Resolve,
  onRedirect: boolean,
): Promise<{ address: string; family: number }> {
  const where = onRedirect ? 'redirect to ' : '';
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new WebhookRefusedError('scheme', `${where}a ${u.protocol} URL refused: only http(s)`, onRedirect);
  if (u.username !== '' || u.password !== '')
    throw new WebhookRefusedError('credentials', `${where}a URL with credentials refused`, onRedirect);
  const allowed = isAllowedHost(u, allow);
  const host = bareHost(u.hostname);
  let addresses: { address: string; family: number }[];
  if (isIP(host) !== 0) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await resolve(host);
    } catch (error) {
      const code = (error as { code?: string }).code;
      throw new WebhookNetworkError(`${u.host} did not resolve (${code ?? 'error'})`, false, false, code);
    }
    if (!addresses.length) throw new WebhookNetworkError(`${u.host} did not resolve`, false, false, 'ENOTFOUND');
  }
  if (!allowed) {
    // Every address the name has, not only the first: a name with one public and one private
    // address would otherwise reach the private one on a later attempt.
    for (const a of addresses) {
      const range = refusedRange(a.address);
      if (range)
        throw new WebhookRefusedError(
          'private',
          `${where}${u.host} refused: it resolves to ${rangeWords[range]} (${a.address})`,
          onRedirect,
        );
    }
  }
  // After the address: a private one is the graver reason, and the one to tell.
  if (u.protocol === 'http:' && !allowed)
    throw new WebhookRefusedError('https', `${where}plain http refused: https required for ${u.host}`, onRedirect);
  return addresses[0]!;
}

/** One request to the address checked; resolves at the answer's status line and headers. */
function request(
  u: URL,
  pinned: { address: string; family: number },
  body: string,
  headers: Record<string, string>,
  signal: AbortSignal,
  sent: { value: boolean },
  ca: string | Buffer | undefined,
): Promise<http.IncomingMessage> {
  const host = bareHost(u.hostname);
  const secure = u.protocol === 'https:';
  const options: https.RequestOptions = {
    host: pinned.address,
    family: pinned.family,
    port: u.port ? Number(u.port) : secure ? 443 : 80,
    path: `${u.pathname}${u.search}`,
    method: 'POST',
    headers: { ...headers, host: u.host, 'content-length': String(Buffer.byteLength(body)) },
    // A connection of its own each time: none is kept to be reused for another host's address.
    agent: false,
    signal,
    // The certificate is checked against the name, not the address connected to.
    ...(secure && isIP(host) === 0 ? { servername: host } : {}),
    ...(secure && ca !== undefined ? { ca } : {}),
  };
  return new Promise((resolveAnswer, reject) => {
    const req = (secure ? https : http).request(options, resolveAnswer);
    req.on('error', reject);
    req.on('finish', () => {
      sent.value = true;
    });
    req.end(body);
  });
}

/**
 * POSTs `body` to `url` under the guards above. The answer's status, whatever it is; a refusal
 * of the guard is a {@link WebhookRefusedError}, no answer a {@link WebhookNetworkError}.
 */
export async function postWebhook(options: PostOptions): Promise<WebhookResponse> {
  const resolve = options.resolve ?? systemResolve;
  const maxRedirects = options.maxRedirects ?? MAX_REDIRECTS;
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline.signal]) : deadline.signal;
  let u: URL;
  try {
    u = new URL(options.url);
  } catch {
    clearTimeout(timer);
    throw new WebhookRefusedError('location', 'the webhook address is not a URL', false);
  }
  const sent = { value: false };
  try {
    for (let hop = 0; ; hop++) {
      const pinned = await target(u, options.allow, resolve, hop > 0);
      if (signal.aborted) throw signal.reason;
      sent.value = false;
      const res = await request(u, pinned, options.body, options.headers, signal, sent, options.ca);
      const status = res.statusCode ?? 0;
      // The body is not needed (the status decides): the connection is closed at once.
      res.destroy();
      if (status >= 300 && status < 400 && res.headers.location !== undefined) {
        if (!FOLLOWED.has(status))
          throw new WebhookRefusedError('redirect-status', `HTTP ${status} redirect not followed`, hop > 0);
        if (hop >= maxRedirects)
          throw new WebhookRefusedError('redirects', `more than ${maxRedirects} redirects`, true);
        try {
          u = new URL(res.headers.location, u);
        } catch {
          throw new WebhookRefusedError('location', `HTTP ${status} with an unreadable Location`, true);
        }
        continue;
      }
      return { status, retryAfterSeconds: retryAfterSeconds(res.headers['retry-after'], Date.now()), redirects: hop };
    }
  } catch (error) {
    if (error instanceof WebhookRefusedError || error instanceof WebhookNetworkError) throw error;
    if (options.signal?.aborted && !deadline.signal.aborted) throw options.signal.reason;
    const timedOut = deadline.signal.aborted;
    const code = (error as { code?: string }).code;
    // Only a code leaves here: node's errors may name the address, never the path or query.
    throw new WebhookNetworkError(
      timedOut ? `no answer within ${options.timeoutMs} ms` : `network error (${code ?? 'unknown'})`,
      timedOut,
      sent.value,
      timedOut ? 'ETIMEDOUT' : code,
    );
  } finally {
    clearTimeout(timer);
  }
}
