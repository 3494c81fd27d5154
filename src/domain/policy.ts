import { z } from 'zod';

/**
 * The reminder policy of SPEC §4. Defaults, overridable per organisation, plan, duty and unit:
 * the most specific setting wins, field by field.
 */
export interface ReminderPolicy {
  /** Lead reminders, in working days before the due date. */
  leadDays: number[];
  /** A reminder on the due date itself. */
  onDue: boolean;
  /** Overdue nudges: the first working day after the due date, then every this many working days. */
  overdueEvery: number;
  /** At most this many overdue nudges (then escalation and the digest carry on). */
  overdueMax: number;
  /** Escalation to the unit head this many working days overdue; to the administrators twice as late. */
  escalateAfter: number;
  /** Sending window, local time "HH:MM". */
  windowStart: string;
  windowEnd: string;
}

export const DEFAULT_POLICY: ReminderPolicy = {
  leadDays: [14, 7, 3, 1],
  onDue: true,
  overdueEvery: 3,
  overdueMax: 10,
  escalateAfter: 3,
  windowStart: '08:00',
  windowEnd: '17:00',
};

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM');

/** What an override may set; unknown keys are refused so that typos do not silently do nothing. */
export const policyOverrideSchema = z
  .object({
    leadDays: z.array(z.number().int().min(1).max(60)).max(10),
    onDue: z.boolean(),
    overdueEvery: z.number().int().min(1).max(30),
    overdueMax: z.number().int().min(0).max(50),
    escalateAfter: z.number().int().min(1).max(30),
    windowStart: hhmm,
    windowEnd: hhmm,
  })
  .partial()
  .strict();

export type PolicyOverride = z.infer<typeof policyOverrideSchema>;

/** Applies overrides from the least to the most specific (organisation, plan, duty, unit). */
export function effectivePolicy(...overrides: (PolicyOverride | undefined)[]): ReminderPolicy {
  const p: ReminderPolicy = { ...DEFAULT_POLICY };
  for (const o of overrides) if (o) Object.assign(p, o);
  p.leadDays = [...new Set(p.leadDays)].sort((a, b) => b - a);
  return p;
}

/**
 * Whether a policy's sending window is a window: it starts before it ends, on the same day
 * ("08:00"–"17:00"; not "17:00"–"08:00", nor an empty "09:00"–"09:00"). "HH:MM" strings compare
 * as times.
 */
export const sendingWindowOrdered = (p: Pick<ReminderPolicy, 'windowStart' | 'windowEnd'>): boolean =>
  p.windowStart < p.windowEnd;
