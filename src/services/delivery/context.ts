import { addressesOf } from '#root/channels/registry.js';
import type { ContactAddresses } from '#root/channels/spec.js';
import { DEFAULT_CLAIM_LEASE_SECONDS, recordMarginMs, type Config } from '#root/config.js';
import type { Db } from '#root/db/client.js';
import { DeliveryError, type ChannelAdapter, type Recipient } from '#root/channels/types.js';
import { effectivePolicy, policyOverrideSchema, type ReminderPolicy } from '#root/domain/policy.js';
import type { Lang } from '#root/domain/wording.js';
import type { WorkingCalendar } from '#root/domain/working-days.js';
import type { Channel } from '#root/generated/prisma/client.js';
import type { Logger } from '#root/logger.js';
import type { TemplateSet } from '#root/messages/templates.js';
import type { Metrics } from '#root/metrics.js';
import type { Clock } from '#root/deps.js';
import { createRefreshingCache } from '#root/lib/refreshing-cache.js';
import { loadCalendar } from '../holidays.js';

/** What the parts of delivery share: the database, the channels, the clock, the logs. */
export interface DeliveryDeps {
  db: Db;
  config: Pick<Config, 'SECRET_KEY' | 'PUBLIC_URL' | 'PORT'>;
  templates: TemplateSet;
  /**
   * How old an organisation's cached template overrides, reminder policy and working calendar
   * may be before they are read again (default OVERRIDE_REFRESH_MS of services/templates.ts): an
   * edit on the administrators' page reaches every worker within this time.
   */
  templateRefreshMs?: number;
  /**
   * The monotonic clock (milliseconds) that refresh period is measured on: `performance.now` by
   * default; tests pass one they move.
   */
  refreshClock?: () => number;
  channels: Partial<Record<Channel, ChannelAdapter>>;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /**
   * This worker's name (`hostname-pid`): its claims' tokens start with it (claims.ts, `claimToken`),
   * for operators reading `claimed_by`.
   */
  workerId: string;
  /**
   * The claim's lease (CLAIM_LEASE_SECONDS), in milliseconds: {@link DEFAULT_CLAIM_LEASE_MS} when
   * not given. A claim older than this without an outcome is reclaimed (`reclaimStale`), and a
   * worker stops trying to record an outcome {@link recordMarginMs} before it ends (`persist`).
   */
  claimLeaseMs?: number;
}

/** The lease of `deps`' claims: theirs, or the default. */
export const leaseOf = (deps: Pick<DeliveryDeps, 'claimLeaseMs'>): number =>
  deps.claimLeaseMs ?? DEFAULT_CLAIM_LEASE_MS;

export type DeliveryOutcome =
  | { outcome: 'sent'; externalId: string | null }
  /** Someone else handled it, or it is no longer wanted (confirmed, waived, extended). */
  | { outcome: 'skipped' | 'cancelled'; reason: string }
  /** Failed for good on this channel; `fallback` is the bundle (or digest) created on the next channel. */
  | { outcome: 'failed'; reason: string; fallback: string | null };

/** A non-transactional channel (Telegram, Zalo, email): claim, send, record. */
export type ChatAdapter = Extract<ChannelAdapter, { transactional: false }>;
/** A transactional channel (the sandbox): claim, message and record in one transaction. */
export type TransactionalAdapter = Extract<ChannelAdapter, { transactional: true }>;

/**
 * How long a claim may stand without an outcome before it is presumed dead (see the README), unless
 * CLAIM_LEASE_SECONDS says otherwise.
 */
export const DEFAULT_CLAIM_LEASE_MS = DEFAULT_CLAIM_LEASE_SECONDS * 1000;

export const recipientOf = (c: { id: string; name: string; locale: Lang } & ContactAddresses): Recipient => ({
  contactId: c.id,
  name: c.name,
  locale: c.locale,
  ...addressesOf(c),
});

/** An organisation's reminder policy: its stored override over the defaults. */
export async function orgPolicy(db: Db, orgId: string): Promise<ReminderPolicy> {
  const row = await db.reminderPolicy.findUnique({ where: { orgId_target: { orgId, target: 'org' } } });
  const parsed = policyOverrideSchema.safeParse(row?.settings);
  return effectivePolicy(...(parsed.success ? [parsed.data] : []));
}

