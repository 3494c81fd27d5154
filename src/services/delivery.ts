import type { Config } from '#root/config.js';
import type { Db } from '#root/db/client.js';
import { addressesOf } from '#root/channels/registry.js';
import type { ContactAddresses } from '#root/channels/spec.js';
import type { ChannelAdapter, OutgoingMessage, Recipient, SendResult } from '#root/channels/types.js';
import { DeliveryError } from '#root/channels/types.js';
import { bundleStaleness, itemStaleness, missedWindow, type ItemKind } from '#root/domain/bundles.js';
import { dueInstant } from '#root/domain/obligation-state.js';
import { effectivePolicy, policyOverrideSchema, type ReminderPolicy } from '#root/domain/policy.js';
import type { Lang } from '#root/domain/wording.js';
import type { WorkingCalendar } from '#root/domain/working-days.js';
import { zonedDay } from '#root/domain/zoned-day.js';
import type { Channel, Prisma } from '#root/generated/prisma/client.js';
import type { Logger } from '#root/logger.js';
import { renderMessage, type TemplateSet } from '#root/messages/templates.js';
import type { Metrics } from '#root/metrics.js';
import type { Clock } from '#root/deps.js';
import { createBatcher } from '#root/lib/batcher.js';
import { createSemaphore } from '#root/lib/semaphore.js';
import { ensureBundleOf } from './bundles.js';
import {
  cancelBundle,
  cancelItems,
  claimBundles,
  failBundle,
  reclaimBundles,
  recordSent,
  releaseBundle,
  type ClaimRequest,
  type RecordRequest,
} from './delivery/claims.js';
import { digestView } from './delivery/digest.js';
import { loadBundles, type LoadedBundle, type LoadedItem } from './delivery/load.js';
import { bundleMessage, type ShownItem } from './delivery/view.js';
import { loadCalendar } from './holidays.js';
import { missingIndicatorsView } from './indicators.js';
import { linkExpiry, signLink } from './links.js';
import { migrateTelegramChat } from './telegram-chats.js';
import { createOverrideCache, OVERRIDE_REFRESH_MS } from './templates.js';

export interface DeliveryDeps {
  db: Db;
  config: Pick<Config, 'SECRET_KEY' | 'PUBLIC_URL' | 'PORT'>;
  templates: TemplateSet;
  /**
   * How old an organisation's cached template overrides may be before they are read again
   * (default {@link OVERRIDE_REFRESH_MS}): an edit on the administrators' page reaches every
   * worker within this time.
   */
  templateRefreshMs?: number;
  channels: Partial<Record<Channel, ChannelAdapter>>;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** This worker's name, written on its claims. */
  workerId: string;
}

export type DeliveryOutcome =
  | { outcome: 'sent'; externalId: string | null }
  /** Someone else handled it, or it is no longer wanted (confirmed, waived, extended). */
  | { outcome: 'skipped' | 'cancelled'; reason: string }
  /** Failed for good on this channel; `fallback` is the bundle (or digest) created on the next channel. */
  | { outcome: 'failed'; reason: string; fallback: string | null };

/** How long a claim may stand without an outcome before it is presumed dead (see the README). */
export const CLAIM_LEASE_MS = 120_000;
/**
 * A worker that cannot write a send's outcome (the database is down) keeps trying until this long
 * before its claim's lease ends: past it another worker may be handed the bundle.
 */
const RECORD_MARGIN_MS = 20_000;

/** Organisation data for one batch: each organisation's policy and calendar are read once. */
interface OrgData {
  policy(orgId: string): Promise<ReminderPolicy>;
  calendar(orgId: string, year: number): Promise<WorkingCalendar>;
}

/** A bundle for a transactional channel, waiting for its batch's transaction. */
interface TransactionalSend {
  adapter: Extract<ChannelAdapter, { transactional: true }>;
  bundleId: string;
  itemIds: string[];
  to: Recipient;
  /** The message of the items the claim won (fewer than asked when some were confirmed meanwhile). */
  compose(itemIds: string[]): OutgoingMessage;
}

