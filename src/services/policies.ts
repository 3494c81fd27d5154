import type { Db } from '#root/db/client.js';
import {
  effectivePolicy,
  policyOverrideSchema,
  sendingWindowOrdered,
  type PolicyOverride,
} from '#root/domain/policy.js';
import type { Prisma } from '#root/generated/prisma/client.js';
import type { z } from 'zod';
import type { Lang } from '#root/domain/wording.js';
import { UserError, type Words } from '#root/errors/index.js';
import { audit } from './audit.js';
import { serviceWords } from '#root/messages/service-words.js';

const policyWords = serviceWords('policies');

/** The fields of a policy as an administrator knows them (error messages name them so). */
const FIELD_LABELS: Record<string, Words> = {
  leadDays: policyWords('fieldLabels.leadDays'),
  onDue: policyWords('fieldLabels.onDue'),
  overdueEvery: policyWords('fieldLabels.overdueEvery'),
  overdueMax: policyWords('fieldLabels.overdueMax'),
  escalateAfter: policyWords('fieldLabels.escalateAfter'),
  windowStart: policyWords('fieldLabels.windowStart'),
  windowEnd: policyWords('fieldLabels.windowEnd'),
};

/** What is wrong with one value of a policy, in each language (zod's own messages are English). */
function problemOf(issue: z.core.$ZodIssue): Words {
  switch (issue.code) {
    case 'too_small':
      return issue.origin === 'array'
        ? policyWords('problem.tooFewValues', { minimum: String(issue.minimum) })
        : policyWords('problem.tooSmall', { minimum: String(issue.minimum) });
    case 'too_big':
      return issue.origin === 'array'
        ? policyWords('problem.tooManyValues', { maximum: String(issue.maximum) })
        : policyWords('problem.tooBig', { maximum: String(issue.maximum) });
    case 'invalid_type':
      switch (issue.expected) {
        case 'int':
          return policyWords('problem.notWholeNumber');
        case 'number':
          return policyWords('problem.notNumber');
        case 'boolean':
          return policyWords('problem.notYesOrNo');
        case 'array':
          return policyWords('problem.notListOfDays');
        default:
          return policyWords('problem.notTime');
      }
    case 'invalid_format':
      return policyWords('problem.notTimeExample');
    case 'unrecognized_keys':
      return policyWords('problem.noSuchSetting', { keys: issue.keys.join(', ') });
    default:
      return policyWords('problem.invalidValue');
  }
}

/** Sets (merging) the policy override of one target: "org", "plan:<id>", "duty:<id>", "unit:<id>". */
export async function setPolicy(db: Db, orgId: string, target: string, override: unknown, actor: string) {
  const parsed = policyOverrideSchema.safeParse(override);
  if (!parsed.success) {
    const label = (path: PropertyKey[], lang: Lang) =>
      `${FIELD_LABELS[String(path[0])]?.[lang] ?? String(path[0] ?? '')}${path.length > 1 ? ` (${path.slice(1).map(String).join('.')})` : ''}`;
    const problems = (lang: Lang) =>
      parsed.error.issues
        .map((i) => (i.path.length ? `${label(i.path, lang)}: ${problemOf(i)[lang]}` : problemOf(i)[lang]))
        .join('; ');
    throw new UserError(policyWords('invalidPolicy', { problems }));
  }
  return db.$transaction(async (tx) => {
    const old = await tx.reminderPolicy.findUnique({ where: { orgId_target: { orgId, target } } });
    const merged: PolicyOverride = { ...((old?.settings as PolicyOverride | undefined) ?? {}), ...parsed.data };
    if (!sendingWindowOrdered(effectivePolicy(merged))) throw new UserError(policyWords('windowReversed'));
    await tx.reminderPolicy.upsert({
      where: { orgId_target: { orgId, target } },
      update: { settings: merged as Prisma.InputJsonValue },
      create: { orgId, target, settings: merged as Prisma.InputJsonValue },
    });
    // The planner's next pass moves, adds or cancels the pending reminders this changes.
    await audit(tx, {
      orgId,
      actor,
      action: 'policy.set',
      entity: 'policy',
      entityId: target,
      data: merged as Prisma.InputJsonValue,
    });
    return merged;
  });
}

export async function listPolicies(db: Db, orgId: string) {
  return db.reminderPolicy.findMany({ where: { orgId }, orderBy: { target: 'asc' } });
}

/** A policy's target as the administrator sees it. */
export type PolicyTarget =
  | { target: 'org'; kind: 'org' }
  | { target: string; kind: 'plan'; code: string; title: string }
  | { target: string; kind: 'duty'; code: string; planCode: string; title: string }
  | { target: string; kind: 'unit'; name: string };

/**
 * Checks a target string ("org", "plan:<id>", "duty:<id>", "unit:<id>") against the organisation:
 * an id of another organisation, or of nothing, is refused.
 *
 * @throws UserError for a malformed target or one that is not this organisation's.
 */
