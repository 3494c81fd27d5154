import type { Prisma } from '#root/generated/prisma/client.js';

type Tx = Pick<Prisma.TransactionClient, 'auditEvent'>;

export interface AuditEntry {
  orgId: string;
  /** "cli:<user>", "web:<email>", "contact:<id>", "system". */
  actor: string;
  action: string;
  entity: string;
  entityId?: string | null;
  data?: Prisma.InputJsonValue;
}

/** Writes one audit row, in the caller's transaction: the change and its record stand or fall together. */
export async function audit(tx: Tx, entry: AuditEntry): Promise<void> {
  await tx.auditEvent.create({
    data: {
      orgId: entry.orgId,
      actor: entry.actor,
      action: entry.action,
      entity: entry.entity,
      entityId: entry.entityId ?? null,
      ...(entry.data === undefined ? {} : { data: entry.data }),
    },
  });
}
