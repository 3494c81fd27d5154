import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import type { Queue } from 'bullmq';
import type { Db } from '#root/db/client.js';
import type { ProgramProcess } from '../test/helpers/processes.js';

/** The p-th percentile (nearest rank) of `xs`; NaN when empty. */
export const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
export const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A full garbage collection of this process now, before a latency is measured: what an earlier
 * bench left (10,000 recorded calls of a closed test server) must not be collected in the middle of
 * the measurement by the process whose server timestamps it. (`gc` exposed at run time, as
 * benchmark harnesses do.)
 */
export function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** A size from the environment (`BENCH_…`), or its default. */
export function size(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number ≥ 0, not ${raw}`);
  return n;
}

/**
 * A process's resident set in MB, from /proc (Linux): `rss` now (VmRSS), `peak` the most it ever
 * had (VmHWM, the kernel's high-water mark: exact, no sampling). NaN where there is no /proc.
 */
export function memoryOf(pid: number | undefined): { rss: number; peak: number } {
  let status = '';
  try {
    if (pid !== undefined) status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    // The process is gone, or this is not Linux: NaN below.
  }
  const mb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) / 1024;
  return { rss: mb('VmRSS'), peak: mb('VmHWM') };
}

/** Waits until a worker process takes jobs from `queue` (its BullMQ worker is connected to Redis). */
export async function waitForWorker(queue: Queue, program: ProgramProcess, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while ((await queue.getWorkersCount()) === 0) {
    if (program.child.exitCode !== null || Date.now() > until)
      throw new Error(`the worker process did not start:\n${program.output()}`);
    await sleep(100);
  }
}

/** Stops a program started with `startProgram` (SIGTERM, then SIGKILL after 30 s) and waits for its exit. */
export async function stopProgram(program: ProgramProcess): Promise<void> {
  if (program.child.exitCode === null && program.child.signalCode === null) {
    program.child.kill('SIGTERM');
    const slow = setTimeout(() => program.child.kill('SIGKILL'), 30_000);
    await program.exited;
    clearTimeout(slow);
  }
}

/** CPU time (user + system, ms) a process has used so far, from /proc (Linux); 0 when it is gone. */
export function cpuOf(pid: number | undefined): number {
  try {
    if (pid === undefined) return 0;
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').at(-1)!.trim().split(/\s+/);
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

/** The Redis server's process id (the machine's), if it runs here. */
export function redisPid(): number | undefined {
  try {
    return Number(execFileSync('pidof', ['redis-server'], { encoding: 'utf8' }).trim().split(/\s+/)[0]) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * CPU used by the processes a fan-out involves, from `start()` to `stop()` (ms): the worker, the
 * PostgreSQL backends serving the bench's database (those open at either end; one that opened and
 * closed in between is missed), this process (the Bot API test server and the bench's polling) and
 * the Redis server (the whole server, shared with whatever else runs on the machine). The backend
 * running the meter's own query is among them: left out, it was whichever pool connection served
 * that query, a different one at each end, and a backend missing at the start is counted from its
 * birth — a seeding connection's whole life (0.35 ms per message of `pipeline`) was counted so.
 */
export function cpuMeter(db: { $queryRaw: Db['$queryRaw'] }, workerPid: number | undefined) {
  const backends = async () =>
    (
      await db.$queryRaw<{ pid: number }[]>`
      SELECT pid FROM pg_stat_activity WHERE datname = current_database()`
    ).map((r) => r.pid);
  const snapshot = async () => {
    const pg = new Map((await backends()).map((pid) => [pid, cpuOf(pid)]));
    return { worker: cpuOf(workerPid), pg, self: process.cpuUsage(), redis: cpuOf(redisPid()), cluster: clusterCpu() };
  };
  let first: Awaited<ReturnType<typeof snapshot>> | undefined;
  return {
    async start() {
      first = await snapshot();
      if (process.env.BENCH_PG_DETAIL) await db.$queryRaw`SELECT pg_stat_statements_reset()::text AS x`;
    },
    async stop(): Promise<{ worker: number; postgres: number; bench: number; redis: number }> {
      const last = await snapshot();
      const a = first!;
      let postgres = 0;
      for (const [pid, ms] of last.pg) postgres += ms - (a.pg.get(pid) ?? 0);
      if (process.env.BENCH_PG_DETAIL) {
        const c = last.cluster;
        console.error(
          `cluster CPU ms: total ${c.total - a.cluster.total}`,
          JSON.stringify([...c.by].map(([k, v]) => [k, v - (a.cluster.by.get(k) ?? 0)]).filter(([, v]) => v)),
        );
        await pgDetail(db, a.pg, last.pg);
      }
      const self = process.cpuUsage(a.self);
      return {
        worker: last.worker - a.worker,
        postgres,
        bench: (self.user + self.system) / 1000,
        redis: last.redis - a.redis,
      };
    },
  };
}

/**
 * BENCH_PG_DETAIL (a diagnostic): the backends' CPU by the process whose connection each serves
 * (the bench's, the worker's), and the statements of the window by total time. It needs a cluster
 * of one's own with `shared_preload_libraries = 'pg_stat_statements'`, the extension created in
 * `template1` (each bench database is made from it), and DATABASE_URL pointing at it.
 */
async function pgDetail(db: { $queryRaw: Db['$queryRaw'] }, a: Map<number, number>, b: Map<number, number>) {
  const rows = await db.$queryRaw<{ pid: number; port: number | null; type: string }[]>`
    SELECT pid, client_port AS port, backend_type AS type FROM pg_stat_activity
     WHERE datname = current_database()`;
  const owners = new Map<number, string>();
  for (const line of execFileSync('ss', ['-tnpH'], { encoding: 'utf8' }).split('\n')) {
    const m = /\S+\s+\S+\s+\S+\s+127\.0\.0\.1:(\d+)\s+\S+:(\d+)\s+users:\(\("([^"]+)",pid=(\d+)/.exec(line);
    if (m && m[3] !== 'postgres') owners.set(Number(m[1]), `${m[3]}:${m[4]}`);
  }
  const by = new Map<string, { ms: number; n: number; fresh: number }>();
  for (const r of rows) {
    const owner = r.port ? (owners.get(r.port) ?? `port ${r.port}`) : r.type;
    const ms = (b.get(r.pid) ?? cpuOf(r.pid)) - (a.get(r.pid) ?? 0);
    const x = by.get(owner) ?? { ms: 0, n: 0, fresh: 0 };
    x.ms += ms;
    x.n++;
    if (!a.has(r.pid)) x.fresh++;
    by.set(owner, x);
  }
  console.error(`backends by client process (bench pid ${process.pid}):`, JSON.stringify([...by]));
  const top = await db.$queryRaw<
    { q: string; calls: bigint; rows: bigint; exec: number; plan: number; plans: bigint }[]
  >`
    SELECT left(translate(query, chr(10), ' '), 110) AS q, calls, rows, total_exec_time AS exec,
           total_plan_time AS plan, plans
      FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
     ORDER BY total_exec_time + total_plan_time DESC LIMIT 25`;
  for (const t of top)
    console.error(
      `${t.exec.toFixed(0).padStart(6)} exec ${t.plan.toFixed(0).padStart(5)} plan ms ${String(t.calls).padStart(6)} calls ${String(t.plans).padStart(5)} plans ${String(t.rows).padStart(6)} rows  ${t.q}`,
    );
}

/**
 * BENCH_PG_POSTMASTER (a diagnostic): the CPU of a whole PostgreSQL cluster (ms), its postmaster and
 * every child, living or exited (their times are in the postmaster's cutime/cstime), by kind of process.
 */
function clusterCpu(): { total: number; by: Map<string, number> } {
  const pm = Number(process.env.BENCH_PG_POSTMASTER);
  const by = new Map<string, number>();
  if (!pm) return { total: 0, by };
  const fieldsOf = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').at(-1)!.trim().split(/\s+/);
  const f = fieldsOf(pm);
  let total = ((Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 1000) / 100;
  by.set('postmaster+exited', total);
  for (const d of readdirSync('/proc')) {
    const pid = Number(d);
    if (!pid) continue;
    try {
      const g = fieldsOf(pid);
      if (Number(g[1]) !== pm) continue;
      const ms = ((Number(g[11]) + Number(g[12])) * 1000) / 100;
      total += ms;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const kind = /postgres: (\w+ \w+|[a-z ]+?)(?: |$)/.exec(cmd)?.[1] ?? cmd;
      const key = /\d+\.\d+\.\d+\.\d+/.test(cmd) ? `backend ${pid}` : kind;
      by.set(key, (by.get(key) ?? 0) + ms);
    } catch {
      // gone meanwhile
    }
  }
  return { total, by };
}
