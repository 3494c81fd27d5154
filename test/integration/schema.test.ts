import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, readMigrations } from '#root/db/migrate.js';
import { createEmptyDatabase } from '../helpers/db.js';

// The schema engine cannot run here, so `prisma migrate diff` is unavailable. Instead: read the
// datamodel (DMMF, with indexes) from schema.prisma through Prisma's own schema WASM, introspect a
// database migrated by our runner, and compare the two object by object.
const require = createRequire(import.meta.url);
const wasm = require('@prisma/prisma-schema-wasm') as { get_dmmf(params: string): string };

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: 'scalar' | 'object' | 'enum' | 'unsupported';
  isList: boolean;
  isRequired: boolean;
  type: string;
  nativeType?: [string, string[]] | null;
  default?: unknown;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}
interface DmmfIndex {
  model: string;
  type: 'id' | 'unique' | 'normal' | 'fulltext';
  fields: { name: string }[];
}
interface Dmmf {
  enums: { name: string; dbName?: string | null; values: { name: string; dbName?: string | null }[] }[];
  models: DmmfModel[];
  indexes: DmmfIndex[];
}

const schemaText = readFileSync(new URL('../../prisma/schema.prisma', import.meta.url), 'utf8');
const dmmf = (
  JSON.parse(wasm.get_dmmf(JSON.stringify({ prismaSchema: [['schema.prisma', schemaText]] }))) as {
    datamodel: Dmmf;
  }
).datamodel;

const table = (m: DmmfModel) => m.dbName ?? m.name;
const column = (m: DmmfModel, field: string) => {
  const f = m.fields.find((x) => x.name === field);
  if (!f) throw new Error(`${m.name}.${field}?`);
  return f.dbName ?? f.name;
};
const enumNames = new Set(dmmf.enums.map((e) => e.name));

function expectedUdt(f: DmmfField): string {
  const base = (() => {
    if (enumNames.has(f.type)) return f.type;
    const native = f.nativeType?.[0];
    switch (f.type) {
      case 'String':
        return native === 'Uuid' ? 'uuid' : 'text';
      case 'DateTime':
        return native === 'Date' ? 'date' : native === 'Timestamptz' ? 'timestamptz' : 'timestamp';
      case 'Int':
        return 'int4';
      case 'BigInt':
        return 'int8';
      case 'Float':
        return 'float8';
      case 'Boolean':
        return 'bool';
      case 'Json':
        return 'jsonb';
      default:
        throw new Error(`type ${f.type} not mapped in this test`);
    }
  })();
  return f.isList ? `_${base}` : base;
}

const onDelete: Record<string, string> = {
  Cascade: 'CASCADE',
  SetNull: 'SET NULL',
  Restrict: 'RESTRICT',
  NoAction: 'NO ACTION',
};

