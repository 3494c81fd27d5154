import type { ChannelAdapter, OutgoingMessage, Recipient, SendResult } from '#root/channels/types.js';
import { DeliveryError } from '#root/channels/types.js';
import { createBatcher } from '#root/lib/batcher.js';
import { createSemaphore } from '#root/lib/semaphore.js';
import { migrateTelegramChat } from '../telegram-chats.js';
import { createClaimLane } from './claim-lane.js';
import { cancelBundle, claimBundles, claimToken, recordSent, releaseBundle, type RecordRequest } from './claims.js';
import {
  CLAIM_LOST,
  leaseOf,
  persist,
  sayRetry,
  type ChatAdapter,
  type DeliveryDeps,
  type DeliveryOutcome,
} from './context.js';
import type { Fallback } from './fallback.js';
import type { LoadedBundle, LoadedItem } from './load.js';
import type { ShownItem } from './view.js';

/** One bundle for a non-transactional channel, as {@link createChatSender}'s `send` takes it. */
export interface ChatSend {
  adapter: ChatAdapter;
  bundle: LoadedBundle;
  /** The items still open when the bundle was read (the claim may win fewer). */
  live: LoadedItem[];
  to: Recipient;
  /** The message of the items the claim won. */
  compose(itemIds: string[]): { message: OutgoingMessage; shown: ShownItem[] };
  fields: Record<string, string>;
}

/**
 * The send pipeline of non-transactional channels (Telegram, Zalo, email): a conditional update
 * claims the bundle and its items (`pending → claimed`), the channel is called, the outcome is
 * recorded (`claimed → sent`); claims and records of one moment are batched into one statement
 * each. A crash before the channel accepted the message leaves a claim that the lease returns to
 * `pending`: nothing is lost. A crash after the record repeats nothing. The window between the
 * channel's acceptance and the record is the one place a message can go out twice; it is counted
 * (`unknown` metric, a warning). A database outage does not open that window: the outcome is kept
 * in memory and its write retried for as long as the claim is ours (see `persist`). A channel that
 * does not answer (a timeout) leaves the outcome unknown too: the send is retried and counted the
 * same way. Temporary failures return the bundle and its items to `pending` and throw, for BullMQ
 * to retry with backoff; permanent ones go to `fallback`.
 */
