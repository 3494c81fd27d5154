import type { OutgoingMessage, SendResult } from '#root/channels/types.js';
import { DeliveryError } from '#root/channels/types.js';
import { missedWindow } from '#root/domain/bundles.js';
import type { TemplateOverrides } from '#root/messages/templates.js';
import type { ChatSender } from './chat-send.js';
import { claimDigest, claimToken, recordDigest, releaseDigest } from './claims.js';
import {
  CLAIM_LOST,
  leaseOf,
  orgPolicy,
  persist,
  recipientOf,
  sayRetry,
  type DeliveryDeps,
  type DeliveryOutcome,
} from './context.js';
import { digestView, renderDigest } from './digest.js';
import type { Fallback } from './fallback.js';

/**
 * Sends the administrators' digests (see delivery/digest.ts for what one says), with the same
 * claim/send/record rules as a bundle: in one transaction on a transactional channel; otherwise a
 * conditional claim in a slot of the channel under a claim token of its own, the send, the record
 * retried while the claim is ours — and landing only on that claim (see claims.ts, `Known`).
 */
export function createDigestSender(
  deps: Pick<
    DeliveryDeps,
    'db' | 'clock' | 'logger' | 'metrics' | 'templates' | 'channels' | 'config' | 'claimLeaseMs' | 'workerId'
  >,
  edits: { forOrg(orgId: string): Promise<TemplateOverrides> },
  chat: ChatSender,
  fallback: Fallback,
) {
  const { db, clock, logger, metrics, templates } = deps;
  const leaseMs = leaseOf(deps);
  const baseUrl = deps.config.PUBLIC_URL ?? `http://localhost:${deps.config.PORT}`;

  /** One administrator's digest of a working day. Nothing to say → no message (the row is cancelled). */
  return async function deliverDigest(digestId: string): Promise<DeliveryOutcome> {
    const dg = await db.digest.findUnique({ where: { id: digestId }, include: { contact: true, org: true } });
    if (!dg) return { outcome: 'skipped', reason: 'gone' };
    if (dg.status !== 'pending') return { outcome: 'skipped', reason: dg.status };
    const policy = await orgPolicy(db, dg.orgId);
    const cancel = async (reason: string): Promise<DeliveryOutcome> => {
      await db.digest.updateMany({
        where: { id: dg.id, status: 'pending' },
        data: { status: 'cancelled', lastError: reason },
      });
      return { outcome: 'cancelled', reason };
    };
    if (missedWindow(dg.scheduledAt, policy.windowEnd, dg.org.timeZone, clock.now()))
      return cancel('missed its sending window');
    const edited = await edits.forOrg(dg.orgId);
    // The late list's "the rest" link: the administrators' status page, where each late duty has its list.
    const view = await digestView(db, dg, policy, edited, { statusUrl: `${baseUrl.replace(/\/$/, '')}/admin` });
    if (!view) return cancel('nothing to report');
    const adapter = deps.channels[dg.channel];
    if (!adapter)
      return fallback.failDigest(
        dg.id,
        dg.contactId,
        dg.channel,
        `channel ${dg.channel} not configured`,
        'address',
        'pending',
      );
    const rendered = renderDigest(templates, dg.channel, dg.contact.locale, view, edited);
    const message: OutgoingMessage = { orgId: dg.orgId, ref: { digestId: dg.id }, ...rendered };
    const to = recipientOf(dg.contact);
    const fields = { digest: dg.id, channel: dg.channel };
    const done = (sent: { externalId: string | null } | null): DeliveryOutcome => {
      if (!sent) return { outcome: 'skipped', reason: 'claimed elsewhere' };
      metrics.sent.inc({ channel: dg.channel, kind: 'digest' });
      logger.info(fields, 'delivered');
      return { outcome: 'sent', externalId: sent.externalId };
    };
    if (adapter.transactional) {
      // Claim, message and record in one transaction — exactly once.
      const sent = await db.$transaction(async (tx) => {
        if (!(await claimDigest(tx, dg.id, 'sent', claimToken(deps.workerId), clock.now()))) return null;
        const result = await adapter.send(tx, to, message);
        await tx.digest.update({ where: { id: dg.id }, data: { externalId: result.externalId } });
        return result;
      });
      return done(sent);
    }
    /** An outcome that did not land: the claim was lost to the lease (see CLAIM_LOST). */
    const lost = (outcome: string): DeliveryOutcome => {
      logger.warn({ ...fields, outcome }, CLAIM_LOST);
      return { outcome: 'skipped', reason: 'claim lost' };
    };
    return chat.slotsOf(adapter).run(async () => {
      await adapter.pace?.(to);
      const claimedAt = performance.now();
      const claimedBy = claimToken(deps.workerId);
      if (!(await claimDigest(db, dg.id, 'claimed', claimedBy, clock.now())))
        return { outcome: 'skipped', reason: 'claimed elsewhere' } as const;
      let result: SendResult;
      try {
        result = await chat.sendFollowingMoves(adapter, to, message, fields);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        if (error instanceof DeliveryError && error.permanent)
          return fallback.failDigest(dg.id, dg.contactId, dg.channel, reason, error.scope, { claimedBy });
        const released = await persist(
          logger,
          () => releaseDigest(db, dg.id, reason, claimedBy),
          { claimedAt, leaseMs },
          fields,
        );
        // Not ours any more: the lease gave it back; another send has it, or will.
        if (!released) return lost(error instanceof DeliveryError && error.outcomeUnknown ? 'unknown' : 'retry');
        metrics.retried.inc({ channel: adapter.name, kind: 'digest' });
        sayRetry(deps, adapter.name, fields, error);
        throw error;
      }
      const recorded = await persist(
        logger,
        () => recordDigest(db, dg.id, result.externalId, clock.now(), claimedBy),
        { claimedAt, leaseMs },
        fields,
      );
      // Delivered, but after the lease gave the digest to another send: not ours to record.
      if (!recorded) return lost('sent');
      return done(result);
    });
  };
}
