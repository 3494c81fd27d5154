import pg from 'pg';
import type { Prisma } from '#root/generated/prisma/client.js';
import { poolOf, type Db } from './client.js';

/**
 * pg's parsers, but int8 read as a bigint, as Prisma reads it (pg reads it as a string), and
 * timestamptz by {@link parseTimestamptz} (the same Dates, faster).
 */
const INT8 = 20;
const TIMESTAMPTZ = 1184;
const pgTimestamptz = pg.types.getTypeParser(TIMESTAMPTZ, 'text') as (value: string) => Date | number | null;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8
      ? (value: string) => BigInt(value)
      : oid === TIMESTAMPTZ && format !== 'binary'
        ? parseTimestamptz
        : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

const digits2 = (s: string, i: number) => (s.charCodeAt(i) - 48) * 10 + s.charCodeAt(i + 1) - 48;

/**
 * A timestamptz as pg reads it (postgres-date), the same Date to the millisecond, but read by
 * position when it is written as a UTC session writes it (`2026-12-07 01:02:03.456789+00`, our
 * pools' sessions are UTC: src/db/client.ts): postgres-date's regular expressions were a visible
 * part of reading a batch of bundles (three timestamps per item). Any other form (another offset,
 * BC, a year before 1000, infinity) goes to pg's parser. The fraction is cut to milliseconds, as
 * postgres-date's `Date.UTC(…, 1000 × fraction)` truncates it.
 */
export function parseTimestamptz(value: string): Date | number | null {
  const n = value.length;
  if (
    n >= 22 &&
    value.charCodeAt(n - 3) === 43 && // +00 at the end
    value.charCodeAt(n - 2) === 48 &&
    value.charCodeAt(n - 1) === 48 &&
    value.charCodeAt(0) !== 48 && // a four-digit year from 1000 on
    value.charCodeAt(4) === 45 &&
    value.charCodeAt(7) === 45 &&
    value.charCodeAt(10) === 32 &&
    value.charCodeAt(13) === 58 &&
    value.charCodeAt(16) === 58 &&
    (n === 22 || value.charCodeAt(19) === 46)
  ) {
    let ms = 0;
    for (let i = 20, m = 100; i < n - 3 && m >= 1; i++, m /= 10) ms += (value.charCodeAt(i) - 48) * m;
    return new Date(
      Date.UTC(
        digits2(value, 0) * 100 + digits2(value, 2),
        digits2(value, 5) - 1,
        digits2(value, 8),
        digits2(value, 11),
        digits2(value, 14),
        digits2(value, 17),
        ms,
      ),
    );
  }
  return pgTimestamptz(value);
}

/**
 * A statement the delivery runs once per batch, all day long (a load, a claim, a record): sent by
 * name over the pg pool under Prisma, so that each connection parses and plans it once and then
 * only binds and executes it, and its rows come back without Prisma's raw-query machinery. Both
 * were most of a batch's cost, in PostgreSQL and in the worker, at the batch sizes of a fan-out
 * (bench/pipeline.ts). Over a transaction's client, or a client not made by `createPrisma`, it
 * runs through `$queryRawUnsafe` instead, in that transaction.
 *
 * `text` takes positional parameters ($1…), each cast in the SQL. The columns of `Row` read the
 * same both ways for the types used here: uuid, text and enums as strings, timestamptz as Date,
 * int4 as number, int8 as bigint, boolean (not arrays of enums, which pg leaves as text).
 */
export function prepared<Row extends object>(
  name: string,
  text: string,
): (db: Db | Prisma.TransactionClient, values: unknown[]) => Promise<Row[]> {
  return async (db, values) => {
    const pool = poolOf(db);
    if (pool) return (await pool.query({ name, text, values, types })).rows as Row[];
    return db.$queryRawUnsafe<Row[]>(text, ...values);
  };
}

/**
 * A PostgreSQL array literal of strings (`{"a","b",NULL}`), for a parameter the SQL casts to an
 * array type (`$1::uuid[]`, `$2::text[]`): the text pg writes for a JS array, built here in one
 * join when no element needs escaping (ids never do), where pg escapes element by element with two
 * regular expressions each (about 1.5 % of the worker's busy time in `pipeline`, with the dates it
 * formats by hand: a Date is better passed as `toISOString()`).
 */
export function arrayLiteral(values: readonly (string | null)[]): string {
  for (const v of values) if (v === null || v.includes('"') || v.includes('\\')) return escapedLiteral(values);
  return values.length ? `{"${values.join('","')}"}` : '{}';
}

function escapedLiteral(values: readonly (string | null)[]): string {
  const parts = values.map((v) => (v === null ? 'NULL' : `"${v.replace(/[\\"]/g, '\\$&')}"`));
  return `{${parts.join(',')}}`;
}
