import type { Db } from '#root/db/client.js';
import type { Organisation } from '#root/generated/prisma/client.js';
import { NotFoundError, UserError } from '#root/errors/index.js';
import { audit } from './audit.js';

/** The organisation with this code, or a clear error naming the known ones. */
export async function getOrganisation(db: Db, code: string): Promise<Organisation> {
  const org = await db.organisation.findUnique({ where: { code } });
  if (org) return org;
  const known = await db.organisation.findMany({ select: { code: true }, orderBy: { code: 'asc' } });
  throw new NotFoundError(
    `Không có tổ chức «${code}»${known.length ? ` (có: ${known.map((k) => k.code).join(', ')})` : ''}; ` +
      `tạo bằng: dondoc org create ${code} --name "…" / no organisation «${code}»`,
  );
}

export interface OrgInput {
  code: string;
  name: string;
  timeZone?: string;
  yearlyDue?: string;
}

/** Creates the organisation, or returns it unchanged when it exists. */
export async function ensureOrganisation(db: Db, input: OrgInput, actor = 'system'): Promise<Organisation> {
  if (!/^[a-z0-9-]{2,32}$/.test(input.code)) {
    throw new UserError(`Mã tổ chức «${input.code}» không hợp lệ: chữ thường, số, dấu - / invalid organisation code`);
  }
  if (input.yearlyDue && !/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/.test(input.yearlyDue)) {
    throw new UserError(`Hạn hằng năm phải có dạng MM-DD / yearly due must be MM-DD`);
  }
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