/** An organisation's policy and working calendar, as the bundles it sends need them. */
export interface OrgData {
  policy(orgId: string): Promise<ReminderPolicy>;
  calendar(orgId: string, year: number): Promise<WorkingCalendar>;
}

/**
 * Each organisation's policy and calendar, read once per `refreshMs` (real time) per process, as
 * its edited templates are (services/templates.ts, OVERRIDE_REFRESH_MS): every batch of bundles
 * read them again before, two queries and a calendar built from the law's holidays per batch. An
 * administrator's edit of a holiday or of the sending window reaches every worker within this
 * time. A refresh that fails keeps the last value for another period (logged once per period), as
 * the templates do: a database blip at that moment would otherwise fail every bundle sharing the
 * read (up to a batch of 128) and send them back to the queue's backoff, for values that change a
 * few times a year. A first read that fails is not kept: the bundle fails and the next one reads again.
 */
export function createOrgData(
  db: Db,
  refreshMs: number,
  options: { logger?: Logger; now?: () => number } = {},
): OrgData {
  const cacheOf = <T>(what: string) =>
    createRefreshingCache<T>({
      refreshMs,
      onStale: (key, error) =>
        options.logger?.warn({ key, err: error }, `organisation ${what} not refreshed; using the last one read`),
      ...(options.now ? { now: options.now } : {}),
    });
  const policies = cacheOf<ReminderPolicy>('policy');
  const calendars = cacheOf<WorkingCalendar>('calendar');
  return {
    policy: (orgId) => policies.get(orgId, () => orgPolicy(db, orgId)),
    calendar: (orgId, year) => calendars.get(`${orgId}:${year}`, () => loadCalendar(db, orgId, [year])),
  };
}

/**
 * Said when the outcome of a send did not land: its claim (its claim token) was no longer the one
 * on the row. Its lease ran out first (the process froze, or starved, past CLAIM_LEASE_SECONDS),
 * the bundle or digest went back to pending, counted as of unknown outcome, and another send — of
 * another worker or of this one — may hold it now; what this send saw is dropped, so that it
 * neither overwrites that send's record nor gives its claim back.
 */
/**
 * A temporary failure whose claim was released, for BullMQ to retry: said, and counted in
 * `dondoc_reminders_unknown_outcome_total` when the channel did not answer — it may have taken the
 * message, which is then sent again, as the README's rule says (a bundle's or a digest's alike).
 */
export function sayRetry(
  deps: { logger: Logger; metrics: Metrics },
  channel: string,
  fields: Record<string, string>,
  error: unknown,
): void {
  if (error instanceof DeliveryError && error.outcomeUnknown) {
    deps.metrics.unknown.inc({ channel });
    deps.logger.warn(
      { ...fields, err: error },
      'no answer from the channel: outcome unknown, will retry (possibly delivered twice)',
    );
  } else {
    deps.logger.warn({ ...fields, err: error }, 'delivery failed, will retry');
  }
}

export const CLAIM_LOST = 'outcome not recorded: the claim outlived its lease and is no longer this send’s';

/**
 * Writes what the channel answered, retrying while the database is unreachable (connections cut,
 * a restart, a failover), for as long as the claim is ours: until {@link recordMarginMs} before
 * its lease (`claim.leaseMs`, from `claim.claimedAt` on the monotonic clock) ends. Only this process
 * knows the answer; giving up at once would leave the claim to lapse and a delivered message to be
 * sent again. Past that, the error is thrown and the lease rule takes over.
 */
export async function persist<T>(
  logger: Logger,
  write: () => Promise<T>,
  claim: { claimedAt: number; leaseMs: number },
  fields: Record<string, string>,
): Promise<T> {
  const giveUpAt = claim.claimedAt + claim.leaseMs - recordMarginMs(claim.leaseMs);
  for (let attempt = 1; ; attempt++) {
    try {
      const written = await write();
      if (attempt > 1)
        logger.info({ ...fields, attempts: attempt }, 'outcome recorded once the database answered again');
      return written;
    } catch (error) {
      const wait = Math.min(5_000, 250 * 2 ** (attempt - 1));
      if (performance.now() + wait > giveUpAt) throw error;
      if (attempt === 1)
        logger.warn({ ...fields, err: error }, 'could not record the outcome; retrying until the database answers');
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}
