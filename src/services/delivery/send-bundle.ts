import { bundleStaleness, partitionStale } from '#root/domain/bundles.js';
import { createBatcher } from '#root/lib/batcher.js';
import type { ReminderPolicy } from '#root/domain/policy.js';
import type { WorkingCalendar } from '#root/domain/working-days.js';
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

/** A read's outcome, kept to be thrown where the value is used. */
type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };
function settle<T>(read: () => Promise<T>): Promise<Settled<T>> {
  try {
    return read().then(
      (value) => ({ ok: true, value }),
      (error: unknown) => ({ ok: false, error }),
    );
  } catch (error) {
    return Promise.resolve({ ok: false, error });
  }
}
function valueOf<T>(s: Settled<T>): T {
  if (!s.ok) throw s.error;
  return s.value;
}

/** What the bundles of one organisation share, read once per batch of bundles (null: the bundle is not pending). */
type Shared = {
  policy: Settled<ReminderPolicy>;
  calendar: Settled<WorkingCalendar>;
  edited: Settled<TemplateOverrides>;
} | null;

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
   * Bundles being sent at the same moment are read together: two queries per batch, not per send.
   * What their organisations share (policy, working calendar of the year, edited templates, each
   * kept for a refresh period by `org` and `edits`) is asked for once per batch too, rather than
   * awaited three times per send; a read that failed fails only the bundles that use it, where
   * they use it, as when each send asked for itself.
   */
  const loadBundle = createBatcher(
    async (ids: string[]): Promise<({ b: LoadedBundle; shared: Shared } | null)[]> => {
      const rows = await loadBundles(db, ids);
      const byId = new Map(rows.map((r) => [r.id, r]));
      const reads = new Map<string, Promise<Settled<unknown>>>();
      const read = (key: string, load: () => Promise<unknown>) => {
        if (!reads.has(key)) reads.set(key, settle(load));
        return key;
      };
      const keys = ids.map((id) => {
        const b = byId.get(id);
        if (b?.status !== 'pending') return null;
        const year = Number(b.day.slice(0, 4));
        return [
          read(`policy ${b.orgId}`, () => org.policy(b.orgId)),
          read(`calendar ${b.orgId} ${year}`, () => org.calendar(b.orgId, year)),
          read(`edits ${b.orgId}`, () => parts.edits.forOrg(b.orgId)),
        ] as const;
      });
      const done = new Map(await Promise.all([...reads].map(async ([key, r]) => [key, await r] as const)));
      return ids.map((id, i) => {
        const b = byId.get(id);
        if (!b) return null;
        const k = keys[i];
        if (!k) return { b, shared: null };
        return {
          b,
          shared: {
            policy: done.get(k[0]) as Settled<ReminderPolicy>,
            calendar: done.get(k[1]) as Settled<WorkingCalendar>,
            edited: done.get(k[2]) as Settled<TemplateOverrides>,
          },
        };
      });
    },
    { maxSize: 128, maxWaitMs: 2 },
  );

  /** A signed confirmation link, valid for a fixed time from now, when the message goes out. */
  const confirmUrl = (contactId: string) => (obligationId: string) =>
    `${baseUrl}/c/${signLink({ obligationId, contactId, exp: linkExpiry(clock.now()) }, deps.config.SECRET_KEY)}`;

  return async function deliverBundle(bundleId: string): Promise<DeliveryOutcome> {
    const loaded = await loadBundle(bundleId);
    if (!loaded) return { outcome: 'skipped', reason: 'gone' };
    const { b, shared } = loaded;
    if (b.status !== 'pending' || !shared) return { outcome: 'skipped', reason: b.status };
    const policy = valueOf(shared.policy);
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
    const calendar = valueOf(shared.calendar);
    const edited = valueOf(shared.edited);
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
