import type { Db } from '#root/db/client.js';
import { isTimeZone, isYearlyDue } from '#root/domain/org-settings.js';
import type { Organisation } from '#root/generated/prisma/client.js';
import { NotFoundError, UserError, type Words } from '#root/errors/index.js';
import { audit } from './audit.js';
import { reconcileCurrent } from './obligations.js';
import { serviceWords } from '#root/messages/service-words.js';

const orgWords = serviceWords('orgs');

/** The organisation with this code, or a clear error naming the known ones. */
export async function getOrganisation(db: Db, code: string): Promise<Organisation> {
  const org = await db.organisation.findUnique({ where: { code } });
  if (org) return org;
  const known = await db.organisation.findMany({ select: { code: true }, orderBy: { code: 'asc' } });
  const list = known.map((k) => k.code).join(', ');
  throw new NotFoundError(known.length ? orgWords('noSuchOrgAmong', { code, list }) : orgWords('noSuchOrg', { code }));
}

export interface OrgInput {
  code: string;
  name: string;
  timeZone?: string;
  yearlyDue?: string;
}

/** Refuses a zone or a yearly due day that schedules and jobs could not use (nothing is stored). */
function checkSettings(input: { timeZone?: string | undefined; yearlyDue?: string | undefined }) {
  if (input.timeZone !== undefined && !isTimeZone(input.timeZone)) {
    throw new UserError(orgWords('invalidTimeZone', { timeZone: input.timeZone }));
  }
  if (input.yearlyDue !== undefined && !isYearlyDue(input.yearlyDue)) {
    throw new UserError(orgWords('invalidYearlyDue', { yearlyDue: input.yearlyDue }));
  }
}

function checkCode(code: string) {
  if (!/^[a-z0-9-]{2,32}$/.test(code)) {
    throw new UserError(orgWords('invalidCode', { code }));
  }
}

/** Creates the organisation, or returns it unchanged when it exists (the demo's seeding). */
export async function ensureOrganisation(db: Db, input: OrgInput, actor = 'system'): Promise<Organisation> {
  checkCode(input.code);
  checkSettings(input);
  const existing = await db.organisation.findUnique({ where: { code: input.code } });
  if (existing) return existing;
  return db.$transaction(async (tx) => {
    const org = await tx.organisation.upsert({
      where: { code: input.code },
      update: {},
      create: {
        code: input.code,
        name: input.name,
        ...(input.timeZone ? { timeZone: input.timeZone } : {}),
        ...(input.yearlyDue ? { yearlyDue: input.yearlyDue } : {}),
      },
    });
    await audit(tx, { orgId: org.id, actor, action: 'org.create', entity: 'organisation', entityId: org.id });
    return org;
  });
}

/**
 * `dondoc org create`: creates the organisation. The same command run again with the same name
 * (and the same zone and due day, where given) changes nothing and says so; a different one is
 * refused, naming what differs and how to change it (`dondoc org set`): never silently ignored.
 */
export async function createOrganisation(
  db: Db,
  input: OrgInput,
  actor = 'system',
): Promise<{ org: Organisation; created: boolean }> {
  checkCode(input.code);
  checkSettings(input);
  const existing = await db.organisation.findUnique({ where: { code: input.code } });
  if (!existing) return { org: await ensureOrganisation(db, input, actor), created: true };
  const differs = [
    existing.name !== input.name ? orgWords('differsName', { name: existing.name }) : null,
    input.timeZone !== undefined && existing.timeZone !== input.timeZone
      ? orgWords('differsTimeZone', { timeZone: existing.timeZone })
      : null,
    input.yearlyDue !== undefined && existing.yearlyDue !== input.yearlyDue
      ? orgWords('differsYearlyDue', { yearlyDue: existing.yearlyDue })
      : null,
  ].filter((x): x is Words => x !== null);
  if (differs.length) {
    const set = `dondoc org set ${input.code} --name … --tz … --yearly-due …`;
    throw new UserError(
      orgWords('orgExists', { code: input.code, differs: (lang) => differs.map((d) => d[lang]).join(', '), set }),
    );
  }
  return { org: existing, created: false };
}

/**
 * `dondoc org set`: changes an organisation's name, zone or yearly due day (each checked first:
 * this is how an organisation stored with a bad value is repaired). Audited with the old and new
 * values; a new zone moves every due instant, so the current and next year are reconciled at once.
 */
export async function setOrganisation(
  db: Db,
  code: string,
  changes: { name?: string; timeZone?: string; yearlyDue?: string },
  input: { actor: string; now: Date },
): Promise<{ org: Organisation; changed: string[] }> {
  checkSettings(changes);
  if (changes.name !== undefined && !changes.name.trim()) throw new UserError(orgWords('nameEmpty'));
  if (changes.name === undefined && changes.timeZone === undefined && changes.yearlyDue === undefined) {
    throw new UserError(orgWords('nothingToChange'));
  }
  const before = await getOrganisation(db, code);
  const data = {
    ...(changes.name !== undefined && changes.name.trim() !== before.name ? { name: changes.name.trim() } : {}),
    ...(changes.timeZone !== undefined && changes.timeZone !== before.timeZone ? { timeZone: changes.timeZone } : {}),
    ...(changes.yearlyDue !== undefined && changes.yearlyDue !== before.yearlyDue
      ? { yearlyDue: changes.yearlyDue }
      : {}),
  };
  const changed = Object.keys(data);
  if (!changed.length) return { org: before, changed };
  const org = await db.$transaction(async (tx) => {
    const after = await tx.organisation.update({ where: { id: before.id }, data });
    const old = Object.fromEntries(changed.map((k) => [k, before[k as keyof typeof data]]));
    await audit(tx, {
      orgId: before.id,
      actor: input.actor,
      action: 'org.update',
      entity: 'organisation',
      entityId: before.id,
      data: { before: old, after: data },
    });
    return after;
  });
  // Due instants are the end of the due day in the zone; the yearly due day is read at import.
  if ('timeZone' in data) await reconcileCurrent(db, org.id, input.now, input.actor);
  return { org, changed };
}