describe('the migrated database', () => {
  let client: pg.Client;

  beforeAll(async () => {
    const { url } = await createEmptyDatabase();
    await migrate(url);
    client = new pg.Client({ connectionString: url });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
  });

  it('has exactly the tables of schema.prisma, plus _prisma_migrations', async () => {
    const { rows } = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    );
    expect(rows.map((r) => r.table_name).sort()).toEqual([...dmmf.models.map(table), '_prisma_migrations'].sort());
  });

  it('has the partial indexes of schema.prisma, with their conditions (not in the DMMF: read from the schema text)', async () => {
    const expected = [
      ...schemaText.matchAll(/@@(?:index|unique)\([^\n]*map:\s*"([^"]+)"[^\n]*where:\s*raw\("((?:[^"\\]|\\.)*)"\)/g),
    ].map((m) => `${m[1]}: ${m[2]}`);
    const { rows } = await client.query<{ name: string; predicate: string }>(
      `SELECT c.relname AS name, pg_get_expr(i.indpred, i.indrelid) AS predicate
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE i.indpred IS NOT NULL AND n.nspname = 'public'`,
    );
    // PostgreSQL prints the condition with its casts and in parentheses: (status = 'pending'::"ReminderStatus").
    const plain = (sql: string) => sql.replace(/::"?\w+"?/g, '').replace(/^\((.*)\)$/, '$1');
    expect(rows.map((r) => `${r.name}: ${plain(r.predicate)}`).sort()).toEqual(expected.sort());
    expect(expected.length).toBeGreaterThan(0);
  });

  it('has the enums of schema.prisma with their values in order', async () => {
    const { rows } = await client.query<{ name: string; values: string[] }>(
      `SELECT t.typname AS name, array_agg(e.enumlabel ORDER BY e.enumsortorder)::text[] AS values
         FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname`,
    );
    const actual = Object.fromEntries(rows.map((r) => [r.name, r.values]));
    const expected = Object.fromEntries(
      dmmf.enums.map((e) => [e.dbName ?? e.name, e.values.map((v) => v.dbName ?? v.name)]),
    );
    expect(actual).toEqual(expected);
  });

  describe.each(dmmf.models.map((m) => [m.name, m] as const))('table of %s', (_name, model) => {
    it('has each field as a column of the right type, nullability and default', async () => {
      const { rows } = await client.query<{
        column_name: string;
        udt_name: string;
        is_nullable: 'YES' | 'NO';
        column_default: string | null;
        datetime_precision: number | null;
      }>(
        `SELECT column_name, udt_name, is_nullable, column_default, datetime_precision
           FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1`,
        [table(model)],
      );
      const actual = Object.fromEntries(
        rows.map((r) => [
          r.column_name,
          {
            type: r.udt_name,
            nullable: r.is_nullable === 'YES',
            hasDefault: r.column_default !== null,
            precision: r.udt_name === 'timestamptz' ? r.datetime_precision : null,
          },
        ]),
      );
      const expected = Object.fromEntries(
        model.fields
          .filter((f) => f.kind === 'scalar' || f.kind === 'enum')
          .map((f) => {
            const udt = expectedUdt(f);
            // Prisma's uuid() and @updatedAt are filled in by the client, not by the database.
            const def = f.default as { name?: string } | undefined;
            const dbDefault =
              def !== undefined && !(typeof def === 'object' && def !== null && 'name' in def && def.name === 'uuid');
            return [
              f.dbName ?? f.name,
              {
                type: udt,
                // Prisma creates list columns without NOT NULL.
                nullable: !f.isRequired || f.isList,
                hasDefault: dbDefault,
                precision: udt === 'timestamptz' ? Number(f.nativeType?.[1][0] ?? 3) : null,
              },
            ];
          }),
      );
      expect(actual).toEqual(expected);
    });

    it('has the primary key, unique constraints and indexes of schema.prisma', async () => {
      const { rows } = await client.query<{ cols: string[]; is_unique: boolean; is_primary: boolean }>(
        `SELECT array_agg(a.attname ORDER BY k.ord)::text[] AS cols, i.indisunique AS is_unique, i.indisprimary AS is_primary
           FROM pg_index i
           JOIN pg_class c ON c.oid = i.indrelid
           CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
          WHERE c.relname = $1
          GROUP BY i.indexrelid, i.indisunique, i.indisprimary`,
        [table(model)],
      );
      const key = (kind: string, cols: string[]) => `${kind}(${cols.join(',')})`;
      const actual = rows.map((r) => key(r.is_primary ? 'id' : r.is_unique ? 'unique' : 'normal', r.cols)).sort();
      const expected = dmmf.indexes
        .filter((i) => i.model === model.name)
        .map((i) =>
          key(
            i.type,
            i.fields.map((f) => column(model, f.name)),
          ),
        )
        .sort();
      expect(actual).toEqual(expected);
    });

    it('has the foreign keys of schema.prisma with their delete rules', async () => {
      const { rows } = await client.query<{ cols: string[]; ref_table: string; ref_cols: string[]; del: string }>(
        `SELECT (SELECT array_agg(a.attname ORDER BY k.ord)::text[] FROM unnest(con.conkey) WITH ORDINALITY k(n, ord)
                   JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n) AS cols,
                rc.relname AS ref_table,
                (SELECT array_agg(a.attname ORDER BY k.ord)::text[] FROM unnest(con.confkey) WITH ORDINALITY k(n, ord)
                   JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n) AS ref_cols,
                CASE con.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' WHEN 'r' THEN 'RESTRICT'
                                     WHEN 'a' THEN 'NO ACTION' WHEN 'd' THEN 'SET DEFAULT' END AS del
           FROM pg_constraint con
           JOIN pg_class c ON c.oid = con.conrelid
           JOIN pg_class rc ON rc.oid = con.confrelid
          WHERE con.contype = 'f' AND c.relname = $1`,
        [table(model)],
      );
      const actual = rows.map((r) => `${r.cols.join(',')}->${r.ref_table}(${r.ref_cols.join(',')}) ${r.del}`).sort();
      const expected = model.fields
        .filter((f) => f.kind === 'object' && (f.relationFromFields?.length ?? 0) > 0)
        .map((f) => {
          const target = dmmf.models.find((m) => m.name === f.type)!;
          const from = f.relationFromFields!.map((n) => column(model, n));
          const to = f.relationToFields!.map((n) => column(target, n));
          const rule = onDelete[f.relationOnDelete ?? (f.isRequired ? 'Restrict' : 'SetNull')];
          return `${from.join(',')}->${table(target)}(${to.join(',')}) ${rule}`;
        })
        .sort();
      expect(actual).toEqual(expected);
    });
  });
});

describe('the migration runner', () => {
  it('records each migration as Prisma does, and a second run applies nothing', async () => {
    const { url } = await createEmptyDatabase();
    const files = await readMigrations();
    const first = await migrate(url);
    expect(first.applied).toEqual(files.map((f) => f.name));
    const second = await migrate(url);
    expect(second.applied).toEqual([]);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query(
        'SELECT id, checksum, migration_name, finished_at, rolled_back_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name',
      );
      expect(rows).toHaveLength(files.length);
      for (const [i, row] of rows.entries()) {
        expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(row.checksum).toBe(files[i]!.checksum);
        expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
        expect(row.finished_at).toBeInstanceOf(Date);
        expect(row.rolled_back_at).toBeNull();
        expect(row.applied_steps_count).toBe(1);
      }
    } finally {
      await client.end();
    }
  });

  it('lets several processes migrate at once: one applies, the others find it done', async () => {
    const { url } = await createEmptyDatabase();
    const results = await Promise.all([migrate(url), migrate(url), migrate(url)]);
    const applied = results.flatMap((r) => r.applied);
    expect(applied).toEqual((await readMigrations()).map((f) => f.name));
  });
});
