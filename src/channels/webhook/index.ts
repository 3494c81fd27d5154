import type { Logger } from '#root/logger.js';
import { DeliveryError, messageRef, type ChannelAdapter, type OutgoingMessage, type Recipient } from '../types.js';
import type { AllowedHost } from './address.js';
import { createWebhookLimiter, type WebhookLimiter } from './limiter.js';
import { webhookPayload } from './payload.js';
import { SIGNATURE_HEADER, signWebhook } from './signature.js';
import {
  MAX_REDIRECTS,
  postWebhook,
  WebhookNetworkError,
  WebhookRefusedError,
  type Resolve,
  type WebhookResponse,
} from './transport.js';

export {
  checkWebhookUrl,
  maskWebhookUrl,
  webhookLabel,
  webhookSecretText,
  webhookUrlProblemText,
  type AllowedHost,
} from './address.js';
export { webhookPayload, PAYLOAD_VERSION, type WebhookPayload } from './payload.js';
export {
  DEFAULT_TOLERANCE_SECONDS,
  generateWebhookSecret,
  isWebhookSecret,
  SIGNATURE_HEADER,
  signWebhook,
  verifyWebhookSignature,
  type VerifyResult,
} from './signature.js';

/** Where one contact's webhook goes: its URL and its signing secret, in clear. */
export interface WebhookAddress {
  url: string;
  secret: string;
}

/** The address of a contact, or null when it has none (store.ts reads it from the database). */
export type WebhookAddressLookup = (to: Recipient) => Promise<WebhookAddress | null>;

export interface WebhookChannelOptions {
  /** The contact's address: its URL and secret. */
  address: WebhookAddressLookup;
  /** `host:port` pairs reachable despite the guards (private addresses, plain http): WEBHOOK_ALLOW_HOSTS. */
  allow?: readonly AllowedHost[];
  /**
   * The whole exchange of one send, redirects included (default 10 s; at most 90 s, and under the
   * claim's lease: CLAIM_LEASE_SECONDS, checked by src/config.ts).
   */
  timeoutMs?: number;
  maxRedirects?: number;
  /** Requests in flight to one receiving host (default 4). */
  perHost?: number;
  /** Sends in flight in this process, all hosts together (default 16). */
  maxInFlight?: number;
  /**
   * Temporary failures of one message in a row (in this process) after which it is given up on
   * this channel and sent by the contact's next one (default 4, under the send job's 5 attempts).
   * Only requests count: a send refused because the host's 429 wait is still pending made none.
   */
  giveUpAfter?: number;
  /**
   * Sends of one message in a row refused without a request because the host's 429 wait was
   * pending (other messages' 429s keep extending it), after which the message is given up on this
   * channel all the same (default 12): the bound that keeps a refused message from waiting forever.
   */
  giveUpAfterWaits?: number;
  /** The longest `pace` waits for a host that answered 429 (default 10 s); longer goes back to the queue. */
  maxPaceWaitMs?: number;
  logger?: Logger;
  /** Tests: name resolution of their own (a DNS that answers a private address). */
  resolve?: Resolve;
  /** Certificate authorities trusted instead of the system's, for https receivers (an in-network CA; tests). */
  ca?: string | Buffer;
  limiter?: WebhookLimiter;
  now?: () => Date;
}

/**
 * A receiver's answer, or the lack of one, as a delivery outcome (undefined for 2xx):
 *
 * - 401, 403, 404, 405, 410: the address does not take our requests (wrong URL, removed, not
 *   authorised): permanent, `scope: 'address'` — the channel is disabled for the contact until an
 *   administrator fixes it, and the next channel takes the message.
 * - 408, 429, 5xx: temporary; retried with the job's backoff (429 after its `Retry-After`).
 * - Any other 4xx (400, 413, 422…): the receiver refuses this message: permanent, `scope: 'message'`
 *   — the next channel takes it, the address stays enabled.
 * - Other statuses (1xx, a 3xx without a Location): permanent, `scope: 'address'`.
 * - The guard refused the address or a redirect (private address, http, too many redirects):
 *   permanent, `scope: 'address'`.
 * - No answer: temporary; when the request had been written (a timeout, a connection cut after),
 *   the receiver may have it: `outcomeUnknown`, the retry is counted as a possible duplicate.
 */
