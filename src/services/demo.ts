import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Db } from '#root/db/client.js';
import type { IsoDate } from '#root/domain/types.js';
import { normalizeUnitName } from '#root/domain/units.js';
import { yearWindow, zonedDay, zonedYear } from '#root/domain/zoned-day.js';
import { parsePlanFile } from '#root/import/spreadsheet.js';
import { audit } from './audit.js';
import { reconcileObligations } from './obligations.js';
import { ensureOrganisation } from './orgs.js';
import { commitImport, reviewImport } from './plans.js';

const SAMPLE_DIR = new URL('../../prisma/sample/', import.meta.url);

interface DemoData {
  org: { code: string; name: string };
  plan: string;
  units: { name: string; aliases?: string[] }[];
  groups: { name: string; aliases?: string[]; members: string[] | '*' }[];
  administrator: { name: string; unit: string };
}

export interface DemoResult {
  created: boolean;
  orgCode: string;
  units: number;
  contacts: number;
  obligations: number;
}

/**
 * Seeds an organisation with the sample plan shipped in `prisma/sample/` (the HCMC plan
 * 3131/KH-UBND): its units with aliases, group members, one sandbox contact per unit and an
 * administrator, then this year's obligations. Does nothing when the organisation already has a plan.
 */
export async function seedDemo(
  db: Db,
  options: {
    orgCode: string;
    timeZone: string;
    now: Date;
    actor: string;
    /**
     * The day to track the plan from; by default the current period of each duty at `now`, as an
     * administrator's import. Null: every period, the past included (a fixture of past periods).
     */
    trackFrom?: IsoDate | null;
  },
): Promise<DemoResult> {
  const data = JSON.parse(await readFile(new URL('demo-units.json', SAMPLE_DIR), 'utf8')) as DemoData;
  const org = await ensureOrganisation(
    db,
    { code: options.orgCode, name: data.org.name, timeZone: options.timeZone },
    options.actor,
  );
  if ((await db.plan.count({ where: { orgId: org.id } })) > 0) {
    return { created: false, orgCode: org.code, units: 0, contacts: 0, obligations: 0 };
  }

  // Units and groups first, so that the import matches the plan's names to them.
  await db.$transaction(async (tx) => {
    const unitIds = new Map<string, string>();
    // Aliases that fold to a key already known ("Sở TT&TT" = "Sở TTTT") add nothing: skip them.
    const unitKeys = new Set<string>();
    const groupKeys = new Set<string>();
    const fresh = (keys: Set<string>, name: string) => {
      const key = normalizeUnitName(name);
      if (keys.has(key)) return null;
      keys.add(key);
      return key;
    };
    for (const u of data.units) {
      const unit = await tx.unit.create({
        data: { orgId: org.id, name: u.name, normalized: fresh(unitKeys, u.name) ?? normalizeUnitName(u.name) },
      });
      unitIds.set(u.name, unit.id);
      for (const alias of u.aliases ?? []) {
        const normalized = fresh(unitKeys, alias);
        if (normalized) await tx.unitAlias.create({ data: { orgId: org.id, unitId: unit.id, alias, normalized } });
      }
    }
    for (const g of data.groups) {
      const group = await tx.unitGroup.create({
        data: { orgId: org.id, name: g.name, normalized: fresh(groupKeys, g.name) ?? normalizeUnitName(g.name) },
      });
      for (const alias of g.aliases ?? []) {
        const normalized = fresh(groupKeys, alias);
        if (normalized) await tx.groupAlias.create({ data: { orgId: org.id, groupId: group.id, alias, normalized } });
      }
      const members = g.members === '*' ? [...unitIds.values()] : g.members.map((m) => unitIds.get(m)!);
      await tx.unitGroupMember.createMany({ data: members.map((unitId) => ({ groupId: group.id, unitId })) });
    }
    await audit(tx, {
      orgId: org.id,
      actor: options.actor,
      action: 'demo.seed',
      entity: 'organisation',
      entityId: org.id,
    });
  });

  const file = new URL(data.plan, SAMPLE_DIR);
  const draft = await parsePlanFile(data.plan, await readFile(file), { defaultDue: org.yearlyDue });
  // Tracked from the current period of each duty, as an administrator's import is by default: the
  // periods before today are history, not a demo full of items overdue since the plan was issued.
  await commitImport(
    db,
    org.id,
    await reviewImport(db, org.id, draft, undefined, {
      today: zonedDay(options.now, org.timeZone),
      ...(options.trackFrom !== undefined ? { trackFrom: options.trackFrom } : {}),
    }),
    options.actor,
  );

  // One sandbox contact per unit (including those the import proposed), and the administrator.
  const units = await db.unit.findMany({ where: { orgId: org.id } });
  await db.contact.createMany({
    data: units.map((u) => ({
      orgId: org.id,
      unitId: u.id,
      name: `Đầu mối ${u.name}`,
      channels: ['sandbox' as const],
    })),
  });
  const adminUnit = units.find((u) => u.name === data.administrator.unit)!;
  await db.contact.create({
    data: { orgId: org.id, unitId: adminUnit.id, name: data.administrator.name, role: 'admin', channels: ['sandbox'] },
  });
  const rec = await reconcileObligations(
    db,
    org.id,
    yearWindow(zonedYear(options.now, org.timeZone)),
    options.now,
    options.actor,
  );
  return {
    created: true,
    orgCode: org.code,
    units: units.length,
    contacts: units.length + 1,
    obligations: rec.created,
  };
}

/** The demo's web administrator (`npm start` with SEED_DEMO, never in production). */
export const DEMO_ADMIN = {
  email: 'admin@dondoc.local',
  name: 'Quản trị thử (demo)',
  password: 'dondoc-demo-2026',
} as const;

export const samplePlanPath = (name = 'kh-3131-hcm.txt') => fileURLToPath(new URL(name, SAMPLE_DIR));
