import { randomBytes } from 'node:crypto';
import { createApp } from '#root/app.js';
import { buildDeps } from '#root/composition.js';
import { createSandboxChannel } from '#root/channels/sandbox/index.js';
import { loadConfig } from '#root/config.js';
import { systemClock } from '#root/deps.js';
import { yearWindow, zonedDay } from '#root/domain/zoned-day.js';
import { createLogger } from '#root/logger.js';
import { createAdmin } from '#root/services/admins.js';
import { MATRIX_PAGE_SIZE, statusMatrix } from '#root/services/matrix.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { orgSummary } from '#root/services/summary.js';
import { dropPrefix, type BenchEnv } from './env.js';
import { seedPlannerOrg } from './planner.js';
import type { Figure } from './run.js';
import { percentile, round, size } from './util.js';

/** A browser's cookies, enough to log in and stay logged in. */
class Browser {
  private cookies = new Map<string, string>();
  constructor(private readonly base: string) {}

  /**
   * One request. With `bytesOnly` the body is read to its last byte but not decoded: the time is
   * the server's (as a browser elsewhere would see it), not this client's decoding of 5 MB.
   */
  async request(
    method: string,
    path: string,
    form?: Record<string, string>,
    bytesOnly = false,
  ): Promise<{ status: number; text: string; bytes: number }> {
    const res = await fetch(new URL(path, this.base), {
      method,
      redirect: 'manual',
      headers: {
        ...(this.cookies.size ? { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {}),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    for (const line of res.headers.getSetCookie()) {
      const pair = line.split(';')[0]!;
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    if (bytesOnly) return { status: res.status, text: '', bytes: (await res.arrayBuffer()).byteLength };
    const text = await res.text();
    return { status: res.status, text, bytes: Buffer.byteLength(text) };
  }

  async login(email: string, password: string) {
    const page = await this.request('GET', '/login');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    const res = await this.request('POST', '/login', { _csrf: csrf, email, password, next: '/admin' });
    if (res.status !== 303) throw new Error(`login failed: ${res.status}`);
  }
}

/**
 * `n` sequential timings of `run`, in ms, after `warm` untimed ones; `cpu` the CPU time this process
 * spent on each (server and client share it): on a machine busy with other work the wall time
 * mostly measures waiting for a core, the CPU time much less so.
 */
async function timings(n: number, warm: number, run: () => Promise<unknown>): Promise<number[] & { cpu: number[] }> {
  for (let i = 0; i < warm; i++) await run();
  const out = Object.assign([] as number[], { cpu: [] as number[] });
  for (let i = 0; i < n; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await run();
    out.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    out.cpu.push((c.user + c.system) / 1000);
  }
  return out;
}

/**
 * `web`: the administrators' status matrix (GET /admin/status) and the landing page's summary
 * (GET /admin, issue 16) of U units × D duties (U × D obligations; the matrix a hundred units a page,
 * its first page and its last sorted by lateness),
 * this year, about a third confirmed, some waived, some extended), served by the web role over
 * HTTP to a logged-in client, N times one after the other after a warm-up. The reference is the
 * login page, served by the same server in the same run (a page without the database). The
 * service alone (`statusMatrix`) is timed too, to tell the SQL from the rendering. The client reads
 * each page to its last byte without decoding it (a browser would be another machine).
 */
export async function benchWeb(env: BenchEnv): Promise<Figure[]> {
  const U = size('BENCH_WEB_UNITS', 1_000);
  const D = size('BENCH_WEB_DUTIES', 50);
  const N = size('BENCH_WEB_REQUESTS', 30);
  const now = new Date();
  const year = Number(zonedDay(now, 'Asia/Ho_Chi_Minh').slice(0, 4));
  const orgId = await seedPlannerOrg(env, U, D, year, 'bench-web');
  const t0 = performance.now();
  const rec = await reconcileObligations(env.db, orgId, yearWindow(year), new Date(Date.UTC(year, 0, 1)));
  process.stderr.write(`  web: ${rec.created} obligations in ${round((performance.now() - t0) / 1000)} s\n`);
  // A spread of states: a third done (with a confirmation by the unit's contact), some waived, some extended.
  await env.pool.query(
    `WITH d AS (UPDATE obligations SET status = 'done', completed_at = LEAST(due_at, $2) WHERE org_id = $1 AND hashtext(id::text) % 3 = 0 RETURNING id, org_id, unit_id, completed_at)
     INSERT INTO confirmations (id, org_id, obligation_id, contact_id, via, created_at)
     SELECT gen_random_uuid(), d.org_id, d.id, c.id, 'chat', d.completed_at FROM d JOIN contacts c ON c.unit_id = d.unit_id`,
    [orgId, now],
  );
  await env.pool.query(
    `UPDATE obligations SET status = 'waived', completed_at = $2 WHERE org_id = $1 AND status = 'open' AND hashtext(id::text) % 41 = 1`,
    [orgId, now],
  );
  await env.pool.query(
    `UPDATE obligations SET extended_to = due_at + interval '30 days' WHERE org_id = $1 AND status = 'open' AND hashtext(id::text) % 29 = 2`,
    [orgId],
  );
  await env.pool.query('ANALYZE');

  const password = 'mat-khau-bench-web-1';
  await createAdmin(env.db, orgId, { email: 'bench-web@dondoc.local', name: 'Bench', password }, 'bench');
  const config = {
    ...loadConfig({
      DATABASE_URL: env.url,
      REDIS_URL: env.redisUrl,
      REDIS_PREFIX: `${env.prefix}web`,
      LOG_LEVEL: 'silent',
      PORT: '0',
      DB_POOL_MAX: '20',
    }),
    SECRET_KEY: randomBytes(32).toString('base64url'),
  };
  const app = createApp(
    await buildDeps(
      { ...config, ROLES: ['web'] },
      {
        logger: createLogger({ level: 'silent' }),
        clock: systemClock,
        database: { pool: env.pool, db: env.db },
        channels: { sandbox: createSandboxChannel() },
      },
    ),
  );
  await app.start();
  try {
    const browser = new Browser(app.address()!);
    await browser.login('bench-web@dondoc.local', password);
    // The matrix shows MATRIX_PAGE_SIZE units a page (issue 16): every cell of its first page.
    const first = await browser.request('GET', '/admin/status');
    const cells = (first.text.match(/<a href=\/admin\/o\//g) ?? []).length;
    const perPage = Math.min(U, MATRIX_PAGE_SIZE);
    if (first.status !== 200 || cells !== perPage * D || !first.text.includes(`/${U} đơn vị đã hoàn thành`))
      throw new Error(`the matrix page: ${first.status}, ${cells} cells of ${perPage * D}`);
    const service = await timings(Math.min(N, 10), 2, () => statusMatrix(env.db, orgId, { year, now: new Date() }));
    const matrix = await timings(N, 3, () => browser.request('GET', '/admin/status', undefined, true));
    // The most overdue units first, on the last page: the sort and the paging over every unit.
    const pages = Math.ceil(U / MATRIX_PAGE_SIZE);
    const lastLate = `/admin/status?year=${year}&sort=late&page=${pages}`;
    const lateSorted = await timings(N, 3, () => browser.request('GET', lastLate, undefined, true));
    // The landing page (issue 16): the deadlines around today and the share done per plan and duty.
    const landing = await browser.request('GET', '/admin');
    if (landing.status !== 200 || !landing.text.includes('đơn vị chưa báo cáo'))
      throw new Error(`the summary page: ${landing.status}`);
    const summary = await timings(N, 3, () => browser.request('GET', '/admin', undefined, true));
    const summaryService = await timings(Math.min(N, 10), 2, () => orgSummary(env.db, orgId, new Date()));
    // The late list of the duty with the most late units (its first page).
    const lateDuty = /href="\/admin\/late\/([0-9a-f-]{36})"/.exec(landing.text)?.[1];
    const lateList = lateDuty
      ? await timings(N, 3, () => browser.request('GET', `/admin/late/${lateDuty}`, undefined, true))
      : null;
    const summaryP95 = percentile(summary, 95);
    const reference = await timings(N, 3, () => browser.request('GET', '/login', undefined, true));
    const p95 = percentile(matrix, 95);
    const label = `${U} units × ${D} duties`;
    return [
      {
        bench: 'web',
        figure: `matrix page p50 (${label}, ${perPage} units a page, ${round(first.bytes / 1024 / 1024, 2)} MB)`,
        value: round(percentile(matrix, 50), 1),
        unit: 'ms',
      },
      {
        bench: 'web',
        figure: `matrix page p95 (${N} sequential requests)`,
        value: round(p95, 1),
        unit: 'ms',
        target: '< 300 ms',
        ok: p95 < 300,
      },
      {
        bench: 'web',
        figure: `matrix page ${pages}/${pages} sorted by lateness p95`,
        value: round(percentile(lateSorted, 95), 1),
        unit: 'ms',
        target: '< 300 ms',
        ok: percentile(lateSorted, 95) < 300,
      },
      {
        bench: 'web',
        figure: 'matrix page, CPU time of server and client p50 (this process)',
        value: round(percentile(matrix.cpu, 50), 1),
        unit: 'ms',
      },
      {
        bench: 'web',
        figure: 'statusMatrix service alone p50 (SQL and aggregation)',
        value: round(percentile(service, 50), 1),
        unit: 'ms',
      },
      {
        bench: 'web',
        figure: 'statusMatrix service alone, CPU time p50 (without PostgreSQL’s)',
        value: round(percentile(service.cpu, 50), 1),
        unit: 'ms',
      },
      {
        bench: 'web',
        figure: `summary page p50 (${label}, ${round(landing.bytes / 1024, 0)} KB)`,
        value: round(percentile(summary, 50), 1),
        unit: 'ms',
      },
      {
        bench: 'web',
        figure: `summary page p95 (${N} sequential requests)`,
        value: round(summaryP95, 1),
        unit: 'ms',
        target: '< 300 ms',
        ok: summaryP95 < 300,
      },
      {
        bench: 'web',
        figure: 'orgSummary service alone p50 (SQL and aggregation)',
        value: round(percentile(summaryService, 50), 1),
        unit: 'ms',
      },
      ...(lateList
        ? [
            {
              bench: 'web',
              figure: 'late list of a duty p95 (first page)',
              value: round(percentile(lateList, 95), 1),
              unit: 'ms',
            },
          ]
        : []),
      {
        bench: 'web',
        figure: 'login page p50 (reference, same server)',
        value: round(percentile(reference, 50), 2),
        unit: 'ms',
      },
      { bench: 'web', figure: 'login page p95 (reference)', value: round(percentile(reference, 95), 2), unit: 'ms' },
      {
        bench: 'web',
        figure: 'ratio p50 matrix / p50 login page',
        value: round(percentile(matrix, 50) / percentile(reference, 50), 0),
        unit: '×',
      },
      {
        bench: 'web',
        figure: 'ratio p95 matrix / p95 login page',
        value: round(p95 / percentile(reference, 95), 0),
        unit: '×',
      },
    ];
  } finally {
    await app.stop();
    await dropPrefix(env.redisUrl, `${env.prefix}web`);
  }
}