export function webhookDeliveryError(outcome: WebhookResponse | unknown): DeliveryError | undefined {
  if (outcome instanceof WebhookRefusedError)
    return new DeliveryError(`Webhook refused: ${outcome.message}`, {
      permanent: true,
      scope: 'address',
      cause: outcome,
    });
  if (outcome instanceof WebhookNetworkError)
    return new DeliveryError(`Webhook: ${outcome.message}`, {
      permanent: false,
      outcomeUnknown: outcome.sent,
      cause: outcome,
    });
  if (!isResponse(outcome)) return undefined;
  const { status } = outcome;
  const text = `Webhook ${status}`;
  if (status >= 200 && status < 300) return undefined;
  if (status === 408 || status === 429 || (status >= 500 && status < 600))
    return new DeliveryError(text, { permanent: false });
  if ([401, 403, 404, 405, 410].includes(status))
    return new DeliveryError(`${text}: the address does not take deliveries`, { permanent: true, scope: 'address' });
  if (status >= 400 && status < 500)
    return new DeliveryError(`${text}: the receiver refused this message`, { permanent: true, scope: 'message' });
  return new DeliveryError(`${text}: unexpected answer`, { permanent: true, scope: 'address' });
}

const isResponse = (v: unknown): v is WebhookResponse =>
  typeof v === 'object' && v !== null && typeof (v as WebhookResponse).status === 'number';

const hostOf = (url: string): string | undefined => {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return undefined;
  }
};

const MAX_TRACKED = 10_000;
/** How long an address read for `pace` is reused by the `send` that follows. */
const ADDRESS_TTL_MS = 5_000;

/**
 * Reminders as signed JSON POSTed to the contact's URL (payload.ts, signature.ts), through the SSRF
 * guard (transport.ts), paced per receiving host (limiter.ts). Not transactional: the delivery
 * claims, calls, records. Errors are classified by {@link webhookDeliveryError}; a message that
 * keeps failing temporarily is given up after `giveUpAfter` tries in a row (scope `'message'`) so
 * that the contact's next channel takes it the same day — nothing retries forever.
 */
