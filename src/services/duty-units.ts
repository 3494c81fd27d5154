import type { Db } from '#root/db/client.js';
import type { Prisma } from '#root/generated/prisma/client.js';
import { NotFoundError, UserError } from '#root/errors/index.js';
import { audit } from './audit.js';
import { isUuid } from './units.js';
import { loadDirectory, resolveName, type DirectoryEntry } from './units.js';
import { serviceWords } from '#root/messages/service-words.js';

const unitWords = serviceWords('units');

/**
 * Sets a duty's lead and cooperating units (or groups) after import, by name or alias as a plan
 * writes them: every name must answer to a known unit or group (else nothing changes and the
 * message names those that do not); at least one lead. The assignments are replaced; audited with
 * the names before and after. The caller reconciles the obligations.
 */
export async function setDutyUnits(
  db: Db,
  orgId: string,
  dutyId: string,
  input: { leads: string[]; cooperating: string[] },
  actor: string,
) {
  const missing = () => new NotFoundError(unitWords('noSuchDuty'));
  if (!isUuid(dutyId)) throw missing();
  const clean = (names: string[]) => [...new Set(names.map((n) => n.trim()).filter(Boolean))];
  const leads = clean(input.leads);
  const cooperating = clean(input.cooperating);
  if (!leads.length) throw new UserError(unitWords('leadRequired'));
  return db.$transaction(async (tx) => {
    const duty = await tx.duty.findFirst({
      where: { id: dutyId, orgId },
      include: { assignments: { include: { unit: true, group: true }, orderBy: { position: 'asc' } } },
    });
    if (!duty) throw missing();
    const directory = await loadDirectory(tx, orgId);
    const unknown: string[] = [];
    const rows: AssignmentRow[] = [];
    for (const [role, names] of [
      ['lead', leads],
      ['cooperating', cooperating],
    ] as const) {
      names.forEach((name, position) => {
        const r = resolveName(name, directory);
        const entry = r.matched ? directory.find((d) => d.id === r.id) : undefined;
        if (!entry) unknown.push(name);
        else if (!rows.some((x) => x.role === role && x.entry.id === entry.id))
          rows.push({ role, entry, rawName: name, position });
      });
    }
    if (unknown.length)
      throw new UserError(unitWords('unknownNames', { unknown: unknown.map((n) => `«${n}»`).join(', ') }));
    const before = duty.assignments.map((a) => ({ role: a.role, name: a.unit?.name ?? a.group?.name ?? a.rawName }));
    await tx.assignment.deleteMany({ where: { dutyId } });
    await createAssignments(tx, orgId, dutyId, rows);
    await audit(tx, {
      orgId,
      actor,
      action: 'duty.units',
      entity: 'duty',
      entityId: dutyId,
      data: { before, after: rows.map((a) => ({ role: a.role, name: a.entry.name })) },
    });
    return {
      duty,
      leads: rows.filter((r) => r.role === 'lead').length,
      cooperating: rows.filter((r) => r.role === 'cooperating').length,
    };
  });
}

/** One assignment of a duty to a unit or a group, as resolved from the name a plan gives. */
export interface AssignmentRow {
  role: 'lead' | 'cooperating';
  entry: DirectoryEntry;
  rawName: string;
  position: number;
}

/** Writes a duty's assignments (import and the duty's page alike). */
export async function createAssignments(
  tx: Prisma.TransactionClient,
  orgId: string,
  dutyId: string,
  assignments: AssignmentRow[],
) {
  if (!assignments.length) return;
  await tx.assignment.createMany({
    data: assignments.map((a) => ({
      orgId,
      dutyId,
      role: a.role,
      unitId: a.entry.kind === 'unit' ? a.entry.id : null,
      groupId: a.entry.kind === 'group' ? a.entry.id : null,
      target: `${a.entry.kind === 'unit' ? 'u' : 'g'}:${a.entry.id}`,
      rawName: a.rawName,
      position: a.position,
    })),
  });
}
