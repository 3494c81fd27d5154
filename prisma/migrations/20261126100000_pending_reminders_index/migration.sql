-- A confirmation, a waiver or an extension cancels the obligation's pending reminders. Looked up
-- through the index on (status, scheduled_at), that walked every pending reminder of every
-- organisation (and the dead versions of those just sent): 35 ms for a hundred confirmations after
-- a fan-out of 10,000. A partial index holds only what is still pending, by obligation.

-- CreateIndex
CREATE INDEX "reminders_pending_obligation_idx" ON "reminders"("obligation_id") WHERE status = 'pending';
