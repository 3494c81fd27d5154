-- AlterTable
ALTER TABLE "plans" ADD COLUMN     "track_from" DATE;

-- AlterTable
ALTER TABLE "duties" ADD COLUMN     "document_fields" JSONB,
ADD COLUMN     "fixed_fields" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- AlterTable
ALTER TABLE "obligations" ADD COLUMN     "history" BOOLEAN NOT NULL DEFAULT false;

-- The fixes made before this migration, from the audit log (`duty.fix` events): a re-import keeps them.
UPDATE "duties" d SET "fixed_fields" = ARRAY(
  SELECT DISTINCT f.field
    FROM "audit_events" a
    CROSS JOIN LATERAL (VALUES ('title', a."data" ? 'title'),
                               ('timeframe', a."data" ? 'timeframe'),
                               ('flags', COALESCE((a."data" ->> 'clearFlags')::boolean, false))) AS f(field, present)
   WHERE a."action" = 'duty.fix' AND a."entity" = 'duty' AND a."entity_id" = d."id"::text AND f.present
   ORDER BY f.field)
 WHERE EXISTS (SELECT 1 FROM "audit_events" a WHERE a."action" = 'duty.fix' AND a."entity" = 'duty' AND a."entity_id" = d."id"::text);
