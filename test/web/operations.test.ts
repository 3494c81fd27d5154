import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchDue } from '#jobs/dispatch.js';
import { createAdmin } from '#root/services/admins.js';
import { nudge } from '#root/services/nudge.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { ensureOrganisation } from '#root/services/orgs.js';
import { browserAvailable, browserRequired, launchBrowser, screenshotPath } from '../helpers/browser.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { buildMiniOrg } from '../helpers/builders.js';
import { dueNextYear, wallClockStart } from '../helpers/clock.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startWebTest, type WebTest } from '../helpers/web.js';

/** One sample of a Prometheus text exposition, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? '').split(',').filter(Boolean);
    if (want.length === have.length && want.every((l) => have.includes(l))) return Number(m[3]);
  }
  return undefined;
}

/** A local port nobody listens on. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

const METRICS_TOKEN = 'metrics-token-known-to-the-test-0123456789';
const bearer = { authorization: `Bearer ${METRICS_TOKEN}` };

describe('operations: metrics and the queue dashboard', () => {
  let w: WebTest;
  beforeAll(async () => {
    w = await startWebTest({ env: { METRICS_TOKEN } });
    // The queue dashboard is for the deployment's operators: the test's administrator is one.
    await w.t.prisma.adminAccount.update({ where: { email: w.admin.email }, data: { operator: true } });
    // The web role has no worker: what is queued stays queued (two waiting, one delayed).
    const q = w.s.app.sendQueue();
    await q.add('send-reminder', { id: 'metrics-a' }, { jobId: 'reminder-metrics-a' });
    await q.add('send-reminder', { id: 'metrics-b' }, { jobId: 'reminder-metrics-b' });
    await q.add('send-reminder', { id: 'metrics-c' }, { jobId: 'reminder-metrics-c', delay: 3_600_000 });
  }, 60_000);
  afterAll(async () => w?.stop());

  describe('/metrics', () => {
    it('reports queue depths, open and overdue obligations as the database has them, and that both dependencies answer', async () => {
      // One obligation past due but extended into the future is not overdue.
      const now = w.s.clock.now();
      const past = await w.t.prisma.obligation.findFirstOrThrow({
        where: { orgId: w.orgId, status: 'open', dueAt: { lt: now } },
      });
      await w.t.prisma.obligation.update({
        where: { id: past.id },
        data: { extendedTo: new Date(now.getTime() + 7 * 86_400_000) },
      });

      const res = await w.newClient().request('GET', '/metrics', { headers: bearer });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      const open = await w.t.prisma.obligation.count({ where: { orgId: w.orgId, status: 'open', current: true } });
      const overdue = await w.t.prisma.obligation.count({
        where: {
          orgId: w.orgId,
          status: 'open',
          current: true,
          OR: [{ extendedTo: null, dueAt: { lt: now } }, { extendedTo: { lt: now } }],
        },
      });
      expect(overdue).toBeGreaterThan(100);
      expect(sample(res.text, 'dondoc_obligations_overdue', { org: 'hcm' })).toBe(overdue);
      expect(sample(res.text, 'dondoc_obligations_open', { org: 'hcm' })).toBe(open);
      expect(sample(res.text, 'dondoc_queue_jobs', { queue: 'reminders', state: 'waiting' })).toBe(2);
      expect(sample(res.text, 'dondoc_queue_jobs', { queue: 'reminders', state: 'delayed' })).toBe(1);
      expect(sample(res.text, 'dondoc_queue_jobs', { queue: 'reminders', state: 'active' })).toBe(0);
      expect(sample(res.text, 'dondoc_queue_jobs', { queue: 'maintenance', state: 'failed' })).toBe(0);
      expect(sample(res.text, 'dondoc_up', { dependency: 'postgres' })).toBe(1);
      expect(sample(res.text, 'dondoc_up', { dependency: 'redis' })).toBe(1);
      // The delivery counters are still there (their `kind` label is the reminder's stage).
      expect(res.text).toContain('# TYPE dondoc_reminders_sent_total counter');
    });

    it('answers only the bearer of METRICS_TOKEN, naming no organisation to anyone else', async () => {
      const c = w.newClient();
      for (const authorization of [
        undefined,
        'Bearer wrong-token',
        `Bearer ${METRICS_TOKEN}x`,
        `Basic ${METRICS_TOKEN}`,
        METRICS_TOKEN,
      ]) {
        const res = await c.request('GET', '/metrics', authorization ? { headers: { authorization } } : {});
        expect(res.status, String(authorization)).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect(res.text).not.toContain('dondoc_');
        expect(res.text).not.toContain('hcm');
      }
      // A logged-in administrator is no scraper either.
      expect((await w.client.get('/metrics')).status).toBe(401);
    });

    it("counts the process itself and each answer's duration by route pattern, never by path", async () => {
      const c = w.newClient();
      expect((await c.get('/healthz')).status).toBe(200);
      expect((await c.get('/readyz')).status).toBe(200);
      await c.get('/c/a-token-that-must-not-become-a-label');
      await c.get('/no-such-page-here');
      const { text } = await c.request('GET', '/metrics', { headers: bearer });
      // prom-client's defaults: CPU, memory, event loop lag.
      for (const name of [
        'process_cpu_user_seconds_total',
        'process_resident_memory_bytes',
        'nodejs_eventloop_lag_seconds',
      ])
        expect(sample(text, name), name).toBeGreaterThanOrEqual(0);
      const count = (route: string, status: string) =>
        sample(text, 'dondoc_http_request_duration_seconds_count', { method: 'GET', route, status });
      expect(count('/healthz', '2xx')).toBeGreaterThanOrEqual(1);
      expect(count('/readyz', '2xx')).toBeGreaterThanOrEqual(1);
      expect(count('/c/:token', '4xx')).toBeGreaterThanOrEqual(1);
      expect(count('unmatched', '4xx')).toBeGreaterThanOrEqual(1);
      expect(text).not.toContain('a-token-that-must-not-become-a-label');
      expect(text).not.toContain('no-such-page-here');
    });

    it('scrapes in a few milliseconds', async () => {
      const c = w.newClient();
      // Real elapsed time on purpose: the metrics' snapshot is kept one second of wall-clock time
      // (src/metrics.ts), and a scrape is timed here; waiting longer than that, never shorter, is
      // what makes each timed scrape a fresh one, however loaded the machine.
      await new Promise((r) => setTimeout(r, 1100));
      await c.request('GET', '/metrics', { headers: bearer });
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setTimeout(r, 1010)); // past the one-second snapshot
        const t0 = performance.now();
        expect((await c.request('GET', '/metrics', { headers: bearer })).status).toBe(200);
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      console.info(`metrics scrape: median ${times[2]!.toFixed(1)} ms, max ${times[4]!.toFixed(1)} ms`);
      expect(times[2]).toBeLessThan(250);
    }, 20_000);
  });

  describe('the queue dashboard (bull-board)', () => {
    it('is for operators only: an ordinary administrator gets 403, its API and assets too, and no menu link', async () => {
      const email = 'thuong@sotttt.example.vn';
      const password = 'quản trị thường, không vận hành';
      await createAdmin(w.t.prisma, w.orgId, { email, password }, 'test');
      const c = w.newClient();
      expect((await c.login(email, password)).status).toBe(303);
      const status = await c.get('/admin');
      expect(status.status).toBe(200);
      expect(status.text).not.toContain('href="/admin/queues"');
      for (const path of [
        '/admin/queues',
        '/admin/queues/queue/reminders',
        '/admin/queues/api/queues?activeQueue=reminders&status=latest&page=1',
        '/admin/queues/static/favicon-32x32.png',
      ]) {
        const res = await c.get(path);
        expect(res.status, path).toBe(403);
        expect(res.text).not.toContain('reminder-metrics-');
      }
      expect((await c.get('/admin/queues')).text).toContain('Chỉ dành cho người vận hành');
      // The operator sees the link.
      expect((await w.client.get('/admin')).text).toContain('href="/admin/queues"');
    });

    it('sends a visitor without a session to the login page, its assets and API too', async () => {
      const c = w.newClient();
      for (const path of ['/admin/queues', '/admin/queues/api/queues', '/admin/queues/static/favicon-32x32.png']) {
        const res = await c.get(path);
        expect(res.status).toBe(303);
        expect(res.location).toBe(`/login?next=${encodeURIComponent(path)}`);
      }
    });

    it('renders the board for an administrator, with its scripts from this site under a strict policy', async () => {
      const page = await w.client.get('/admin/queues');
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(page.text).toContain('<base href="/admin/queues/"');
      expect(page.text).toContain('__UI_CONFIG__');
      expect(page.text).toContain('dondoc – Hàng đợi');
      const csp = page.headers.get('content-security-policy')!;
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("connect-src 'self'");
      expect(page.headers.get('cache-control')).toBe('no-store');
      const scripts = [...page.text.matchAll(/<script defer src="([^"]+)"/g)].map((m) => m[1]!);
      expect(scripts.length).toBeGreaterThan(0);
      for (const src of scripts) {
        const js = await w.client.get(`/admin/queues/${src}`);
        expect(js.status).toBe(200);
        expect(js.headers.get('content-type')).toMatch(/javascript/);
      }
      const css = /<link href="(static\/css\/[^"]+)"/.exec(page.text)![1]!;
      expect((await w.client.get(`/admin/queues/${css}`)).status).toBe(200);
      // Deep links of the single-page app render the same page.
      expect((await w.client.get('/admin/queues/queue/reminders')).status).toBe(200);

      const api = await w.client.get('/admin/queues/api/queues?activeQueue=reminders&status=latest&page=1');
      expect(api.status).toBe(200);
      const body = JSON.parse(api.text) as {
        queues: { name: string; readOnlyMode: boolean; counts: Record<string, number> }[];
      };
      expect(body.queues.map((q) => q.name).sort()).toEqual(['maintenance', 'reminders']);
      expect(body.queues.every((q) => q.readOnlyMode)).toBe(true);
      expect(body.queues.find((q) => q.name === 'reminders')!.counts.delayed).toBe(1);
    });

    it.runIf(browserAvailable || browserRequired)(
      'draws the board in a browser under its content security policy, without buttons that act',
      async () => {
        const browser = await launchBrowser();
        try {
          const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
          await context.addCookies([...w.client.cookies].map(([name, value]) => ({ name, value, url: w.base })));
          const page = await context.newPage();
          const violations: string[] = [];
          page.on('console', (m) => {
            if (m.type() === 'error') violations.push(m.text());
          });
          await page.goto(`${w.base}/admin/queues/queue/reminders?status=delayed`);
          await expect.poll(() => page.textContent('body'), { timeout: 15_000 }).toContain('reminder-metrics-c');
          expect(await page.textContent('body')).toContain('maintenance');
          await page.screenshot({ path: screenshotPath('bull-board'), fullPage: true });
          // The only thing refused is the board's Google Fonts stylesheet.
          expect(violations.filter((v) => !/fonts\.googleapis\.com/.test(v))).toEqual([]);
          // Read-only: no retry, promote, clean or pause buttons.
          for (const label of ['Promote', 'Retry', 'Clean', 'Pause', 'Empty'])
            expect(await page.getByRole('button', { name: new RegExp(`^${label}`, 'i') }).count()).toBe(0);
        } finally {
          await browser.close();
        }
      },
      40_000,
    );

    it('changes nothing from the board: refused without the CSRF token, and read-only with it', async () => {
      const q = w.s.app.sendQueue();
      const json = { 'content-type': 'application/json' };
      const withoutToken = await w.client.request('PUT', '/admin/queues/api/queues/reminders/promote', {
        body: '{}',
        headers: json,
      });
      expect(withoutToken.status).toBe(403);
      const pause = await w.client.request('PUT', '/admin/queues/api/queues/reminders/pause', {
        body: '{}',
        headers: json,
      });
      expect(pause.status).toBe(403);
      const withToken = await w.client.request('PUT', '/admin/queues/api/queues/reminders/promote', {
        body: '{}',
        headers: { ...json, 'x-csrf-token': w.client.csrf },
      });
      expect(withToken.status).toBe(405);
      const clean = await w.client.request('PUT', '/admin/queues/api/queues/reminders/clean/delayed', {
        body: '{}',
        headers: { ...json, 'x-csrf-token': w.client.csrf },
      });
      expect(clean.status).toBe(405);
      expect(await q.getJobCounts('delayed', 'waiting')).toEqual({ delayed: 1, waiting: 2 });
      expect(await q.isPaused()).toBe(false);
    });
  });
});

describe('/metrics while Redis is unreachable', () => {
  let t: TestDatabase;
  let s: TestApp;
  beforeAll(async () => {
    t = await createTestDatabase();
    await ensureOrganisation(t.prisma, { code: 'hcm', name: 'Sở TT&TT', timeZone: 'Asia/Ho_Chi_Minh' }, 'test');
    s = await startTestApp(t, {
      start: new Date('2026-11-16T02:00:00Z'),
      roles: ['web'],
      env: { METRICS_TOKEN, REDIS_URL: `redis://127.0.0.1:${await closedPort()}` },
    });
  }, 30_000);
  afterAll(async () => {
    // Not s.stop(): it would clean keys in the Redis that is not there.
    await s?.app.stop();
    await t?.close();
  });

  it('still answers, within the dependency timeout, saying Redis is down and PostgreSQL up', async () => {
    const base = s.app.address()!;
    const scrape = async () => {
      const t0 = performance.now();
      const res = await fetch(new URL('/metrics', base), { headers: bearer });
      return { status: res.status, text: await res.text(), ms: performance.now() - t0 };
    };
    // The first scrape of a fresh process (Prisma's first query is slow) answers all the same.
    const first = await scrape();
    expect(first.status).toBe(200);
    expect(first.ms).toBeLessThan(2500);
    expect(sample(first.text, 'dondoc_up', { dependency: 'redis' })).toBe(0);
    // Past the one-second snapshot (wall-clock time, see src/metrics.ts): a fresh scrape.
    await new Promise((r) => setTimeout(r, 1010));
    const res = await scrape();
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(500);
    expect(sample(res.text, 'dondoc_up', { dependency: 'redis' })).toBe(0);
    expect(sample(res.text, 'dondoc_up', { dependency: 'postgres' })).toBe(1);
    expect(sample(res.text, 'dondoc_obligations_overdue', { org: 'hcm' })).toBe(0);
    expect(res.text).not.toMatch(/^dondoc_queue_jobs\{/m);
    expect(res.text).toContain('# TYPE dondoc_reminders_sent_total counter');
  });

  it('is alive (/healthz 200) but not ready (/readyz 503, naming Redis) within the dependency timeout', async () => {
    const base = s.app.address()!;
    const live = await fetch(new URL('/healthz', base));
    expect(live.status).toBe(200);
    expect(await live.json()).toMatchObject({ status: 'ok' });
    const t0 = performance.now();
    const ready = await fetch(new URL('/readyz', base));
    expect(performance.now() - t0).toBeLessThan(2_500);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ postgres: 'ok', redis: 'down' });
  });
});

// A worker on a host of its own counts what it sends; Prometheus scrapes it on METRICS_PORT.
describe('metrics of a process without the web role', () => {
  let t: TestDatabase;
  let s: TestApp;
  beforeAll(async () => {
    t = await createTestDatabase();
    // A worker on BullMQ's real time: the test's clock starts at it.
    s = await startTestApp(t, { start: wallClockStart(), roles: ['worker'], env: { METRICS_PORT: '0' } });
  });
  afterAll(async () => {
    await s?.stop();
    await t?.close();
  });

  it('serves its own counters at /metrics, on this machine only, and nothing else', async () => {
    expect(s.app.address()).toBeNull();
    // The address it is bound to (METRICS_HOST's default), not every interface.
    const base = s.app.metricsAddress()!;
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const now = s.clock.now();
    const next = dueNextYear(now);
    const mini = await buildMiniOrg(t.prisma, {
      code: 'metrics-worker',
      units: 1,
      duties: [{ code: 'A', due: next.due }],
      now,
    });
    await reconcileObligations(t.prisma, mini.org.id, next.window, now);
    expect(
      (await nudge(t.prisma, mini.org.id, { unitId: mini.contacts[0]!.unitId, dutyCode: 'A', actor: 'test', now }))
        .reminders,
    ).toBe(1);
    await dispatchDue(t.prisma, s.app.sendQueue(), mini.org.id, now, 0);
    await expect
      .poll(
        async () => {
          const text = await (await fetch(`${base}/metrics`)).text();
          return [...text.matchAll(/^dondoc_reminders_sent_total\{[^}]*channel="sandbox"[^}]*\} (\d+)$/gm)].reduce(
            (n, m) => n + Number(m[1]),
            0,
          );
        },
        { timeout: 15_000 },
      )
      .toBe(1);
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect((await fetch(`${base}/admin`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(404);
  });
});

// Without METRICS_TOKEN the metrics are not on the web port at all; METRICS_PORT serves them, the
// web role's gauges included, on an address of their own.
describe('metrics of the web role without METRICS_TOKEN', () => {
  let t: TestDatabase;
  let s: TestApp;
  beforeAll(async () => {
    t = await createTestDatabase();
    await ensureOrganisation(t.prisma, { code: 'hcm', name: 'Sở TT&TT', timeZone: 'Asia/Ho_Chi_Minh' }, 'test');
    s = await startTestApp(t, { start: new Date('2026-11-16T02:00:00Z'), roles: ['web'], env: { METRICS_PORT: '0' } });
  }, 30_000);
  afterAll(async () => {
    await s?.stop();
    await t?.close();
  });

  it('answers 404 at /metrics on the web port, and serves them on METRICS_PORT at 127.0.0.1', async () => {
    const web = await fetch(new URL('/metrics', s.app.address()!));
    expect(web.status).toBe(404);
    expect(await web.text()).not.toContain('dondoc_obligations');
    const base = s.app.metricsAddress()!;
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(sample(text, 'dondoc_obligations_open', { org: 'hcm' })).toBe(0);
    expect(sample(text, 'dondoc_up', { dependency: 'postgres' })).toBe(1);
  });
});

describe('metrics on METRICS_PORT with METRICS_TOKEN', () => {
  let t: TestDatabase;
  let s: TestApp;
  beforeAll(async () => {
    t = await createTestDatabase();
    s = await startTestApp(t, {
      start: wallClockStart(),
      roles: ['worker'],
      env: { METRICS_PORT: '0', METRICS_TOKEN },
    });
  });
  afterAll(async () => {
    await s?.stop();
    await t?.close();
  });

  it('asks for the token there too', async () => {
    const base = s.app.metricsAddress()!;
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    const res = await fetch(`${base}/metrics`, { headers: bearer });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('# TYPE dondoc_reminders_sent_total counter');
  });
});
