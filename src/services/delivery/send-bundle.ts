import { bundleStaleness, partitionStale } from '#root/domain/bundles.js';
import { createBatcher } from '#root/lib/batcher.js';
import type { TemplateOverrides } from '#root/messages/templates.js';
import { listsIndicators, missingIndicatorsView } from '../indicators.js';
import { linkExpiry, signLink } from '../links.js';
import type { ChatSend, ChatSender } from './chat-send.js';
import { cancelBundle, cancelItems } from './claims.js';
import { recipientOf, type DeliveryDeps, type DeliveryOutcome, type OrgData } from './context.js';
import type { Fallback } from './fallback.js';
import { loadBundles, type LoadedBundle, type LoadedItem } from './load.js';
import type { createTransactionalSender } from './transactional.js';
import { bundleMessage, type ViewContext } from './view.js';

/** The items of `live` whose ids are in `ids` (the claim's winnings: most often all of them, in order). */
function itemsOf(live: LoadedItem[], ids: string[]): LoadedItem[] {
  if (ids.length === live.length && live.every((item, i) => item.id === ids[i])) return live;
  const keep = new Set(ids);
  return live.filter((i) => keep.has(i.id));
}

/**
 * Sends one bundle: the items of its contact, channel and day (or its nudge) still open, as one
 * message. Items closed, retired or moved since they were planned are left out (cancelled with
 * why, see `partitionStale` in src/domain/bundles.ts); a bundle with nothing left is not sent. The
 * bundle then goes by its channel's pipeline: one transaction with the other bundles of the moment
 * (transactional channels), or claim, send, record (the others, delivery/chat-send.ts).
 */
export function createBundleSender(
  deps: Pick<DeliveryDeps, 'db' | 'clock' | 'logger' | 'metrics' | 'templates' | 'channels' | 'config'>,
  parts: {
    edits: { forOrg(orgId: string): Promise<TemplateOverrides> };
    /** Policies and calendars, kept per organisation for a refresh period (see createOrgData). */
    org: OrgData;
    transactional: ReturnType<typeof createTransactionalSender>;
    chat: ChatSender;
    fallback: Fallback;
    delivered(
      sent: { externalId: string | null },
      s: Pick<ChatSend, 'bundle' | 'live' | 'fields'>,
      claimed: string[],
    ): DeliveryOutcome;
  },
) {
  const { db, clock, templates } = deps;
  const baseUrl = deps.config.PUBLIC_URL ?? `http://localhost:${deps.config.PORT}`;
  const { org } = parts;

  /**
   * What the bundles' organisations need for their messages (policy, the calendar of the day's
   * year, edited templates), asked for as soon as a batch's bundles are known, while their items
   * are read: on a cold cache (a worker's first bundles of a burst, or the first after a refresh
   * period) the three reads then run at once and beside the items', not one after another after
   * them, ahead of the first message. Each bundle awaits them as before (a failed read fails the
   * bundles that need it, there; here it is only caught). Cached reads: a look-up per organisation
   * and batch.
   */
  const warm = (bundles: LoadedBundle[]) => {
    const seen = new Set<string>();
    for (const b of bundles) {
      const year = Number(b.day.slice(0, 4));
      const key = `${b.orgId}:${year}`;
      if (seen.has(key)) continue;
      seen.add(key);
      for (const read of [org.policy(b.orgId), org.calendar(b.orgId, year), parts.edits.forOrg(b.orgId)])
        read.catch(() => undefined);
    }
  };

  /** Bundles being sent at the same moment are read together: two queries per batch, not per send. */
  const loadBundle = createBatcher(
    async (ids: string[]): Promise<(LoadedBundle | null)[]> => {
      const rows = await loadBundles(db, ids, warm);
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    },
    { maxSize: 128, maxWaitMs: 2 },
  );

  /** A signed confirmation link, valid for a fixed time from now, when the message goes out. */
  const confirmUrl = (contactId: string) => (obligationId: string) =>
    `${baseUrl}/c/${signLink({ obligationId, contactId, exp: linkExpiry(clock.now()) }, deps.config.SECRET_KEY)}`;

  return async function deliverBundle(bundleId: string): Promise<DeliveryOutcome> {
    const b = await loadBundle(bundleId);
    if (!b) return { outcome: 'skipped', reason: 'gone' };
    if (b.status !== 'pending') return { outcome: 'skipped', reason: b.status };
    const policy = await org.policy(b.orgId);
    const stale = bundleStaleness({
      contactActive: b.contact.active,
      slot: b.slot,
      scheduledAt: b.scheduledAt,
      windowEnd: policy.windowEnd,
      zone: b.timeZone,
      now: clock.now(),
    });
    // Read as pending, maybe claimed since by another send of it (which then decides): cancelled
    // only if still pending.
    if (stale) {
      const cancelled = await cancelBundle(
        db,
        b.id,
        b.items.map((i) => i.id),
        stale,
        'pending',
      );
      return cancelled ? { outcome: 'cancelled', reason: stale } : { outcome: 'skipped', reason: 'claimed elsewhere' };
    }
    const { live, dropped } = partitionStale(b.items, b.timeZone);
    if (dropped.length)
      await cancelItems(
        db,
        dropped.map((d) => ({ id: d.item.id, reason: d.reason })),
      );
    if (!live.length) {
      // No item pending may mean that another send claimed them after this one read the bundle.
      const cancelled = await cancelBundle(db, b.id, [], 'nothing left', 'pending');
      return cancelled
        ? { outcome: 'cancelled', reason: 'nothing left' }
        : { outcome: 'skipped', reason: 'claimed elsewhere' };
    }
    const adapter = deps.channels[b.channel];
    if (!adapter)
      return parts.fallback.failBundle(b, live, `channel ${b.channel} not configured`, 'address', 'pending');
    const calendar = await org.calendar(b.orgId, Number(b.day.slice(0, 4)));
    const edited = await parts.edits.forOrg(b.orgId);
    // The indicators a yearly report's unit has not reported, under its item (alone or in a list):
    // read for those items only (most bundles have none, and need no promise for them).
    const reports = live.filter(listsIndicators);
    const ctx: ViewContext = {
      templates,
      edited,
      calendar,
      confirmUrl: confirmUrl(b.contact.id),
      ...(reports.length
        ? {
            indicators: new Map(
              await Promise.all(
                reports.map(
                  async (i) => [i.id, await missingIndicatorsView(db, b.orgId, i, b.contact.locale)] as const,
                ),
              ),
            ),
          }
        : {}),
    };
    const compose = (ids: string[]) => bundleMessage(b, itemsOf(live, ids), ctx);
    const fields = { bundle: b.id, channel: b.channel, slot: b.slot, items: String(live.length) };
    const to = recipientOf(b.contact);
    if (adapter.transactional) {
      const sent = await parts.transactional({
        adapter,
        bundleId: b.id,
        itemIds: live.map((i) => i.id),
        to,
        compose: (ids) => compose(ids).message,
      });
      if (!sent) return { outcome: 'skipped', reason: 'claimed elsewhere' };
      return parts.delivered(sent, { bundle: b, live, fields }, sent.items);
    }
    return parts.chat.send({ adapter, bundle: b, live, to, compose, fields });
  };
}
