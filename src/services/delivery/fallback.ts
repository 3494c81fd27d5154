import type { ItemKind } from '#root/domain/bundles.js';
import type { Channel, Prisma } from '#root/generated/prisma/client.js';
import { failBundle, failDigestRow, type Known } from './claims.js';
import { CLAIM_LOST, type DeliveryDeps, type DeliveryOutcome } from './context.js';
import type { LoadedBundle, LoadedItem } from './load.js';

/**
 * Permanent failures (STYLE §6): a bundle or a digest that a channel refused for good goes to the
 * contact's next channel. `scope` `'address'` (blocked, chat gone): the channel is disabled for the
 * contact, and a contact with none left is marked unreachable. `'message'` (Telegram cannot parse
 * this text, an unknown refusal): the channel stays enabled, the next channel after it takes this
 * message, and the failure is audited (`reminder.failed`, `digest.failed`) for the administrators'
 * digest, which names it.
 */
/** The bundle or digest to fail was not in the state its sender knew (another send claimed it since). */
class NotInState extends Error {}

export function createFallback(deps: Pick<DeliveryDeps, 'db' | 'clock' | 'logger' | 'metrics'>) {
  const { db, clock, logger, metrics } = deps;

  /** The next channel of `contact` after `channel` for this one message (the earlier ones were tried before). */
  const nextAfter = (contact: { channels: Channel[]; disabledChannels: Channel[] }, channel: Channel) => {
    const at = contact.channels.indexOf(channel);
    return contact.channels.slice(at + 1).find((c) => !contact.disabledChannels.includes(c));
  };

  /**
   * The channel that takes a message after `channel` failed for good (null: none left): the
   * address's failure disables `channel` for the contact (and says so, see disableAddress); a
   * failure of this message only is written to the audit log by `audit`, the channel kept.
   */
  async function nextChannel(
    tx: Prisma.TransactionClient,
    contactId: string,
    channel: Channel,
    reason: string,
    scope: 'address' | 'message',
    audit: (orgId: string, next: Channel | null) => Promise<unknown>,
  ): Promise<Channel | null> {
    const contact = await tx.contact.findUniqueOrThrow({ where: { id: contactId } });
    if (scope === 'address') return (await disableAddress(tx, contact, channel, reason, clock.now())) ?? null;
    const next = nextAfter(contact, channel) ?? null;
    await audit(contact.orgId, next);
    return next;
  }

  /**
   * A failure's moves, in one transaction, from the state its caller knows (`from`): the fallback
   * `work` returns, or the outcome when the row was no longer in that state (`work` threw
   * {@link NotInState}; its transaction undone). That is its own claim lost to the lease (see
   * CLAIM_LOST: a warning) or, for a row only read (`pending`), another send's claim since: the
   * normal race, not worth a warning. `fields` name the row in the warning.
   */
  async function failInKnownState(
    from: Exclude<Known, 'sent'>,
    fields: { bundle: string } | { digest: string },
    channel: Channel,
    work: (tx: Prisma.TransactionClient) => Promise<string | null>,
  ): Promise<{ moved: true; fallback: string | null } | { moved: false; outcome: DeliveryOutcome }> {
    const done = await db.$transaction(work).then(
      (f) => ({ moved: true as const, fallback: f }),
      (error: unknown) => {
        if (error instanceof NotInState) return null;
        throw error;
      },
    );
    if (done) return done;
    if (from === 'pending') return { moved: false, outcome: { outcome: 'skipped', reason: 'claimed elsewhere' } };
    logger.warn({ ...fields, channel, outcome: 'failed' }, CLAIM_LOST);
    return { moved: false, outcome: { outcome: 'skipped', reason: 'claim lost' } };
  }

  /**
   * A permanent failure of a bundle: it and its items are failed, and the contact's next channel
   * takes them. `from` is the state the caller knows the bundle in: its own claim (`{ claimedBy }`,
   * the claim's token; the channel refused it) or `pending` (only read: no channel configured to
   * send it by). A bundle found in another state (another send claimed it since) is left to that
   * send: skipped.
   */
  async function failBundleFor(
    b: LoadedBundle,
    items: LoadedItem[],
    reason: string,
    scope: 'address' | 'message',
    from: Exclude<Known, 'sent'>,
  ): Promise<DeliveryOutcome> {
    const contactId = b.contact.id;
    const channel = b.channel;
    const moved = await failInKnownState(from, { bundle: b.id }, channel, async (tx) => {
      // Items not claimed yet (no channel configured): claimed into the bundle as they fail with it.
      await tx.$executeRaw`
        UPDATE reminders SET status = 'claimed', bundle_id = ${b.id}::uuid
         WHERE id = ANY(${items.map((i) => i.id)}::uuid[]) AND status = 'pending'`;
      // Not in the state its caller knows: thrown, so that the items' claim above is undone too.
      if (!(await failBundle(tx, b.id, reason, from))) throw new NotInState();
      const next = await nextChannel(tx, contactId, channel, reason, scope, (orgId, next) =>
        tx.auditEvent.createMany({
          data: items.map((item) => ({
            orgId,
            actor: 'system',
            action: 'reminder.failed',
            entity: 'reminder',
            entityId: item.id,
            data: {
              contact: contactId,
              channel,
              next,
              dutyCode: item.obligation.dutyCode,
              bundle: b.id,
              reason: reason.slice(0, 200),
            },
          })),
        }),
      );
      return next ? moveToChannel(tx, b, items, next) : null;
    });
    if (!moved.moved) return moved.outcome;
    const { fallback } = moved;
    for (const item of items) metrics.failed.inc({ channel, kind: item.kind });
    if (scope === 'address')
      logger.warn({ bundle: b.id, channel, fallback }, 'delivery failed for good; channel disabled for this contact');
    else
      logger.warn(
        { bundle: b.id, channel, fallback, reason },
        'this message cannot be delivered on this channel; not retried, channel kept',
      );
    return { outcome: 'failed', reason, fallback };
  }

  /**
   * A digest that failed for good: the next channel of the administrator takes it. `from` is the
   * state its caller knows it in, as for a bundle: its own claim (`{ claimedBy }`, the channel
   * refused it) or `pending` (no channel configured); found in another, it is left to the send that
   * holds it (skipped).
   */
  async function failDigest(
    id: string,
    contactId: string,
    channel: Channel,
    reason: string,
    scope: 'address' | 'message',
    from: Exclude<Known, 'sent'>,
  ): Promise<DeliveryOutcome> {
    const moved = await failInKnownState(from, { digest: id }, channel, async (tx) => {
      if (!(await failDigestRow(tx, id, reason, from))) throw new NotInState();
      const next = await nextChannel(tx, contactId, channel, reason, scope, (orgId, next) =>
        tx.auditEvent.create({
          data: {
            orgId,
            actor: 'system',
            action: 'digest.failed',
            entity: 'digest',
            entityId: id,
            data: { contact: contactId, channel, next, dutyCode: null, reason: reason.slice(0, 200) },
          },
        }),
      );
      if (!next) return null;
      const dg = await tx.digest.findUniqueOrThrow({ where: { id } });
      const created = await tx.digest.upsert({
        where: { contactId_day_channel: { contactId, day: dg.day, channel: next } },
        update: {},
        create: { orgId: dg.orgId, contactId, day: dg.day, channel: next, scheduledAt: dg.scheduledAt },
      });
      return created.status === 'pending' ? created.id : null;
    });
    if (!moved.moved) return moved.outcome;
    const { fallback } = moved;
    metrics.failed.inc({ channel, kind: 'digest' });
    logger.warn({ digest: id, channel, fallback, reason }, 'digest failed for good on this channel');
    return { outcome: 'failed', reason, fallback };
  }

  return { failBundle: failBundleFor, failDigest };
}

export type Fallback = ReturnType<typeof createFallback>;

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
  const day = new Date(`${b.day}T00:00:00Z`);
  const created = await tx.bundle.upsert({
    where: { contactId_channel_day_slot: { contactId: b.contact.id, channel: next, day, slot: b.slot } },
    update: {},
    create: {
      orgId: b.orgId,
      contactId: b.contact.id,
      channel: next,
      day,
      slot: b.slot,
      scheduledAt: b.scheduledAt,
    },
  });
  return created.status === 'pending' ? created.id : null;
}

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
