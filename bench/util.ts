import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

/**
 * CPU used by the processes a fan-out involves, from `start()` to `stop()` (ms): the worker, the
 * PostgreSQL backends serving the bench's database (those open at either end; one that opened and
 * closed in between is missed), this process (the Bot API test server and the bench's polling) and
 * the Redis server (the whole server, shared with whatever else runs on the machine).
 */
export function cpuMeter(db: { $queryRaw: Db['$queryRaw'] }, workerPid: number | undefined) {
  const backends = async () =>
    (
      await db.$queryRaw<{ pid: number }[]>`
      SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`
    ).map((r) => r.pid);
  const redisPid = () => {
    try {
      return Number(execFileSync('pidof', ['redis-server'], { encoding: 'utf8' }).trim().split(/\s+/)[0]) || undefined;
    } catch {
      return undefined;
    }
  };
  const snapshot = async () => {
    const pg = new Map((await backends()).map((pid) => [pid, cpuOf(pid)]));
    return { worker: cpuOf(workerPid), pg, self: process.cpuUsage(), redis: cpuOf(redisPid()) };
  };
  let first: Awaited<ReturnType<typeof snapshot>> | undefined;
  return {
    async start() {
      first = await snapshot();
    },
    async stop(): Promise<{ worker: number; postgres: number; bench: number; redis: number }> {
      const last = await snapshot();
      const a = first!;
      let postgres = 0;
      for (const [pid, ms] of last.pg) postgres += ms - (a.pg.get(pid) ?? 0);
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
