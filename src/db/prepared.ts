import pg from 'pg';
import type { Prisma } from '#root/generated/prisma/client.js';
import { poolOf, type Db } from './client.js';

/** pg's parsers, but int8 read as a bigint, as Prisma reads it (pg reads it as a string). */
const INT8 = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8
      ? (value: string) => BigInt(value)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

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
