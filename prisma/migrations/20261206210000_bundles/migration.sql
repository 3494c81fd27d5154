-- One message per contact, channel and local working day (issue 14): the day's reminders go out
-- together as a bundle. A reminder row stays the item (one per obligation, contact, channel and
-- stage); the bundle is claimed with its items and records the message once.

-- CreateTable
CREATE TABLE "bundles" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "contact_id" UUID NOT NULL,
    "channel" "Channel" NOT NULL,
    "day" DATE NOT NULL,
    "slot" TEXT NOT NULL,
    "scheduled_at" TIMESTAMPTZ(3) NOT NULL,
    "status" "ReminderStatus" NOT NULL DEFAULT 'pending',
    "claimed_at" TIMESTAMPTZ(3),
    "claimed_by" TEXT,
    "sent_at" TIMESTAMPTZ(3),
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT,
    "external_id" TEXT,
    "layout" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "bundles_pkey" PRIMARY KEY ("id")
);

-- AlterTable
ALTER TABLE "reminders" ADD COLUMN     "bundle_id" UUID;

-- AlterTable
ALTER TABLE "outbox_messages" ADD COLUMN     "bundle_id" UUID;

-- CreateIndex
CREATE UNIQUE INDEX "bundles_contact_id_channel_day_slot_key" ON "bundles"("contact_id", "channel", "day", "slot");

-- CreateIndex
CREATE INDEX "bundles_status_scheduled_at_idx" ON "bundles"("status", "scheduled_at");

-- CreateIndex
CREATE INDEX "reminders_bundle_id_idx" ON "reminders"("bundle_id");

-- CreateIndex
CREATE INDEX "reminders_pending_contact_idx" ON "reminders"("contact_id", "channel", "scheduled_at") WHERE status = 'pending';

-- CreateIndex
CREATE UNIQUE INDEX "outbox_messages_bundle_id_key" ON "outbox_messages"("bundle_id");

-- AddForeignKey
ALTER TABLE "bundles" ADD CONSTRAINT "bundles_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organisations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "bundles" ADD CONSTRAINT "bundles_contact_id_fkey" FOREIGN KEY ("contact_id") REFERENCES "contacts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "reminders" ADD CONSTRAINT "reminders_bundle_id_fkey" FOREIGN KEY ("bundle_id") REFERENCES "bundles"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "outbox_messages" ADD CONSTRAINT "outbox_messages_bundle_id_fkey" FOREIGN KEY ("bundle_id") REFERENCES "bundles"("id") ON DELETE SET NULL ON UPDATE CASCADE;
