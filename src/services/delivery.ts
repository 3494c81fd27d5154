import type { Channel } from '#root/generated/prisma/client.js';
import { ensureBundleOf } from './bundles.js';
import { createChatSender, type ChatSend } from './delivery/chat-send.js';
import { reclaimBundles, reclaimDigests } from './delivery/claims.js';
import {
  createOrgData,
  DEFAULT_CLAIM_LEASE_MS,
  leaseOf,
  type DeliveryDeps,
  type DeliveryOutcome,
} from './delivery/context.js';
import { createFallback } from './delivery/fallback.js';
import { createBundleSender } from './delivery/send-bundle.js';
import { createDigestSender } from './delivery/send-digest.js';
import { createTransactionalSender } from './delivery/transactional.js';
import { createOverrideCache, OVERRIDE_REFRESH_MS } from './templates.js';

export { DEFAULT_CLAIM_LEASE_MS, type DeliveryDeps, type DeliveryOutcome };

/**
 * Delivers the day's messages (bundles) and the administrators' digests: claim, send, record
 * (STYLE §7). The parts, in src/services/delivery/:
 *
 * - load.ts reads bundles with their candidate items; staleness (what is left out, which bundle is
 *   not sent) is pure, in src/domain/bundles.ts; view.ts builds the message.
 * - claims.ts is the claim/record state machine in SQL.
 * - send-bundle.ts sends one bundle; transactional.ts is the pipeline of transactional channels
 *   (the sandbox: claim, message and record in one transaction with the bundles of the moment —
 *   exactly once); chat-send.ts that of the others (claim, send, record, batched; the one window
 *   of a possible duplicate is counted).
 * - fallback.ts handles permanent failures: the channel disabled for the contact (or kept, for a
 *   message it cannot take) and the items, or the digest, moved to the contact's next channel.
 * - send-digest.ts sends a digest; digest.ts says what it contains.
 */
export function createDelivery(deps: DeliveryDeps) {
  const { db, logger, metrics } = deps;
  // The organisations' edited templates: read once per organisation and refresh period, not per message.
  const refreshMs = deps.templateRefreshMs ?? OVERRIDE_REFRESH_MS;
  const now = deps.refreshClock;
  const edits = createOverrideCache(db, { refreshMs, logger, ...(now ? { now } : {}) });
  // Their policies and working calendars likewise, not once per batch of bundles.
  const org = createOrgData(db, refreshMs, { logger, ...(now ? { now } : {}) });

  // The one info line of every message sent. Its fields are ids, a channel, a slot and a count,
  // nothing the logger's redact list looks for, so it goes through a child with a short list: the
  // list's wildcard header paths (src/logger.ts) were four fifths of the line's cost (~35 of ~45 µs).
  const deliveredLog = logger.child({}, { redact: { paths: ['text', '*.text'], censor: '[redacted]' } });
  const delivered = (
    sent: { externalId: string | null },
    s: Pick<ChatSend, 'bundle' | 'live' | 'fields'>,
    claimed: string[],
  ): DeliveryOutcome => {
    const won = new Set(claimed);
    const channel: Channel = s.bundle.channel;
    // Counted once per kind, not once per item: each call hashes its labels.
    const byKind = new Map<string, number>();
    for (const item of s.live) if (won.has(item.id)) byKind.set(item.kind, (byKind.get(item.kind) ?? 0) + 1);
    for (const [kind, n] of byKind) metrics.sent.inc({ channel, kind }, n);
    deliveredLog.info({ ...s.fields, items: String(claimed.length) }, 'delivered');
    return { outcome: 'sent', externalId: sent.externalId };
  };

  const fallback = createFallback(deps);
  const chat = createChatSender(deps, fallback, delivered);
  const transactional = createTransactionalSender(deps);
  const deliverBundle = createBundleSender(deps, { edits, org, transactional, chat, fallback, delivered });
  const deliverDigest = createDigestSender(deps, edits, chat, fallback);

  /**
   * Sends the bundle a reminder belongs to (made if it is not yet): a reminder is never sent alone,
   * it goes with the other items of its contact's day. For callers that know a reminder.
   */
  async function deliverReminder(reminderId: string): Promise<DeliveryOutcome> {
    const bundleId = await ensureBundleOf(db, reminderId);
    if (!bundleId) return { outcome: 'skipped', reason: 'gone' };
    return deliverBundle(bundleId);
  }

  /**
   * Returns claims older than the lease (CLAIM_LEASE_SECONDS) to `pending`: their worker died, or
   * froze, between claim and record. Whether the channel accepted the message is unknowable, so it
   * is sent again — the README's rule: a reminder may arrive twice, never not at all. Each is
   * counted and said once. Run by the planner's pass of each organisation (jobs/maintenance.ts,
   * every PLAN_EVERY_SECONDS), over that organisation's claims only: with N organisations, a
   * period's N passes read the claims once between them, not N times over.
   */
  async function reclaimStale(orgId: string, now: Date): Promise<number> {
    const before = new Date(now.getTime() - leaseOf(deps));
    const rows = await reclaimBundles(db, orgId, before);
    for (const r of rows) {
      metrics.unknown.inc({ channel: r.channel });
      logger.warn({ bundle: r.id, channel: r.channel }, 'claim without outcome reclaimed: possibly delivered twice');
    }
    // A digest's too (an administrator's summary sent twice, at worst), said and counted alike.
    const digests = await reclaimDigests(db, orgId, before);
    for (const d of digests) {
      metrics.unknown.inc({ channel: d.channel });
      logger.warn({ digest: d.id, channel: d.channel }, 'claim without outcome reclaimed: possibly delivered twice');
    }
    return rows.length + digests.length;
  }

  return { deliverBundle, deliverReminder, deliverDigest, reclaimStale };
}

export type Delivery = ReturnType<typeof createDelivery>;
