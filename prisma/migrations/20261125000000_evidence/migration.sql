-- CreateTable
CREATE TABLE "evidence" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "obligation_id" UUID NOT NULL,
    "contact_id" UUID,
    "via" TEXT NOT NULL,
    "file_id" TEXT NOT NULL,
    "file_unique_id" TEXT,
    "file_name" TEXT NOT NULL,
    "mime_type" TEXT,
    "size" INTEGER NOT NULL,
    "storage_path" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "evidence_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "evidence_obligation_id_idx" ON "evidence"("obligation_id");

-- AddForeignKey
ALTER TABLE "evidence" ADD CONSTRAINT "evidence_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organisations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "evidence" ADD CONSTRAINT "evidence_obligation_id_fkey" FOREIGN KEY ("obligation_id") REFERENCES "obligations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "evidence" ADD CONSTRAINT "evidence_contact_id_fkey" FOREIGN KEY ("contact_id") REFERENCES "contacts"("id") ON DELETE SET NULL ON UPDATE CASCADE;
