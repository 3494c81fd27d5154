/**
 * A plan's indicators (chỉ tiêu): how a unit's value is read, how the province's value is made of
 * the units' values, and whether it meets the year's target. Pure.
 */

/** A rate ("Tỷ lệ …", unit "%") is reported as numerator/denominator ("45/50"); anything else as a number. */
export const isRate = (unit: string | null | undefined): boolean => unit === '%';

/** Why a typed value was refused. */
export type ValueProblem = 'empty' | 'not-number' | 'need-fraction' | 'zero-denominator' | 'over' | 'negative';

export type ParsedValue =
  { ok: true; numerator: number; denominator: number | null } | { ok: false; problem: ValueProblem };

/** "45", "45,5", "1.000" (thousands), "45.5" → a number; null when not one. */
export function readNumber(text: string): number | null {
  const t = text.trim();
  if (/^\d{1,3}(?:\.\d{3})+$/.test(t)) return Number(t.replace(/\./g, ''));
  if (!/^-?\d+(?:[.,]\d+)?$/.test(t)) return null;
  const n = Number(t.replace(',', '.'));
  return Number.isFinite(n) ? n : null;
}

/**
 * A unit's value as typed: a rate needs "numerator/denominator" with 0 ≤ numerator ≤ denominator
 * and a denominator above 0 ("45/50"; spaces allowed); another indicator takes one number ≥ 0
 * (a fraction is refused: its unit is not a rate).
 */
export function parseIndicatorValue(text: string, rate: boolean): ParsedValue {
  const t = text.trim();
  if (!t) return { ok: false, problem: 'empty' };
  const parts = t.split('/');
  if (parts.length > 2) return { ok: false, problem: 'not-number' };
  if (parts.length === 1 && rate)
    return readNumber(t) === null ? { ok: false, problem: 'not-number' } : { ok: false, problem: 'need-fraction' };
  const numerator = readNumber(parts[0]!);
  const denominator = parts.length === 2 ? readNumber(parts[1]!) : null;
  if (numerator === null || (parts.length === 2 && denominator === null)) return { ok: false, problem: 'not-number' };
  if (numerator < 0 || (denominator !== null && denominator < 0)) return { ok: false, problem: 'negative' };
  if (!rate)
    return parts.length === 2 ? { ok: false, problem: 'not-number' } : { ok: true, numerator, denominator: null };
  if (denominator === 0) return { ok: false, problem: 'zero-denominator' };
  if (numerator > denominator!) return { ok: false, problem: 'over' };
  return { ok: true, numerator, denominator };
}

/**
 * The target of a year: the year's own, else the last earlier year's ("Mục tiêu 2025" stands
 * after 2025 until a new plan says otherwise), with the year it is from; null when none.
 */
export function targetFor(targets: Record<string, number>, year: number): { value: number; year: number } | null {
  const years = Object.keys(targets)
    .map(Number)
    .filter((y) => Number.isInteger(y) && y <= year && typeof targets[String(y)] === 'number')
    .sort((a, b) => b - a);
  const y = years[0];
  return y === undefined ? null : { value: targets[String(y)]!, year: y };
}

/**
 * The province's value of an indicator from its units' values: for a rate Σ numerators /
 * Σ denominators as a percentage, else the sum; null when no unit reported.
 */
export function combinedValue(
  values: { numerator: number; denominator: number | null }[],
  rate: boolean,
): number | null {
  if (!values.length) return null;
  const num = values.reduce((s, v) => s + v.numerator, 0);
  if (!rate) return num;
  const den = values.reduce((s, v) => s + (v.denominator ?? 0), 0);
  return den > 0 ? (num / den) * 100 : null;
}

/** Whether a value meets its target (higher is better); null when either is unknown. */
export const meets = (value: number | null, target: number | null): boolean | null =>
  value === null || target === null ? null : value + 1e-9 >= target;

/** A number as Vietnamese writes it: "1.000", "93,3" (one decimal at most). */
export function viNumber(n: number): string {
  const rounded = Math.round(n * 10) / 10;
  const [int, dec] = Math.abs(rounded).toFixed(1).split('.') as [string, string];
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, '.');
  return `${rounded < 0 ? '-' : ''}${grouped}${dec === '0' ? '' : `,${dec}`}`;
}

/** An indicator's value with its unit: "93,3%", "1.200 người". */
export const withUnit = (n: number, unit: string | null): string =>
  unit === '%' ? `${viNumber(n)}%` : unit ? `${viNumber(n)} ${unit}` : viNumber(n);
