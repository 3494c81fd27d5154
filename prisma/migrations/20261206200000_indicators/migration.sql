-- A plan's indicators (issue 17): the targets per year, the units that report them, and their values.

-- CreateTable
CREATE TABLE "indicators" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "plan_id" UUID NOT NULL,
    "code" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "unit" TEXT,
    "targets" JSONB NOT NULL DEFAULT '{}',
    "position" INTEGER NOT NULL DEFAULT 0,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "indicators_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "indicator_units" (
    "indicator_id" UUID NOT NULL,
    "unit_id" UUID NOT NULL,
    "org_id" UUID NOT NULL,

    CONSTRAINT "indicator_units_pkey" PRIMARY KEY ("indicator_id","unit_id")
);

-- CreateTable
CREATE TABLE "indicator_values" (
    "id" UUID NOT NULL,
    "org_id" UUID NOT NULL,
    "indicator_id" UUID NOT NULL,
    "unit_id" UUID NOT NULL,
    "year" INTEGER NOT NULL,
    "numerator" DOUBLE PRECISION NOT NULL,
    "denominator" DOUBLE PRECISION,
    "note" TEXT,
    "contact_id" UUID,
    "actor" TEXT NOT NULL,
    "via" TEXT NOT NULL,
    "replaces_id" UUID,
    "ended_at" TIMESTAMPTZ(3),
    "withdrawn" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "indicator_values_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "indicators_plan_id_code_key" ON "indicators"("plan_id", "code");

-- CreateIndex
CREATE INDEX "indicators_org_id_idx" ON "indicators"("org_id");

-- CreateIndex
CREATE INDEX "indicator_units_unit_id_idx" ON "indicator_units"("unit_id");

-- CreateIndex
CREATE INDEX "indicator_values_indicator_id_year_idx" ON "indicator_values"("indicator_id", "year");

-- CreateIndex
CREATE INDEX "indicator_values_unit_id_year_idx" ON "indicator_values"("unit_id", "year");

-- CreateIndex: one standing value per indicator, unit and year.
CREATE UNIQUE INDEX "indicator_values_standing_key" ON "indicator_values"("indicator_id", "unit_id", "year") WHERE ended_at IS NULL;

-- AddForeignKey
ALTER TABLE "indicators" ADD CONSTRAINT "indicators_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organisations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "indicators" ADD CONSTRAINT "indicators_plan_id_fkey" FOREIGN KEY ("plan_id") REFERENCES "plans"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "indicator_units" ADD CONSTRAINT "indicator_units_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organisations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "indicator_units" ADD CONSTRAINT "indicator_units_indicator_id_fkey" FOREIGN KEY ("indicator_id") REFERENCES "indicators"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "indicator_units" ADD CONSTRAINT "indicator_units_unit_id_fkey" FOREIGN KEY ("unit_id") REFERENCES "units"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "indicator_values" ADD CONSTRAINT "indicator_values_org_id_fkey" FOREIGN KEY ("org_id") REFERENCES "organisations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "indicator_values" ADD CONSTRAINT "indicator_values_indicator_id_fkey" FOREIGN KEY ("indicator_id") REFERENCES "indicators"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "indicator_values" ADD CONSTRAINT "indicator_values_unit_id_fkey" FOREIGN KEY ("unit_id") REFERENCES "units"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "indicator_values" ADD CONSTRAINT "indicator_values_contact_id_fkey" FOREIGN KEY ("contact_id") REFERENCES "contacts"("id") ON DELETE SET NULL ON UPDATE CASCADE;
