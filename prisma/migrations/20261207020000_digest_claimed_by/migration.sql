-- A digest's claim gets an owner, as a bundle's has: the token of the send that claimed it
-- (src/services/delivery/claims.ts, `claimToken`: the worker id, then a part of its own). Its
-- record, release and failure land only on that claim: a worker frozen past the lease, whose digest
-- was reclaimed and claimed again by another send, writes nothing over it. Null on digests claimed
-- before this column existed, which the lease reclaims (claimed_at) as before.

-- AlterTable
ALTER TABLE "digests" ADD COLUMN "claimed_by" TEXT;
