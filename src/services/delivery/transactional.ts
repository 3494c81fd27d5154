import type { OutgoingMessage, Recipient } from '#root/channels/types.js';
import { createBatcher } from '#root/lib/batcher.js';
import { cancelBundle, claimBundles, claimToken } from './claims.js';
import type { DeliveryDeps, TransactionalAdapter } from './context.js';

/** A bundle for a transactional channel, waiting for its batch's transaction. */
export interface TransactionalSend {
  adapter: TransactionalAdapter;
  bundleId: string;
  itemIds: string[];
  to: Recipient;
  /** The message of the items the claim won (fewer than asked when some were confirmed meanwhile). */
  compose(itemIds: string[]): OutgoingMessage;
}

/**
 * Transactional sends (the sandbox) made at the same moment share one transaction: the claims
 * (bundles and items `pending → sent`, a conditional update: a row another worker took is not
 * ours), the messages and the records are committed together or not at all — exactly once, at a
 * fraction of the cost of a transaction per message. Each send's answer: the external id and the
 * items it carried, or null when another worker had the bundle or nothing was left in it.
 */
export function createTransactionalSender(deps: Pick<DeliveryDeps, 'db' | 'clock' | 'workerId'>) {
  const { db, clock } = deps;
  return createBatcher(
    async (sends: TransactionalSend[]): Promise<({ externalId: string | null; items: string[] } | null)[]> => {
      const now = clock.now();
      return db.$transaction(async (tx) => {
        const won = await claimBundles(tx, sends, 'sent', claimToken(deps.workerId), now);
        const winners = sends.flatMap((s, k) => {
          const items = won[k];
          if (!items) return [];
          return [{ s, k, items }];
        });
        const empty = winners.filter((w) => !w.items.length);
        // Every item was confirmed or taken between the read and the claim: nothing to send (the
        // bundle, claimed straight to `sent` above, is cancelled instead).
        for (const w of empty) await cancelBundle(tx, w.s.bundleId, [], 'nothing left', 'sent');
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
        const byIndex = new Map(full.map((w) => [w.k, w]));
        return sends.map((_, k) => {
          const w = byIndex.get(k);
          return w ? { externalId: results.get(k) ?? null, items: w.items } : null;
        });
      });
    },
    { maxSize: 128, maxWaitMs: 2 },
  );
}
