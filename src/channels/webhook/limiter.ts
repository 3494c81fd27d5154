import { createSemaphore } from '#root/lib/semaphore.js';

/**
 * Pacing of webhook requests, per receiving host (`host:port`), in this process:
 *
 * - at most `perHost` requests in flight to one host (a province's document system is one server,
 *   and the day's messages of all its contacts leave at the same moment);
 * - a host that answered 429 with `Retry-After` is not called again before that time (`notBefore`).
 *
 * Hosts with nothing in flight and no wait pending are forgotten.
 */
export interface WebhookLimiter {
  /** Runs `fn` when a slot of `host` is free. */
  run<T>(host: string, fn: () => Promise<T>): Promise<T>;
  /** When `host` may be called again (Unix ms), if it asked to wait. */
  notBefore(host: string): number | undefined;
  /**
   * How long (ms) before `host` may be called again, by this limiter's clock — the one
   * `notBefore` is read against — if it asked to wait.
   */
  waitLeft(host: string): number | undefined;
  /** Records a host's request to wait `seconds` (capped at `maxWaitSeconds`). */
  wait(host: string, seconds: number): void;
}

export const WEBHOOK_LIMITS = {
  /** Requests in flight to one host. */
  perHost: 4,
  /** The longest `Retry-After` honoured; a longer one is cut to this (the job's retries do the rest). */
  maxWaitSeconds: 3_600,
} as const;

export function createWebhookLimiter(
  options: { perHost?: number; maxWaitSeconds?: number; now?: () => number } = {},
): WebhookLimiter {
  const perHost = options.perHost ?? WEBHOOK_LIMITS.perHost;
  const maxWait = options.maxWaitSeconds ?? WEBHOOK_LIMITS.maxWaitSeconds;
  const now = options.now ?? Date.now;
  const hosts = new Map<string, { slots: ReturnType<typeof createSemaphore>; inFlight: number }>();
  const waits = new Map<string, number>();
  /** When `host` may be called again, seen at `t` (the host forgotten once it may). */
  function notBefore(host: string, t: number): number | undefined {
    const at = waits.get(host);
    if (at === undefined) return undefined;
    if (at <= t) {
      waits.delete(host);
      return undefined;
    }
    return at;
  }
  return {
    async run(host, fn) {
      let h = hosts.get(host);
      if (!h) hosts.set(host, (h = { slots: createSemaphore(perHost), inFlight: 0 }));
      h.inFlight++;
      try {
        return await h.slots.run(fn);
      } finally {
        if (--h.inFlight === 0) hosts.delete(host);
      }
    },
    notBefore: (host) => notBefore(host, now()),
    waitLeft(host) {
      const t = now();
      const at = notBefore(host, t);
      return at === undefined ? undefined : at - t;
    },
    wait(host, seconds) {
      const at = now() + Math.min(Math.max(0, seconds), maxWait) * 1_000;
      if (at > (waits.get(host) ?? 0)) waits.set(host, at);
    },
  };
}