export function createWebhookChannel(
  options: WebhookChannelOptions,
): Extract<ChannelAdapter, { transactional: false }> & { name: 'webhook' } {
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!(timeoutMs > 0 && timeoutMs <= 90_000)) throw new RangeError('webhook timeoutMs: 1 ms to 90 s');
  const allow = options.allow ?? [];
  const limiter = options.limiter ?? createWebhookLimiter({ perHost: options.perHost });
  const giveUpAfter = options.giveUpAfter ?? 4;
  const giveUpAfterWaits = options.giveUpAfterWaits ?? 12;
  const maxPaceWaitMs = options.maxPaceWaitMs ?? 10_000;
  const now = options.now ?? (() => new Date());
  const logger = options.logger;
  /** Temporary failures in a row, by contact and message. */
  const failures = new Map<string, number>();
  /** Refusals without a request (a pending 429 wait) since the message's last request, by contact and message. */
  const refusals = new Map<string, number>();
  const addresses = new Map<string, { at: number; address: Promise<WebhookAddress | null> }>();

  const addressOf = (to: Recipient): Promise<WebhookAddress | null> => {
    const hit = addresses.get(to.contactId);
    if (hit && Date.now() - hit.at < ADDRESS_TTL_MS) return hit.address;
    const address = options.address(to);
    addresses.set(to.contactId, { at: Date.now(), address });
    if (addresses.size > MAX_TRACKED) addresses.delete(addresses.keys().next().value!);
    address.catch(() => addresses.delete(to.contactId));
    return address;
  };

  const waitError = (host: string, until: number) =>
    new DeliveryError(`Webhook: ${host} asked to wait until ${new Date(until).toISOString()} (429)`, {
      permanent: false,
    });

  /** Adds one to a counter of a message; the count, the entry moved last (the oldest are dropped). */
  function counted(counts: Map<string, number>, key: string): number {
    const count = (counts.get(key) ?? 0) + 1;
    counts.delete(key);
    counts.set(key, count);
    if (counts.size > MAX_TRACKED) counts.delete(counts.keys().next().value!);
    return count;
  }

  /** A temporary failure of a request, counted: the one that reaches `giveUpAfter` gives the message up on this channel. */
  function temporary(key: string, error: DeliveryError): DeliveryError {
    const count = counted(failures, key);
    if (count < giveUpAfter) return error;
    failures.delete(key);
    return new DeliveryError(`${error.message}; failed ${count} times in a row, sent by the next channel`, {
      permanent: true,
      scope: 'message',
      cause: error,
    });
  }

  /**
   * A send refused before any request, the host's 429 wait pending: back to the queue's backoff
   * (and `pace`), not counted as a failure of the message — only the `giveUpAfterWaits`-th such
   * refusal in a row gives it up, so that a host whose waits never end cannot hold it forever.
   */
  function refused(key: string, error: DeliveryError): DeliveryError {
    const count = counted(refusals, key);
    if (count < giveUpAfterWaits) return error;
    refusals.delete(key);
    failures.delete(key);
    return new DeliveryError(
      `${error.message}; refused ${count} times in a row without a request, sent by the next channel`,
      { permanent: true, scope: 'message', cause: error },
    );
  }

  return {
    name: 'webhook',
    transactional: false,
    maxInFlight: options.maxInFlight ?? 16,
    /**
     * Waits out a host's 429 (at most `maxPaceWaitMs` in all), and returns only once the limiter
     * lets the host be called: `send` refuses before that (without counting it as a failure).
     * The limiter is asked again after each sleep because a timer is no promise of its clock:
     * timers run on the monotonic clock, `Date.now()` on the wall clock, and a timer of `n` ms
     * may fire when `Date.now()` has moved `n - 1` (or less, the wall clock stepped back). A
     * 429 answered to another send meanwhile is waited out too, within the same bound.
     */
    async pace(to: Recipient) {
      const address = await addressOf(to);
      const host = address && hostOf(address.url);
      if (!host) return;
      const started = performance.now();
      for (;;) {
        const left = limiter.waitLeft(host);
        if (left === undefined) return;
        if (performance.now() - started + left > maxPaceWaitMs) throw waitError(host, Date.now() + left);
        await new Promise((r) => setTimeout(r, left));
      }
    },
    async send(to: Recipient, message: OutgoingMessage) {
      const address = await addressOf(to);
      if (!address) throw new DeliveryError('contact has no webhook address', { permanent: true, scope: 'address' });
      const host = hostOf(address.url);
      if (!host) throw new DeliveryError('Webhook refused: the address is not a URL', { permanent: true });
      const key = `${to.contactId}|${messageRef(message)}`;
      const until = limiter.notBefore(host);
      if (until !== undefined) throw refused(key, waitError(host, until));
      // A request is made: the refusals before it were waits, not a run of them.
      refusals.delete(key);
      const at = now();
      const payload = webhookPayload(to, message, at);
      const body = JSON.stringify(payload);
      const headers = {
        'content-type': 'application/json; charset=utf-8',
        'user-agent': 'dondoc-webhook/1',
        'dondoc-event-id': payload.id,
        'dondoc-event-type': payload.type,
        'idempotency-key': payload.id,
        [SIGNATURE_HEADER]: signWebhook(address.secret, body, Math.floor(at.getTime() / 1_000)),
      };
      let outcome: WebhookResponse;
      try {
        outcome = await limiter.run(host, () =>
          postWebhook({
            url: address.url,
            body,
            headers,
            allow,
            timeoutMs,
            maxRedirects: options.maxRedirects ?? MAX_REDIRECTS,
            ...(options.resolve ? { resolve: options.resolve } : {}),
            ...(options.ca !== undefined ? { ca: options.ca } : {}),
          }),
        );
      } catch (error) {
        const failure = webhookDeliveryError(error);
        if (!failure) throw error;
        logger?.warn({ channel: 'webhook', host, err: failure }, 'webhook not delivered');
        if (failure.permanent) {
          failures.delete(key);
          throw failure;
        }
        throw temporary(key, failure);
      }
      const failure = webhookDeliveryError(outcome);
      if (!failure) {
        failures.delete(key);
        return { externalId: payload.id };
      }
      if (outcome.status === 429) limiter.wait(host, outcome.retryAfterSeconds ?? 30);
      logger?.warn({ channel: 'webhook', host, status: outcome.status }, 'webhook answered with an error');
      if (failure.permanent) {
        failures.delete(key);
        throw failure;
      }
      throw temporary(key, failure);
    },
    async close() {
      failures.clear();
      refusals.clear();
      addresses.clear();
    },
  };
}
