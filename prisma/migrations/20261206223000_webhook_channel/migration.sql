-- The webhook channel: a contact's messages as signed JSON POSTed to a URL an administrator sets.
--
-- ALTER TYPE … ADD VALUE may run inside the migration runner's transaction (PostgreSQL 12 and
-- later), but the new value cannot be used before that transaction commits: nothing below uses it.

-- AlterEnum
ALTER TYPE "Channel" ADD VALUE 'webhook';

-- AlterTable
ALTER TABLE "contacts" ADD COLUMN "webhook_url" TEXT,
ADD COLUMN "webhook_secret" TEXT;
