-- A chat message's send moves its bundle and each of its items pending → claimed → sent. Each move
-- changes `status`, so it is never a HOT update: PostgreSQL writes a new entry into every index
-- whose predicate the new row version satisfies. The (status, scheduled_at) indexes held every row
-- ever written, though no query looks up a reminder claimed into a bundle, or a sent or cancelled
-- row, by its status — the bulk of both tables, and 12 of a five-item message's 46 index entries.
-- Each lookup by status now has a partial index holding only the rows it looks for:
--   reminders: pending by organisation and instant (the planner's window, bundling); failed by
--     organisation and creation (the inbox); claimed without a bundle (an earlier version's claim,
--     reclaimed after its lease) — a bundle's claim sets bundle_id, so it never enters that one;
--   bundles: pending (dispatch), claimed (reclaimed after the lease), failed — not sent or cancelled.
-- No reminders index leads with (status, scheduled_at) any more: on tables without statistics (a
-- new database, a morning's fan-out) a partial one of the pending rows cost the same as
-- reminders_pending_contact_idx for a bundle's items, and the planner took it half the time,
-- reading every pending reminder of the day for each bundle.

-- DropIndex
DROP INDEX "reminders_status_scheduled_at_idx";

-- DropIndex
DROP INDEX "bundles_status_scheduled_at_idx";

-- CreateIndex
CREATE INDEX "reminders_pending_due_idx" ON "reminders"("org_id", "scheduled_at") WHERE status = 'pending';

-- CreateIndex
CREATE INDEX "reminders_failed_idx" ON "reminders"("org_id", "created_at") WHERE status = 'failed';

-- CreateIndex
CREATE INDEX "reminders_claimed_alone_idx" ON "reminders"("claimed_at") WHERE (status = 'claimed') AND (bundle_id IS NULL);

-- CreateIndex
CREATE INDEX "bundles_status_open_idx" ON "bundles"("status", "scheduled_at") WHERE (status <> 'sent') AND (status <> 'cancelled');
