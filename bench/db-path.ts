/**
 * The database path of a chat message alone (load, claim, record), without a channel, a queue or a
 * worker process: CPU per message of the PostgreSQL backends and of this process (the database
 * client), per phase, each phase over every bundle in batches, four batches at a time. Not part of
 * `npm run bench`: a diagnostic for the PostgreSQL figure of `pipeline`.
 *
 *   npx tsx bench/db-path.ts [chats = 2000] [items per chat = 5]
 *   DBP_LOAD, DBP_CLAIM, DBP_RECORD   batch sizes (32, 30, 17: about those of a pipeline run)
 *   DBP_PRE                           SQL run after seeding, `;`-separated (e.g. `ANALYZE`: the
 *                                     statistics of a morning before its fan-out)
 */
import { bundlePending } from '#root/services/bundles.js';
import { loadBundles } from '#root/services/delivery/load.js';
import { claimBundles, recordSent } from '#root/services/delivery/claims.js';
import { openBenchEnv } from './env.js';
import { seedTelegram } from './telegram.js';
import { cpuOf } from './util.js';

const C = Number(process.argv[2] ?? 2000);
const PER = Number(process.argv[3] ?? 5);
const LOAD = Number(process.env.DBP_LOAD ?? 32);
const CLAIM = Number(process.env.DBP_CLAIM ?? 30);
const RECORD = Number(process.env.DBP_RECORD ?? 17);
const LANES = 4;

const chunks = <T>(xs: T[], n: number) =>
  Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

async function main() {
  const env = await openBenchEnv('h3dbp');
  try {
    const { orgId } = await seedTelegram(env, 'bench-dbp', C, PER, 500_000_000);
    await bundlePending(env.db, orgId, new Date(Date.now() + 60_000));
    const ids = (
      await env.db.bundle.findMany({ where: { orgId }, select: { id: true }, orderBy: { scheduledAt: 'asc' } })
    ).map((b) => b.id);
    for (const sql of (process.env.DBP_PRE ?? '').split(';').filter((x) => x.trim()))
      await env.db.$executeRawUnsafe(sql);
    await env.db.$executeRawUnsafe('CHECKPOINT');
    const pids = async () =>
      (
        await env.db.$queryRaw<{ pid: number }[]>`
          SELECT pid FROM pg_stat_activity WHERE datname = current_database()`
      ).map((r) => r.pid);
    // Warm the pool: every connection open before the first measure.
    await Promise.all(Array.from({ length: 20 }, () => env.db.$queryRaw`SELECT 1 AS one FROM pg_sleep(0.01)`));
    const backends = await pids();
    const measure = async (name: string, run: () => Promise<void>) => {
      const pg0 = backends.map(cpuOf);
      const self0 = process.cpuUsage();
      const t0 = performance.now();
      await run();
      const wall = performance.now() - t0;
      const pg = backends.map(cpuOf).reduce((a, x, i) => a + x - pg0[i]!, 0);
      const self = process.cpuUsage(self0);
      const client = (self.user + self.system) / 1000;
      console.log(
        `${name.padEnd(8)} pg ${(pg / C).toFixed(3)} ms/msg  client ${(client / C).toFixed(3)} ms/msg  wall ${(wall / C).toFixed(3)} ms/msg`,
      );
      return { pg, client };
    };
    const lanes = async (batches: string[][], work: (batch: string[]) => Promise<void>) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: LANES }, async () => {
          while (next < batches.length) await work(batches[next++]!);
        }),
      );
    };
    const loaded = new Map<string, string[]>();
    const total = { pg: 0, client: 0 };
    const add = (x: { pg: number; client: number }) => {
      total.pg += x.pg;
      total.client += x.client;
    };
    add(
      await measure('load', () =>
        lanes(chunks(ids, LOAD), async (batch) => {
          for (const b of await loadBundles(env.db, batch))
            loaded.set(
              b.id,
              b.items.map((i) => i.id),
            );
        }),
      ),
    );
    add(
      await measure('claim', () =>
        lanes(chunks(ids, CLAIM), async (batch) => {
          const won = await claimBundles(
            env.db,
            batch.map((id) => ({ bundleId: id, itemIds: loaded.get(id) ?? [] })),
            'claimed',
            'bench',
            new Date(),
          );
          if (won.some((w) => w?.length !== PER)) throw new Error('claim lost items');
        }),
      ),
    );
    add(
      await measure('record', () =>
        lanes(chunks(ids, RECORD), async (batch) => {
          const n = await recordSent(
            env.db,
            batch.map((id) => ({
              bundleId: id,
              claimedBy: 'bench',
              itemIds: loaded.get(id) ?? [],
              externalId: `1:${id.slice(0, 8)}`,
              layout: [{ o: id, c: 'X', b: true }],
            })),
            new Date(),
          );
          if (n !== batch.length) throw new Error('record lost bundles');
        }),
      ),
    );
    console.log(`total    pg ${(total.pg / C).toFixed(3)} ms/msg  client ${(total.client / C).toFixed(3)} ms/msg`);
    const sent = await env.db.reminder.count({ where: { orgId, status: 'sent' } });
    if (sent !== C * PER) throw new Error(`sent ${sent} of ${C * PER}`);
  } finally {
    await env.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
