import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import type { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAINTENANCE_QUEUE, REMINDERS_QUEUE } from '#jobs/queues.js';
import { buildProgram } from '#root/cli/commands.js';
import { createCliContext } from '#root/cli/context.js';
import { loadConfig } from '#root/config.js';
import { withSecretKey } from '#root/services/secret-key.js';
import { createLogger } from '#root/logger.js';
import { createMetrics } from '#root/metrics.js';
import { createRedis, type Redis } from '#root/redis.js';
import { createAdmin } from '#root/services/admins.js';
import { samplePlanPath, seedDemo } from '#root/services/demo.js';
import { signLink } from '#root/services/links.js';
import { obligationKey } from '#root/services/matrix.js';
import { createWebServer } from '#root/web/server.js';
import { runCliInProcess } from '../helpers/cli-in-process.js';
import { ManualClock } from '../helpers/clock.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { testPrefix } from '../helpers/app.js';
import { TEST_ADMIN, WebClient } from '../helpers/web.js';

/**
 * Every table's row count and a checksum of all its rows (`md5` over each row's text, in order).
 * `web_sessions` is counted but not checksummed: a page refreshes its own session's `last_seen_at`
 * (at most once a minute, the idle timeout's clock), which is the login's state, not data.
 */
async function snapshot(t: TestDatabase): Promise<Record<string, string>> {
  const tables = await t.prisma.$queryRaw<{ name: string }[]>`
    SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`;
  const out: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = await t.prisma.$queryRawUnsafe<{ n: bigint; sum: string | null }[]>(
      name === 'web_sessions'
        ? `SELECT count(*) AS n, NULL AS sum FROM "${name}"`
        : `SELECT count(*) AS n, md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) AS sum FROM "${name}" x`,
    );
    out[name] = `${row!.n} ${row!.sum ?? ''}`;
  }
  return out;
}

/** Every leaf command of the program, as typed ("org create", "preview"). */
function leafCommands(cmd: Command, prefix = ''): string[] {
  return cmd.commands.flatMap((c) => {
    const name = `${prefix}${c.name()}`;
    return c.commands.length ? leafCommands(c, `${name} `) : [name];
  });
}

/** Commands that change rows: the test does not run them. Every other command is a read and is run. */
/** /metrics is served on the web port only with a token (it names every organisation). */
const METRICS_TOKEN = 'reads-write-nothing-metrics-token';

const WRITE_COMMANDS = new Set([
  'db migrate',
  'org create',
  'org set',
  'import',
  'duties fix',
  'units add',
  'units alias',
  'units accept',
  'units merge',
  'groups add',
  'groups add-members',
  'groups remove-members',
  'contacts add',
  'contacts channels',
  'contacts address',
  'invite',
  'holidays add',
  'holidays remove',
  'reconcile',
  'nudge',
  'outbox answer',
  'policy set',
  'seed-demo',
  'admin create',
  'admin password',
  'admin operator',
]);

