import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { readFileSync } from 'node:fs';
import type { Queue } from 'bullmq';
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
