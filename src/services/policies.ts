import type { Db } from '#root/db/client.js';
import { effectivePolicy, policyOverrideSchema, type PolicyOverride } from '#root/domain/policy.js';
import type { Prisma } from '#root/generated/prisma/client.js';
import { UserError } from '#root/errors/index.js';
import { audit } from './audit.js';

/** Sets (merging) the policy override of one target: "org", "plan:<id>", "duty:<id>", "unit:<id>". */
export async function setPolicy(db: Db, orgId: string, target: string, override: unknown, actor: string) {
  const parsed = policyOverrideSchema.safeParse(override);
  if (!parsed.success) {
    throw new UserError(`Chính sách không hợp lệ / invalid policy: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return db.$transaction(async (tx) => {
    const old = await tx.reminderPolicy.findUnique({ where: { orgId_target: { orgId, target } } });
    const merged: PolicyOverride = { ...((old?.settings as PolicyOverride | undefined) ?? {}), ...parsed.data };
    const p = effectivePolicy(merged);
    if (p.windowStart >= p.windowEnd) throw new UserError('Giờ bắt đầu phải trước giờ kết thúc / the window must start before it ends');
    await tx.reminderPolicy.upsert({
      where: { orgId_target: { orgId, target } },
      update: { settings: merged as Prisma.InputJsonValue },
      create: { orgId, target, settings: merged as Prisma.InputJsonValue },
    });
    // The planner's next pass moves, adds or cancels the pending reminders this changes.
    await audit(tx, { orgId, actor, action: 'policy.set', entity: 'policy', entityId: target, data: merged as Prisma.InputJsonValue });
    return merged;
  });
}

export async function listPolicies(db: Db, orgId: string) {
  return db.reminderPolicy.findMany({ where: { orgId }, orderBy: { target: 'asc' } });
}