describe('pages and commands that only read', () => {
  const start = new Date('2026-11-16T02:00:00Z');
  let t: TestDatabase;
  let redis: Redis;
  /** The queues the operators' board shows, as the program gives them to the web role. */
  let boardQueues: Queue[] = [];
  let app: FastifyInstance;
  let client: WebClient;
  let env: Record<string, string>;
  const routes = new Set<string>();
  let ids: {
    unit: string;
    unitWithFeed: string;
    duty: string;
    obligation: string;
    contact: string;
    outbox: string;
    feed: string;
    link: string;
  };
  let secret: string;

  beforeAll(async () => {
    t = await createTestDatabase();
    await seedDemo(t.prisma, { orgCode: 'hcm', timeZone: 'Asia/Ho_Chi_Minh', now: start, actor: 'test' });
    const org = await t.prisma.organisation.findUniqueOrThrow({ where: { code: 'hcm' } });
    await createAdmin(
      t.prisma,
      org.id,
      { email: TEST_ADMIN.email, name: 'Chị Quản Trị', password: TEST_ADMIN.password },
      'test',
    );
    // The key as the program resolves it (made and kept in the database before the counts are taken).
    const config = await withSecretKey(
      loadConfig({ DATABASE_URL: t.url, REDIS_PREFIX: testPrefix(), LOG_LEVEL: 'silent', PORT: '0', METRICS_TOKEN }),
      t.prisma,
    );
    secret = config.SECRET_KEY;
    env = { DATABASE_URL: t.url, DEFAULT_ORG: 'hcm' };
    redis = createRedis(config.REDIS_URL);
    boardQueues = [REMINDERS_QUEUE, MAINTENANCE_QUEUE].map(
      (name) => new Queue(name, { connection: redis, prefix: config.REDIS_PREFIX }),
    );
    app = createWebServer({
      config,
      db: t.prisma,
      redis,
      clock: new ManualClock(start),
      logger: createLogger({ level: 'silent' }),
      metrics: createMetrics(),
      sendQueue: () => {
        throw new Error('a read queued a message');
      },
      boardQueues,
    });
    // Every route the server registers from here on (the pages are registered at ready).
    app.addHook('onRoute', (r) => {
      for (const m of [r.method].flat()) if (m === 'GET') routes.add(r.url);
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    client = new WebClient(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
    expect((await client.login(TEST_ADMIN.email, TEST_ADMIN.password)).status).toBe(303);

    // Something for every detail page to show (written before the first snapshot).
    const [o] = await t.prisma.obligation.findMany({
      where: { orgId: org.id, current: true },
      include: { unit: { include: { contacts: true } } },
      take: 1,
      orderBy: { dueAt: 'asc' },
    });
    const contact = o!.unit.contacts[0]!;
    const outbox = await t.prisma.outboxMessage.create({
      data: { orgId: org.id, contactId: contact.id, subject: 'Nhắc hạn', body: 'Nội dung thử' },
    });
    const units = await t.prisma.unit.findMany({ where: { orgId: org.id }, orderBy: { name: 'asc' }, take: 2 });
    // One unit with a calendar address (made by its button), one without.
    expect((await client.post(`/admin/units/${units[1]!.id}/calendar`)).status).toBe(303);
    const feed = (await t.prisma.unit.findUniqueOrThrow({ where: { id: units[1]!.id } })).calendarToken!;
    ids = {
      unit: units[0]!.id,
      unitWithFeed: units[1]!.id,
      duty: o!.dutyId,
      obligation: o!.id,
      contact: contact.id,
      outbox: outbox.id.toString(),
      feed,
      link: signLink(
        { obligationId: o!.id, contactId: contact.id, exp: Math.floor(start.getTime() / 1000) + 86_400 },
        secret,
      ),
    };
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await Promise.allSettled(boardQueues.map((q) => q.close()));
    await redis?.quit();
    await t?.close();
  });

  /** The addresses a GET route is loaded at: its parameters filled with real ids, with and without the query strings it reads. */
  function urlsOf(route: string): string[] {
    const fixed: Record<string, string[]> = {
      '/admin/duties/:id': [`/admin/duties/${ids.duty}`, `/admin/duties/${ids.duty}?year=2027`],
      '/admin/evidence/:id': [`/admin/evidence/${randomUUID()}`],
      '/admin/import/:id': [`/admin/import/${randomUUID()}`],
      '/admin/o/:key': [`/admin/o/${obligationKey(ids.obligation)}`],
      '/admin/obligations/:id': [`/admin/obligations/${ids.obligation}`],
      '/admin/outbox/:id': [`/admin/outbox/${ids.outbox}`],
      '/admin/templates/:lang/:message/:channel/:part': ['/admin/templates/vi/digest/telegram/html'],
      '/admin/units/:id': [
        `/admin/units/${ids.unit}`,
        `/admin/units/${ids.unitWithFeed}`,
        `/admin/units/${ids.unit}?year=2027`,
      ],
      '/ical/:file': [`/ical/${ids.feed}.ics`],
      '/lang/:lang': ['/lang/en?back=/admin', '/lang/vi?back=/admin'],
      '/c/:token': [`/c/${ids.link}`],
      '/admin/preview': [
        '/admin/preview',
        '/admin/preview?from=2026-12-20&to=2027-01-10',
        '/admin/preview?from=2027-03-01&to=2027-03-31',
      ],
      '/admin/status': ['/admin/status', '/admin/status?year=2027'],
      '/admin': ['/admin', '/admin?year=2027'],
      '/admin/late/:dutyId': [`/admin/late/${ids.duty}`, `/admin/late/${ids.duty}?page=2`],
      '/admin/late/:dutyId/export.:ext': [`/admin/late/${ids.duty}/export.csv`, `/admin/late/${ids.duty}/export.xlsx`],
      '/admin/policies': ['/admin/policies', '/admin/policies?year=2027'],
      '/admin/outbox': ['/admin/outbox', `/admin/outbox?contact=${ids.contact}`],
      '/admin/exports/status.xlsx': ['/admin/exports/status.xlsx', '/admin/exports/status.xlsx?year=2027'],
      '/admin/exports/status.csv': ['/admin/exports/status.csv', '/admin/exports/status.csv?year=2027'],
      '/admin/queues/static/*': ['/admin/queues/static/nothing.js'],
    };
    if (fixed[route]) return fixed[route];
    if (route.includes(':')) {
      // bull-board's routes: its own queue and a job id that does not exist.
      return [route.replace(':queueName', 'reminders').replace(':jobId', 'nothing')];
    }
    return [route];
  }

  it('loading every GET route the server registers changes no row of any table and writes no audit row', async () => {
    // Routes registered before the hook could see them (src/web/server.ts's own).
    for (const r of ['/healthz', '/metrics', '/c/:token', '/lang/:lang']) {
      expect(app.hasRoute({ method: 'GET', url: r }), r).toBe(true);
      routes.add(r);
    }
    expect(routes.size).toBeGreaterThan(35);
    const before = await snapshot(t);
    const auditBefore = await t.prisma.auditEvent.count();
    const loaded: string[] = [];
    for (const route of [...routes].sort()) {
      for (const url of urlsOf(route)) {
        const res =
          url === '/metrics'
            ? await client.request('GET', url, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
            : await client.get(url);
        expect(res.status, url).toBeLessThan(500);
        // The metrics were read (each organisation's counts are queried at a scrape), not refused.
        if (url === '/metrics') expect(res.status).toBe(200);
        loaded.push(url);
      }
    }
    // The detail pages were shown, not refused.
    expect(loaded.length).toBeGreaterThanOrEqual(routes.size);
    expect(await snapshot(t)).toEqual(before);
    expect(await t.prisma.auditEvent.count()).toBe(auditBefore);
    expect((await client.get(`/admin/units/${ids.unit}`)).text).toContain('Đơn vị chưa có địa chỉ lịch');
  }, 300_000);

  it('running every read command changes no row of any table', async () => {
    const ctx = createCliContext({ LOG_LEVEL: 'silent', ...env });
    const all = leafCommands(buildProgram(ctx, () => undefined));
    await ctx.close();
    const reads: string[][] = [
      ['org', 'list'],
      ['obligations'],
      ['obligations', '--year', '2027', '--json'],
      ['obligations', '--unit', 'Sở Y tế'],
      ['duties', 'list'],
      ['duties', 'list', '--json'],
      ['flags'],
      ['units', 'list'],
      ['units', 'list', '--json'],
      ['contacts', 'list'],
      ['contacts', 'list', '--unreachable'],
      ['holidays', 'list', '--year', '2027'],
      ['status'],
      ['status', '--year', '2027'],
      ['preview'],
      ['preview', '--unit', 'Sở Y tế'],
      ['preview', '--from', '2026-12-20', '--to', '2027-01-10', '--json'],
      ['outbox', 'list'],
      ['outbox', 'show', ids.outbox],
      ['policy', 'show'],
      ['templates', 'check'],
      ['admin', 'list'],
      ['import', samplePlanPath(), '--dry-run'],
      // Writes a file, never a row.
      ['report', '--year', '2026', '--out', path.join(tmpdir(), `dondoc-report-${randomUUID()}.docx`)],
    ];
    // The lists are kept honest: every command of the program is a known write or is run here.
    const run = new Set(
      reads.map((a) =>
        a[0] === 'org' ||
        a[0] === 'duties' ||
        a[0] === 'units' ||
        a[0] === 'contacts' ||
        a[0] === 'holidays' ||
        a[0] === 'outbox' ||
        a[0] === 'policy' ||
        a[0] === 'templates' ||
        a[0] === 'admin'
          ? `${a[0]} ${a[1]}`
          : a[0]!,
      ),
    );
    expect(
      all.filter((c) => !WRITE_COMMANDS.has(c) && !run.has(c)),
      'commands neither listed as writes nor run',
    ).toEqual([]);
    expect(
      [...WRITE_COMMANDS].filter((c) => !all.includes(c)),
      'writes listed that do not exist',
    ).toEqual([]);

    const before = await snapshot(t);
    for (const args of reads) {
      const r = await runCliInProcess(args, env, { now: start });
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.code, args.join(' ')).toBe(0);
    }
    expect(await snapshot(t)).toEqual(before);
  }, 300_000);
});