export async function resolvePolicyTarget(db: Db, orgId: string, target: string): Promise<PolicyTarget> {
  if (target === 'org') return { target, kind: 'org' };
  const m = /^(plan|duty|unit):([0-9a-f-]{36})$/i.exec(target);
  const refuse = () => new UserError(policyWords('noSuchScope', { target: target.slice(0, 80) }));
  if (!m) throw refuse();
  const [, kind, id] = m as unknown as [string, 'plan' | 'duty' | 'unit', string];
  if (kind === 'plan') {
    const p = await db.plan.findFirst({ where: { id, orgId } });
    if (!p) throw refuse();
    return { target, kind, code: p.code, title: p.title };
  }
  if (kind === 'duty') {
    const d = await db.duty.findFirst({ where: { id, orgId }, include: { plan: true } });
    if (!d) throw refuse();
    return { target, kind, code: d.code, planCode: d.plan.code, title: d.title };
  }
  const u = await db.unit.findFirst({ where: { id, orgId } });
  if (!u) throw refuse();
  return { target, kind, name: u.name };
}

/**
 * A policy override from form fields (text, as typed): empty fields are left out (they keep what
 * was set), numbers are read as numbers, lead days as a comma list, the window as HH:MM. Nothing
 * is validated here beyond reading: {@link setPolicy} validates with the schema the CLI uses.
 */
export function policyInput(form: {
  leadDays?: string;
  onDue?: string;
  overdueEvery?: string;
  overdueMax?: string;
  escalateAfter?: string;
  windowStart?: string;
  windowEnd?: string;
}): Record<string, unknown> {
  const text = (v: string | undefined) => (v ?? '').trim();
  const num = (v: string | undefined) =>
    text(v) === '' ? undefined : /^\d+$/.test(text(v)) ? Number(text(v)) : text(v);
  const lead = text(form.leadDays);
  const onDue = text(form.onDue);
  if (onDue !== '' && onDue !== 'yes' && onDue !== 'no') throw new UserError(policyWords('invalidOnDue'));
  const out: Record<string, unknown> = {
    leadDays:
      lead === ''
        ? undefined
        : lead
            .split(/[,;\s]+/)
            .filter(Boolean)
            .map((x) => (/^\d+$/.test(x) ? Number(x) : x)),
    onDue: onDue === '' ? undefined : onDue === 'yes',
    overdueEvery: num(form.overdueEvery),
    overdueMax: num(form.overdueMax),
    escalateAfter: num(form.escalateAfter),
    windowStart: text(form.windowStart) || undefined,
    windowEnd: text(form.windowEnd) || undefined,
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}

/** Removes a target's override (its fields fall back to the wider policy); audited. Returns whether there was one. */
export async function clearPolicy(db: Db, orgId: string, target: string, actor: string): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const old = await tx.reminderPolicy.findUnique({ where: { orgId_target: { orgId, target } } });
    if (!old) return false;
    await tx.reminderPolicy.delete({ where: { id: old.id } });
    await audit(tx, {
      orgId,
      actor,
      action: 'policy.clear',
      entity: 'policy',
      entityId: target,
      data: { before: old.settings as Prisma.InputJsonValue },
    });
    return true;
  });
}

/** Every override of the organisation with its target described, and the organisation's effective policy. */
export async function policyOverview(db: Db, orgId: string) {
  const rows = await listPolicies(db, orgId);
  const described = [];
  for (const r of rows) {
    const parsed = policyOverrideSchema.safeParse(r.settings);
    const target = await resolvePolicyTarget(db, orgId, r.target).catch(() => null);
    described.push({
      target: target ?? { target: r.target, kind: 'gone' as const },
      settings: parsed.success ? parsed.data : {},
      updatedAt: r.updatedAt,
    });
  }
  const orgOverride = described.find((d) => d.target.kind === 'org')?.settings;
  return { rows: described, orgPolicy: effectivePolicy(orgOverride) };
}

/** What a policy form offers as targets: the organisation, its plans, their active duties, its units. */
export async function policyTargets(db: Db, orgId: string) {
  const [plans, duties, units] = await Promise.all([
    db.plan.findMany({ where: { orgId }, orderBy: { code: 'asc' }, select: { id: true, code: true, title: true } }),
    db.duty.findMany({
      where: { orgId, active: true },
      orderBy: [{ plan: { code: 'asc' } }, { position: 'asc' }],
      select: { id: true, code: true, title: true, plan: { select: { code: true } } },
    }),
    db.unit.findMany({ where: { orgId, active: true }, orderBy: { name: 'asc' }, select: { id: true, name: true } }),
  ]);
  return {
    plans,
    duties: duties.map((d) => ({ id: d.id, code: d.code, title: d.title, planCode: d.plan.code })),
    units,
  };
}