export function createChatSender(
  deps: Pick<DeliveryDeps, 'db' | 'clock' | 'logger' | 'metrics' | 'workerId' | 'claimLeaseMs'>,
  fallback: Fallback,
  delivered: (
    sent: { externalId: string | null },
    s: Pick<ChatSend, 'bundle' | 'live' | 'fields'>,
    claimed: string[],
  ) => DeliveryOutcome,
) {
  const { db, clock, logger, metrics } = deps;
  const leaseMs = leaseOf(deps);

  /**
   * Records of chat channels (`claimed → sent`) made at the same moment: one statement; whether each
   * landed. One that did not was no longer its send's claim (see {@link CLAIM_LOST}): rare, so it is
   * looked for only when the statement moved fewer bundles than it was given.
   */
  const recordChat = createBatcher(
    async (requests: RecordRequest[]) => {
      const moved = await recordSent(db, requests, clock.now());
      if (moved === requests.length) return requests.map(() => true);
      const rows = await db.bundle.findMany({
        where: { id: { in: requests.map((r) => r.bundleId) }, status: 'sent' },
        select: { id: true, claimedBy: true },
      });
      const sentBy = new Map(rows.map((b) => [b.id, b.claimedBy]));
      return requests.map((r) => sentBy.get(r.bundleId) === r.claimedBy);
    },
    { maxSize: 256, maxWaitMs: 5 },
  );

  /** A send whose outcome did not land: its claim was lost to the lease (see {@link CLAIM_LOST}). */
  const lost = (fields: Record<string, string>, outcome: string): DeliveryOutcome => {
    logger.warn({ ...fields, outcome }, CLAIM_LOST);
    return { outcome: 'skipped', reason: 'claim lost' };
  };

  /**
   * Claims per non-transactional channel, ahead of its sends and in batches (see claim-lane.ts):
   * as many bundles claimed and waiting as the channel has sends in flight, so that a claim waits
   * at most about one round of sends (for Telegram, 30 messages: a second at 30 a second).
   */
  const lanes = new Map<ChannelAdapter, ReturnType<typeof createClaimLane>>();
  const laneOf = (adapter: ChatAdapter) => {
    let lane = lanes.get(adapter);
    if (!lane)
      lanes.set(
        adapter,
        (lane = createClaimLane({
          size: 2 * (adapter.maxInFlight ?? 8),
          claim: async (requests) => {
            // One token per statement: each send of the batch carries it to its outcome.
            const claimedBy = claimToken(deps.workerId);
            return { claimedBy, won: await claimBundles(db, requests, 'claimed', claimedBy, clock.now()) };
          },
        })),
      );
    return lane;
  };

  /**
   * Sends in flight per non-transactional channel (its `maxInFlight`), from the moment its rate
   * limits let a message go to the channel's answer.
   */
  const slots = new Map<ChannelAdapter, ReturnType<typeof createSemaphore>>();
  const slotsOf = (adapter: ChatAdapter) => {
    let s = slots.get(adapter);
    if (!s) slots.set(adapter, (s = createSemaphore(adapter.maxInFlight ?? 8)));
    return s;
  };

  /**
   * Sends, following a chat that moved: a Telegram group upgraded to a supergroup answers with its
   * new chat id; the contacts on the old one are moved to it (audited) and the message is sent there,
   * once, under the same claim. A second move in a row is left to the queue's retry.
   */
  async function sendFollowingMoves(
    adapter: ChatAdapter,
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
   * Claim, send, record. The claim is taken in a batch with the other sends of the channel waiting
   * for one (its lane); the rate limits are then waited out (`pace`) and the message goes in one of
   * the channel's slots; the record (a batched write) follows the answer without holding a slot.
   * The lane's place is held from the claim to the channel's answer.
   */
  async function send(s: ChatSend): Promise<DeliveryOutcome> {
    const { adapter, bundle: b, live, to, compose, fields } = s;
    type Attempt =
      | { kind: 'done'; outcome: DeliveryOutcome }
      | {
          kind: 'sent';
          claimedAt: number;
          claimedBy: string;
          claimed: string[];
          result: SendResult;
          message: OutgoingMessage;
          shown: ShownItem[];
        }
      | { kind: 'error'; claimedAt: number; claimedBy: string; claimed: string[]; error: unknown };
    const claimedAt = performance.now();
    const lane = await laneOf(adapter).take({ bundleId: b.id, itemIds: live.map((i) => i.id) });
    const attempt = await (async (): Promise<Attempt> => {
      try {
        const { items: claimed, claimedBy } = lane;
        if (!claimed) return { kind: 'done', outcome: { outcome: 'skipped', reason: 'claimed elsewhere' } };
        if (!claimed.length) {
          await cancelBundle(db, b.id, [], 'nothing left', { claimedBy });
          return { kind: 'done', outcome: { outcome: 'cancelled', reason: 'nothing left' } };
        }
        try {
          const { message, shown } = compose(claimed);
          // Claimed already: the pacer waits on nothing but the channel's limits.
          await adapter.pace?.(to);
          const result = await slotsOf(adapter).run(() => sendFollowingMoves(adapter, to, message, fields));
          return { kind: 'sent', claimedAt, claimedBy, claimed, result, message, shown };
        } catch (error) {
          return { kind: 'error', claimedAt, claimedBy, claimed, error };
        }
      } finally {
        lane.release();
      }
    })();
    if (attempt.kind === 'done') return attempt.outcome;
    const { claimed, claimedBy } = attempt;
    if (attempt.kind === 'error') {
      const { error } = attempt;
      const permanent = error instanceof DeliveryError && error.permanent;
      const reason = error instanceof Error ? error.message : String(error);
      const mine = live.filter((i) => claimed.includes(i.id));
      if (permanent) return fallback.failBundle(b, mine, reason, error.scope, { claimedBy });
      const released = await persist(
        logger,
        () => releaseBundle(db, b.id, reason, claimedBy),
        { claimedAt, leaseMs },
        fields,
      );
      // Not ours any more: the lease's reclaim gave it back and counted its unknown outcome; it is
      // not retried from here (another send has it, or will).
      if (!released) return lost(fields, error instanceof DeliveryError && error.outcomeUnknown ? 'unknown' : 'retry');
      for (const item of mine) metrics.retried.inc({ channel: adapter.name, kind: item.kind });
      sayRetry(deps, adapter.name, fields, error);
      throw error;
    }
    // The channel accepted the message; the record, from which on a crash repeats nothing. (A
    // failure to write it is no failure to send, and must not give the row back to `pending` —
    // that would send a delivered message again, uncounted.)
    const { result, message, shown } = attempt;
    const layout = shown.map((x) => ({
      o: x.obligationId,
      c: x.code,
      b: x.section !== 'late' && x.section !== 'cooperating',
    }));
    const shownLayout = message.items
      ? layout.slice(0, message.items.length)
      : message.actions?.length
        ? layout.slice(0, 1)
        : [];
    const recorded = await persist(
      logger,
      () =>
        recordChat({ bundleId: b.id, claimedBy, itemIds: claimed, externalId: result.externalId, layout: shownLayout }),
      { claimedAt, leaseMs },
      fields,
    );
    // Delivered, but after the lease gave the bundle to another send: a counted duplicate, not ours to record.
    if (!recorded) return lost(fields, 'sent');
    return delivered(result, s, claimed);
  }

  return { send, slotsOf, sendFollowingMoves };
}

export type ChatSender = ReturnType<typeof createChatSender>;
