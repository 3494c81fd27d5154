import { claimBundles, claimToken, recordSent } from '#root/services/delivery/claims.js';
import { loadBundles } from '#root/services/delivery/load.js';
import type { BenchEnv } from './env.js';
import { cpuMeter } from './util.js';

/**
 * The database's part of the `pipeline` bench, alone: what every message costs PostgreSQL however
 * fast the rest is. The fan-out's bundles and items, all sent, are set back to `pending` (and the
 * tables vacuumed, as fresh as the fan-out found them); then this process reads, claims and records
 * them with the delivery's own statements (src/services/delivery/load.ts and claims.ts), `batch`
 * bundles a statement as the worker's batchers make them, one batch after another: no rendering,
 * no queue, no channel. The CPU of the database's backends and of this process (the client's side
 * of the statements, which the worker pays) per message. One batch at a time, where the worker runs
 * several at once on its pool: if anything, less than the fan-out's database cost.
 */
export async function dbFloor(
  env: BenchEnv,
  o: { orgId: string; batch: number },
): Promise<{ messages: number; postgresMs: number; clientMs: number }> {
  const { db } = env;
  const { orgId } = o;
  await db.$executeRaw`
    UPDATE bundles SET status = 'pending', claimed_at = NULL, claimed_by = NULL, sent_at = NULL,
           external_id = NULL, layout = NULL, attempts = 0
     WHERE org_id = ${orgId}::uuid`;
  await db.$executeRaw`
    UPDATE reminders SET status = 'pending', bundle_id = NULL, claimed_at = NULL, claimed_by = NULL,
           sent_at = NULL, external_id = NULL, attempts = 0
     WHERE org_id = ${orgId}::uuid`;
  await db.$executeRawUnsafe('VACUUM bundles, reminders');
  const ids = (
    await db.bundle.findMany({ where: { orgId }, select: { id: true }, orderBy: { scheduledAt: 'asc' } })
  ).map((b) => b.id);
  const meter = cpuMeter(db, undefined);
  await meter.start();
  let items = 0;
  for (let i = 0; i < ids.length; i += o.batch) {
    const bundles = await loadBundles(db, ids.slice(i, i + o.batch));
    const claimedBy = claimToken('bench-db-floor');
    const now = new Date();
    const won = await claimBundles(
      db,
      bundles.map((b) => ({ bundleId: b.id, itemIds: b.items.map((x) => x.id) })),
      'claimed',
      claimedBy,
      now,
    );
    await recordSent(
      db,
      bundles.map((b, k) => ({
        bundleId: b.id,
        claimedBy,
        itemIds: won[k] ?? [],
        externalId: String(i + k + 1),
        // The layout a Telegram message records: one entry per item shown.
        layout: b.items.map((x) => ({ o: x.obligation.id, c: x.obligation.dutyCode, b: true })),
      })),
      now,
    );
    items += won.reduce((n, w) => n + (w?.length ?? 0), 0);
  }
  const cpu = await meter.stop();
  const sent = await db.bundle.count({ where: { orgId, status: 'sent' } });
  const sentItems = await db.reminder.count({ where: { orgId, status: 'sent' } });
  if (sent !== ids.length || sentItems !== items)
    throw new Error(`database floor: ${sent} of ${ids.length} bundles and ${sentItems} of ${items} items recorded`);
  return { messages: ids.length, postgresMs: cpu.postgres / ids.length, clientMs: cpu.bench / ids.length };
}