const memo = <T>(map: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> => {
  let hit = map.get(key);
  if (!hit) map.set(key, (hit = load()));
  return hit;
};

const recipientOf = (c: { id: string; name: string; locale: Lang } & ContactAddresses): Recipient => ({
  contactId: c.id,
  name: c.name,
  locale: c.locale,
  ...addressesOf(c),
});

/**
 * Delivers the day's messages (bundles) and the administrators' digests: claim, send, record
 * (STYLE §7). A bundle is built when it is sent, from the items of its day still open (see
 * src/domain/bundles.ts); the state machine is in delivery/claims.ts, the message in
 * delivery/view.ts, the reads in delivery/load.ts, the digest's content in delivery/digest.ts.
 *
 * - Transactional channels (the sandbox): the claim of the bundle and its items, the message and
 *   the record are one transaction — exactly once; the bundles of one moment share it.
 * - Other channels: a conditional update claims the bundle and its items (`pending → claimed`),
 *   the channel is called, the outcome is recorded (`claimed → sent`); claims and records of one
 *   moment are batched into one statement each. A crash before the channel accepted the message
 *   leaves a claim that `reclaimStale` returns to `pending` after the lease: nothing is lost. A
 *   crash after the record repeats nothing. The window between the channel's acceptance and the
 *   record is the one place a message can go out twice; it is counted (`unknown` metric, a
 *   warning). A database outage does not open that window: the outcome is kept in memory and its
 *   write retried for as long as the claim is ours (see `persist`). A channel that does not answer
 *   (a timeout) leaves the outcome unknown too: the send is retried and counted the same way.
 * - Permanent failures disable the channel for the contact and create the same items, and their
 *   bundle, on the next channel; temporary ones return the bundle and its items to `pending` and
 *   throw, for BullMQ to retry with backoff.
 */
export function createDelivery(deps: DeliveryDeps) {
  const { db, templates, clock, logger, metrics } = deps;
  // The organisations' edited templates: read once per organisation and refresh period, not per message.
  const overrides = createOverrideCache(db, { refreshMs: deps.templateRefreshMs ?? OVERRIDE_REFRESH_MS, logger });
  const baseUrl = deps.config.PUBLIC_URL ?? `http://localhost:${deps.config.PORT}`;

  const orgData = (): OrgData => {
    const policies = new Map<string, Promise<ReminderPolicy>>();
    const calendars = new Map<string, Promise<WorkingCalendar>>();
    return {
      policy: (orgId) => memo(policies, orgId, async () => effectivePolicy(...(await orgPolicy(orgId)))),
      calendar: (orgId, year) => memo(calendars, `${orgId}:${year}`, () => loadCalendar(db, orgId, [year])),
    };
  };

  /** Bundles being sent at the same moment are read together: two queries per batch, not per send. */
  const loadBundle = createBatcher(
    async (ids: string[]): Promise<({ b: LoadedBundle; org: OrgData } | null)[]> => {
      const rows = await loadBundles(db, ids);
      const byId = new Map(rows.map((r) => [r.id, r]));
      const org = orgData();
      return ids.map((id) => {
        const b = byId.get(id);
        return b ? { b, org } : null;
      });
    },
    { maxSize: 128, maxWaitMs: 2 },
  );

  /**
   * Transactional sends (the sandbox) made at the same moment share one transaction: the claims
   * (bundles and items `pending → sent`, a conditional update: a row another worker took is not
   * ours), the messages and the records are committed together or not at all — exactly once, at a
   * fraction of the cost of a transaction per message.
   */
  const commitTransactional = createBatcher(
    async (sends: TransactionalSend[]): Promise<({ externalId: string | null; items: string[] } | null)[]> => {
      const now = clock.now();
      return db.$transaction(async (tx) => {
        const won = await claimBundles(tx, sends, 'sent', deps.workerId, now);
        const winners = sends.flatMap((s, k) => {
          const items = won[k];
          if (!items) return [];
          return [{ s, k, items }];
        });
        const empty = winners.filter((w) => !w.items.length);
        // Every item was confirmed or taken between the read and the claim: nothing to send.
        for (const w of empty) await cancelBundle(tx, w.s.bundleId, [], 'nothing left');
        const full = winners.filter((w) => w.items.length);
        const results = new Map<number, string | null>();
        for (const adapter of new Set(full.map((w) => w.s.adapter))) {
          const group = full.filter((w) => w.s.adapter === adapter);
          const messages = group.map((g) => ({ to: g.s.to, message: g.s.compose(g.items) }));
          const out = adapter.sendMany
            ? await adapter.sendMany(tx, messages)
            : await messages.reduce<Promise<{ externalId: string | null }[]>>(
                async (acc, m) => [...(await acc), await adapter.send(tx, m.to, m.message)],
                Promise.resolve([]),
              );
          group.forEach((g, i) => results.set(g.k, out[i]?.externalId ?? null));
        }
        return sends.map((_, k) => {
          const w = full.find((x) => x.k === k);
          return w ? { externalId: results.get(k) ?? null, items: w.items } : null;
        });
      });
    },
    { maxSize: 128, maxWaitMs: 2 },
  );

  /** Claims of chat channels (`pending → claimed`) made at the same moment: one statement. */
  const claimChat = createBatcher(
    (requests: ClaimRequest[]) => claimBundles(db, requests, 'claimed', deps.workerId, clock.now()),
    { maxSize: 128, maxWaitMs: 2 },
  );
  /** Records of chat channels (`claimed → sent`) made at the same moment: one statement. */
  const recordChat = createBatcher(
    async (requests: RecordRequest[]) => {
      await recordSent(db, requests, clock.now());
      return requests.map(() => true);
    },
    { maxSize: 128, maxWaitMs: 2 },
  );

  /** A signed confirmation link, valid for a fixed time from now, when the message goes out. */
  const confirmUrl = (contactId: string) => (obligationId: string) =>
    `${baseUrl}/c/${signLink({ obligationId, contactId, exp: linkExpiry(clock.now()) }, deps.config.SECRET_KEY)}`;

  /**
   * Sends one bundle: the items of its contact, channel and day (or its nudge) still open, as one
   * message. Items closed, retired or moved since they were planned are left out (cancelled with
   * why); a bundle with nothing left is not sent.
   */
  async function deliverBundle(bundleId: string): Promise<DeliveryOutcome> {
    const loaded = await loadBundle(bundleId);
    if (!loaded) return { outcome: 'skipped', reason: 'gone' };
    const { b, org } = loaded;
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
    if (stale) {
      await cancelBundle(
        db,
        b.id,
        b.items.map((i) => i.id),
        stale,
      );
      return { outcome: 'cancelled', reason: stale };
    }
    const dropped: { id: string; reason: string }[] = [];
    const live: LoadedItem[] = [];
    for (const item of b.items) {
      const reason = itemStaleness({
        obligationStatus: item.obligation.status,
        current: item.obligation.current,
        stage: item.stage,
        dueDate: zonedDay(dueInstant(item.obligation), b.timeZone),
      });
      if (reason) dropped.push({ id: item.id, reason });
      else live.push(item);
    }
    await cancelItems(db, dropped);
    if (!live.length) {
      await cancelBundle(db, b.id, [], 'nothing left');
      return { outcome: 'cancelled', reason: 'nothing left' };
    }
    const adapter = deps.channels[b.channel];
    if (!adapter) return fail(b, live, `channel ${b.channel} not configured`);
    const calendar = await org.calendar(b.orgId, Number(b.day.slice(0, 4)));
    const edited = await overrides.forOrg(b.orgId);
    const ctx = {
      templates,
      edited,
      calendar,
      confirmUrl: confirmUrl(b.contact.id),
      // The indicators a yearly report's unit has not reported, under its item (alone or in a list).
      indicators: new Map(
        await Promise.all(
          live.map(async (i) => [i.id, await missingIndicatorsView(db, b.orgId, i, b.contact.locale)] as const),
        ),
      ),
    };
    const compose = (ids: string[]) => {
      const keep = new Set(ids);
      return bundleMessage(
        b,
        live.filter((i) => keep.has(i.id)),
        ctx,
      );
    };
    const itemIds = live.map((i) => i.id);
    const fields = { bundle: b.id, channel: b.channel, slot: b.slot, items: String(live.length) };
    const to = recipientOf(b.contact);
    if (adapter.transactional) {
      const sent = await commitTransactional({
        adapter,
        bundleId: b.id,
        itemIds,
        to,
        compose: (ids) => compose(ids).message,
      });
      if (!sent) return { outcome: 'skipped', reason: 'claimed elsewhere' };
      return delivered(sent, b.channel, live, sent.items, fields);
    }
    return claimSendRecord(adapter, b, live, to, compose, fields);
  }

  /**
   * Sends the bundle a reminder belongs to (made if it is not yet): a reminder is never sent alone,
   * it goes with the other items of its contact's day. For callers that know a reminder.
   */
  async function deliverReminder(reminderId: string): Promise<DeliveryOutcome> {
    const bundleId = await ensureBundleOf(db, reminderId);
    if (!bundleId) return { outcome: 'skipped', reason: 'gone' };
    return deliverBundle(bundleId);
  }

  async function orgPolicy(orgId: string) {
    const row = await db.reminderPolicy.findUnique({ where: { orgId_target: { orgId, target: 'org' } } });
    const parsed = policyOverrideSchema.safeParse(row?.settings);
    return parsed.success ? [parsed.data] : [];
  }

  function delivered(
    sent: { externalId: string | null },
    channel: Channel,
    live: LoadedItem[],
    claimed: string[],
    fields: Record<string, string>,
  ): DeliveryOutcome {
    const won = new Set(claimed);
    for (const item of live) if (won.has(item.id)) metrics.sent.inc({ channel, kind: item.kind });
    logger.info({ ...fields, items: String(claimed.length) }, 'delivered');
    return { outcome: 'sent', externalId: sent.externalId };
  }

  /**
   * Sends in flight per non-transactional channel. A claim is taken only once a slot is free, so a
   * rate-limited channel (SMTP at SMTP_RATE_PER_MINUTE) never holds a claim long enough to pass the
   * lease and be presumed dead: the window between acceptance and record stays one round trip.
   */
  const slots = new Map<ChannelAdapter, ReturnType<typeof createSemaphore>>();
  const slotsOf = (adapter: Extract<ChannelAdapter, { transactional: false }>) => {
    let s = slots.get(adapter);
    if (!s) slots.set(adapter, (s = createSemaphore(adapter.maxInFlight ?? 8)));
    return s;
  };

  /**
   * Claim, send, record. The channel's slot (its `maxInFlight`) is held from the claim to the
   * channel's answer: the claim lasts one round trip, and the record (a batched write that needs no
   * slot) does not hold the channel back from the next message.
   */
  async function claimSendRecord(
    adapter: Extract<ChannelAdapter, { transactional: false }>,
    b: LoadedBundle,
    live: LoadedItem[],
    to: Recipient,
    compose: (ids: string[]) => { message: OutgoingMessage; shown: ShownItem[] },
    fields: Record<string, string>,
  ): Promise<DeliveryOutcome> {
    type Attempt =
      | { kind: 'done'; outcome: DeliveryOutcome }
      | {
          kind: 'sent';
          claimedAt: number;
          claimed: string[];
          result: SendResult;
          message: OutgoingMessage;
          shown: ShownItem[];
        }
      | { kind: 'error'; claimedAt: number; claimed: string[]; error: unknown };
    const attempt = await slotsOf(adapter).run(async (): Promise<Attempt> => {
      // Rate limits are waited out before the claim, so that a claim lasts one round trip.
      await adapter.pace?.(to);
      const claimedAt = performance.now();
      const claimed = await claimChat({ bundleId: b.id, itemIds: live.map((i) => i.id) });
      if (!claimed) return { kind: 'done', outcome: { outcome: 'skipped', reason: 'claimed elsewhere' } };
      if (!claimed.length) {
        await cancelBundle(db, b.id, [], 'nothing left');
        return { kind: 'done', outcome: { outcome: 'cancelled', reason: 'nothing left' } };
      }
      const { message, shown } = compose(claimed);
      try {
        const result = await sendFollowingMoves(adapter, to, message, fields);
        return { kind: 'sent', claimedAt, claimed, result, message, shown };
      } catch (error) {
        return { kind: 'error', claimedAt, claimed, error };
      }
    });
    if (attempt.kind === 'done') return attempt.outcome;
    const { claimedAt, claimed } = attempt;
    if (attempt.kind === 'error') {
      const { error } = attempt;
      const permanent = error instanceof DeliveryError && error.permanent;
      const reason = error instanceof Error ? error.message : String(error);
      const mine = live.filter((i) => claimed.includes(i.id));
      if (permanent) return fail(b, mine, reason, error.scope);
      await persist(() => releaseBundle(db, b.id, reason), claimedAt, fields);
      for (const item of mine) metrics.retried.inc({ channel: adapter.name, kind: item.kind });
      if (error instanceof DeliveryError && error.outcomeUnknown) {
        // No answer: the channel may have taken the message. Sent again, as the README's rule says.
        metrics.unknown.inc({ channel: adapter.name });
        logger.warn(
          { ...fields, err: error },
          'no answer from the channel: outcome unknown, will retry (possibly delivered twice)',
        );
      } else {
        logger.warn({ ...fields, err: error }, 'delivery failed, will retry');
      }
      throw error;
    }
    // The channel accepted the message; the record, from which on a crash repeats nothing. (A
    // failure to write it is no failure to send, and must not give the row back to `pending` —
    // that would send a delivered message again, uncounted.)
    const { result, message, shown } = attempt;
    const layout = shown.map((s) => ({
      o: s.obligationId,
      c: s.code,
      b: s.section !== 'late' && s.section !== 'cooperating',
    }));
    const shownLayout = message.items
      ? layout.slice(0, message.items.length)
      : message.actions?.length
        ? layout.slice(0, 1)
        : [];
    await persist(
      () => recordChat({ bundleId: b.id, externalId: result.externalId, layout: shownLayout }),
      claimedAt,
      fields,
    );
    return delivered(result, adapter.name, live, claimed, fields);
  }

  /**
   * Sends, following a chat that moved: a Telegram group upgraded to a supergroup answers with its
   * new chat id; the contacts on the old one are moved to it (audited) and the message is sent there,
   * once, under the same claim. A second move in a row is left to the queue's retry.
   */
  async function sendFollowingMoves(
    adapter: Extract<ChannelAdapter, { transactional: false }>,
    to: Recipient,
    message: OutgoingMessage,
    fields: Record<string, string>,
  ): Promise<SendResult> {
    try {
      return await adapter.send(to, message);
    } catch (error) {
      if (!(error instanceof DeliveryError) || !error.movedTo || to.telegramChatId == null) throw error;
      const moved = await migrateTelegramChat(db, to.telegramChatId, error.movedTo.telegramChatId, 'system');
      logger.info(
        { ...fields, moved },
        'Telegram group upgraded to a supergroup: contact moved to the new chat, sending there',
      );
      return adapter.send({ ...to, telegramChatId: error.movedTo.telegramChatId }, message);
    }
  }

  /**
   * Writes what the channel answered, retrying while the database is unreachable (connections cut,
   * a restart, a failover), for as long as the claim is ours: until {@link RECORD_MARGIN_MS} before
   * its lease ends. Only this process knows the answer; giving up at once would leave the claim to
   * lapse and a delivered message to be sent again. Past that, the error is thrown and the lease
   * rule takes over.
   */
  async function persist(
    write: () => Promise<unknown>,
    claimedAt: number,
    fields: Record<string, string>,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await write();
        if (attempt > 1)
          logger.info({ ...fields, attempts: attempt }, 'outcome recorded once the database answered again');
        return;
      } catch (error) {
        const wait = Math.min(5_000, 250 * 2 ** (attempt - 1));
        if (performance.now() + wait > claimedAt + CLAIM_LEASE_MS - RECORD_MARGIN_MS) throw error;
        if (attempt === 1)
          logger.warn({ ...fields, err: error }, 'could not record the outcome; retrying until the database answers');
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  /**
   * A permanent failure of a bundle: it and its items are failed, and the contact's next channel
   * takes them. `scope` `'address'` (blocked, chat gone): the channel is disabled for the contact,
   * and a contact with none left is marked unreachable. `'message'` (Telegram cannot parse this
   * text, an unknown refusal): the channel stays enabled, the next channel after it takes this
   * message, and each item's failure is audited (`reminder.failed`) for the administrators'
   * digest, which names it.
   */
  async function fail(
    b: LoadedBundle,
    items: LoadedItem[],
    reason: string,
    scope: 'address' | 'message' = 'address',
  ): Promise<DeliveryOutcome> {
    const contactId = b.contact.id;
    const channel = b.channel;
    for (const item of items) metrics.failed.inc({ channel, kind: item.kind });
    const fallback = await db.$transaction(async (tx) => {
      // Items not claimed yet (no channel configured): claimed into the bundle as they fail with it.
      await tx.$executeRaw`
        UPDATE reminders SET status = 'claimed', bundle_id = ${b.id}::uuid
         WHERE id = ANY(${items.map((i) => i.id)}::uuid[]) AND status = 'pending'`;
      await failBundle(tx, b.id, reason);
      const contact = await tx.contact.findUniqueOrThrow({ where: { id: contactId } });
      let next: Channel | undefined;
      if (scope === 'address') {
        next = await disableAddress(tx, contact, channel, reason, clock.now());
        if (!next) return null;
      } else {
        // Only the channels after this one: the earlier ones were tried before it came to this one.
        const at = contact.channels.indexOf(channel);
        next = contact.channels.slice(at + 1).find((c) => !contact.disabledChannels.includes(c));
        await tx.auditEvent.createMany({
          data: items.map((item) => ({
            orgId: contact.orgId,
            actor: 'system',
            action: 'reminder.failed',
            entity: 'reminder',
            entityId: item.id,
            data: {
              contact: contactId,
              channel,
              next: next ?? null,
              dutyCode: item.obligation.dutyCode,
              bundle: b.id,
              reason: reason.slice(0, 200),
            },
          })),
        });
        if (!next) return null;
      }
      return moveToChannel(tx, b, items, next);
    });
    if (scope === 'address')
      logger.warn({ bundle: b.id, channel, fallback }, 'delivery failed for good; channel disabled for this contact');
    else
      logger.warn(
        { bundle: b.id, channel, fallback, reason },
        'this message cannot be delivered on this channel; not retried, channel kept',
      );
    return { outcome: 'failed', reason, fallback };
  }

  /** The same items, and their bundle, on the contact's next channel; the new bundle's id when it is pending. */
  async function moveToChannel(
    tx: Prisma.TransactionClient,
    b: LoadedBundle,
    items: LoadedItem[],
    next: Channel,
  ): Promise<string | null> {
    const rows = await tx.reminder.findMany({ where: { id: { in: items.map((i) => i.id) } } });
    for (const r of rows) {
      await tx.reminder.upsert({
        where: {
          obligationId_contactId_channel_stage: {
            obligationId: r.obligationId,
            contactId: r.contactId,
            channel: next,
            stage: r.stage,
          },
        },
        update: {},
        create: {
          orgId: r.orgId,
          obligationId: r.obligationId,
          contactId: r.contactId,
          channel: next,
          kind: r.kind as ItemKind,
          stage: r.stage,
          scheduledAt: r.scheduledAt,
        },
      });
    }
    const created = await tx.bundle.upsert({
      where: {
        contactId_channel_day_slot: {
          contactId: b.contact.id,
          channel: next,
          day: new Date(`${b.day}T00:00:00Z`),
          slot: b.slot,
        },
      },
      update: {},
      create: {
        orgId: b.orgId,
        contactId: b.contact.id,
        channel: next,
        day: new Date(`${b.day}T00:00:00Z`),
        slot: b.slot,
        scheduledAt: b.scheduledAt,
      },
    });
    return created.status === 'pending' ? created.id : null;
  }

  /**
   * Sends one administrator's digest of a working day (see delivery/digest.ts for what it says).
   * Nothing to say → no message (the row is cancelled).
   */
  async function deliverDigest(digestId: string): Promise<DeliveryOutcome> {
    const dg = await db.digest.findUnique({ where: { id: digestId }, include: { contact: true, org: true } });
    if (!dg) return { outcome: 'skipped', reason: 'gone' };
    if (dg.status !== 'pending') return { outcome: 'skipped', reason: dg.status };
    const policy = effectivePolicy(...(await orgPolicy(dg.orgId)));
    const cancel = async (reason: string): Promise<DeliveryOutcome> => {
      await db.digest.updateMany({
        where: { id: dg.id, status: 'pending' },
        data: { status: 'cancelled', lastError: reason },
      });
      return { outcome: 'cancelled', reason };
    };
    if (missedWindow(dg.scheduledAt, policy.windowEnd, dg.org.timeZone, clock.now()))
      return cancel('missed its sending window');
    const edited = await overrides.forOrg(dg.orgId);
    const view = await digestView(db, dg, policy, edited);
    if (!view) return cancel('nothing to report');
    const adapter = deps.channels[dg.channel];
    if (!adapter) return failDigest(dg.id, dg.contactId, dg.channel, `channel ${dg.channel} not configured`);
    const lang = dg.contact.locale;
    const rendered = renderMessage(templates, 'digest', dg.channel, lang, view, edited);
    const message: OutgoingMessage = { orgId: dg.orgId, ref: { digestId: dg.id }, ...rendered };
    const to = recipientOf(dg.contact);
    const fields = { digest: dg.id, channel: dg.channel };
    const done = (sent: { externalId: string | null } | null): DeliveryOutcome => {
      if (!sent) return { outcome: 'skipped', reason: 'claimed elsewhere' };
      metrics.sent.inc({ channel: dg.channel, kind: 'digest' });
      logger.info(fields, 'delivered');
      return { outcome: 'sent', externalId: sent.externalId };
    };
    const claim = async (tx: Prisma.TransactionClient | Db, status: 'sent' | 'claimed') => {
      const now = clock.now();
      const { count } = await tx.digest.updateMany({
        where: { id: dg.id, status: 'pending' },
        data: { status, claimedAt: now, attempts: { increment: 1 }, ...(status === 'sent' ? { sentAt: now } : {}) },
      });
      return count === 1;
    };
    if (adapter.transactional) {
      // Claim, message and record in one transaction — exactly once.
      const sent = await db.$transaction(async (tx) => {
        if (!(await claim(tx, 'sent'))) return null;
        const result = await adapter.send(tx, to, message);
        await tx.digest.update({ where: { id: dg.id }, data: { externalId: result.externalId } });
        return result;
      });
      return done(sent);
    }
    return slotsOf(adapter).run(async () => {
      await adapter.pace?.(to);
      const claimedAt = performance.now();
      if (!(await claim(db, 'claimed'))) return { outcome: 'skipped', reason: 'claimed elsewhere' } as const;
      let result: SendResult;
      try {
        result = await sendFollowingMoves(adapter, to, message, fields);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        if (error instanceof DeliveryError && error.permanent)
          return failDigest(dg.id, dg.contactId, dg.channel, reason, error.scope);
        await persist(
          () =>
            db.digest.updateMany({
              where: { id: dg.id, status: 'claimed' },
              data: { status: 'pending', lastError: reason.slice(0, 500) },
            }),
          claimedAt,
          fields,
        );
        metrics.retried.inc({ channel: adapter.name, kind: 'digest' });
        logger.warn({ ...fields, err: error }, 'delivery failed, will retry');
        throw error;
      }
      await persist(
        () =>
          db.digest.updateMany({
            where: { id: dg.id, status: 'claimed' },
            data: { status: 'sent', sentAt: clock.now(), externalId: result.externalId },
          }),
        claimedAt,
        fields,
      );
      return done(result);
    });
  }

  /** A digest that failed for good: the next channel of the administrator takes it. */
  async function failDigest(
    id: string,
    contactId: string,
    channel: Channel,
    reason: string,
    scope: 'address' | 'message' = 'address',
  ): Promise<DeliveryOutcome> {
    metrics.failed.inc({ channel, kind: 'digest' });
    const fallback = await db.$transaction(async (tx) => {
      await tx.digest.updateMany({
        where: { id, status: { in: ['pending', 'claimed'] } },
        data: { status: 'failed', lastError: reason.slice(0, 500) },
      });
      const contact = await tx.contact.findUniqueOrThrow({ where: { id: contactId } });
      let next: Channel | undefined;
      if (scope === 'address') {
        next = await disableAddress(tx, contact, channel, reason, clock.now());
        if (!next) return null;
      } else {
        const at = contact.channels.indexOf(channel);
        next = contact.channels.slice(at + 1).find((c) => !contact.disabledChannels.includes(c));
        await tx.auditEvent.create({
          data: {
            orgId: contact.orgId,
            actor: 'system',
            action: 'digest.failed',
            entity: 'digest',
            entityId: id,
            data: { contact: contactId, channel, next: next ?? null, dutyCode: null, reason: reason.slice(0, 200) },
          },
        });
        if (!next) return null;
      }
      const dg = await tx.digest.findUniqueOrThrow({ where: { id } });
      const created = await tx.digest.upsert({
        where: { contactId_day_channel: { contactId, day: dg.day, channel: next } },
        update: {},
        create: { orgId: dg.orgId, contactId, day: dg.day, channel: next, scheduledAt: dg.scheduledAt },
      });
      return created.status === 'pending' ? created.id : null;
    });
    logger.warn({ digest: id, channel, fallback, reason }, 'digest failed for good on this channel');
    return { outcome: 'failed', reason, fallback };
  }

  /**
   * Returns claims older than the lease to `pending`: their worker died between claim and record.
   * Whether the channel accepted the message is unknowable, so it is sent again — the README's rule:
   * a reminder may arrive twice, never not at all. Each is counted.
   */
  async function reclaimStale(now: Date): Promise<number> {
    const before = new Date(now.getTime() - CLAIM_LEASE_MS);
    const rows = await reclaimBundles(db, before);
    for (const r of rows) {
      metrics.unknown.inc({ channel: r.channel });
      logger.warn({ bundle: r.id, channel: r.channel }, 'claim without outcome reclaimed: possibly delivered twice');
    }
    const { count: digests } = await db.digest.updateMany({
      where: { status: 'claimed', claimedAt: { lt: before } },
      data: { status: 'pending' },
    });
    return rows.length + digests;
  }

  return { deliverBundle, deliverReminder, deliverDigest, reclaimStale };
}

export type Delivery = ReturnType<typeof createDelivery>;

/**
 * A channel that refused a contact's address: disabled for that contact (audited), and the next
 * channel of the contact's order that is not disabled; none left, the contact is marked unreachable
 * (from `now`, if not already) and the answer is undefined.
 */
async function disableAddress(
  tx: Prisma.TransactionClient,
  contact: { id: string; orgId: string; channels: Channel[]; disabledChannels: Channel[] },
  channel: Channel,
  reason: string,
  now: Date,
): Promise<Channel | undefined> {
  const disabled = contact.disabledChannels.includes(channel)
    ? contact.disabledChannels
    : [...contact.disabledChannels, channel];
  await tx.contact.update({ where: { id: contact.id }, data: { disabledChannels: disabled } });
  await tx.auditEvent.create({
    data: {
      orgId: contact.orgId,
      actor: 'system',
      action: 'contact.channel-disabled',
      entity: 'contact',
      entityId: contact.id,
      data: { channel, reason: reason.slice(0, 200) },
    },
  });
  const next = contact.channels.find((c) => !disabled.includes(c));
  if (!next)
    await tx.contact.updateMany({ where: { id: contact.id, unreachableSince: null }, data: { unreachableSince: now } });
  return next;
}
