/**
 * Loaded into the bench's worker process (`node --import ./bench/worker-probe.mjs`, plain JS so that
 * it needs no loader) when BENCH_PROBE_FILE is set: how late the worker's event loop ran, and why.
 * The first SIGUSR2 starts a measurement, the second writes it to BENCH_PROBE_FILE as JSON:
 *
 * - `delay`: the event loop's delay (perf_hooks.monitorEventLoopDelay, 1 ms resolution), ms;
 * - `gaps`: stretches of more than GAP_MS between two ticks of a 5 ms timer, with what the main
 *   thread did meanwhile, from the kernel's /proc/thread-self/schedstat: `cpu`, time it ran (its own
 *   synchronous work: rendering, JSON, garbage collection), `queued`, time it was runnable but not
 *   scheduled (the machine was busy). Their sum is the gap when the thread never slept in between.
 * - `thread`: the same two totals over the whole measurement.
 * - `idle`: the same event-loop delay and totals in a thread of the worker that does nothing but
 *   wake every 5 ms: how soon the machine runs a thread of this process that has little to do (what
 *   a sender thread would see), against the main thread that has much.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setInterval } from 'node:timers';
import { Worker } from 'node:worker_threads';

const file = process.env.BENCH_PROBE_FILE;
const TICK_MS = 5;
const GAP_MS = 15;

/** The main thread's time on a CPU and waiting for one (ms), from the kernel. */
function sched() {
  try {
    const [run, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number);
    return { cpu: run / 1e6, queued: wait / 1e6 };
  } catch {
    return { cpu: NaN, queued: NaN };
  }
}

/** The idle thread: its event-loop delay and schedstat over a measurement, asked by message. */
const IDLE = `
const { parentPort } = require('node:worker_threads');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const { readFileSync } = require('node:fs');
const sched = () => {
  const [run, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number);
  return { cpu: run / 1e6, queued: wait / 1e6 };
};
const h = monitorEventLoopDelay({ resolution: 1 });
let first = sched();
setInterval(() => {}, 5);
parentPort.on('message', (m) => {
  if (m === 'start') {
    first = sched();
    h.reset();
    h.enable();
    return;
  }
  h.disable();
  const end = sched();
  const ms = (ns) => Math.round(ns / 1e4) / 100;
  parentPort.postMessage({
    delay: { p50: ms(h.percentile(50)), p90: ms(h.percentile(90)), p99: ms(h.percentile(99)), max: ms(h.max), mean: ms(h.mean) },
    thread: { cpu: Math.round(end.cpu - first.cpu), queued: Math.round(end.queued - first.queued) },
  });
});
`;

if (file) {
  const idle = new Worker(IDLE, { eval: true });
  idle.unref();
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let on = false;
  let started = 0;
  let first = sched();
  let gaps = [];
  let last = performance.now();
  let lastSched = sched();
  const timer = setInterval(() => {
    const t = performance.now();
    const s = sched();
    if (on && t - last > GAP_MS)
      gaps.push({
        at: Math.round(last - started),
        wall: t - last,
        cpu: s.cpu - lastSched.cpu,
        queued: s.queued - lastSched.queued,
      });
    last = t;
    lastSched = s;
  }, TICK_MS);
  timer.unref();
  process.on('SIGUSR2', () => {
    if (!on) {
      on = true;
      started = performance.now();
      first = sched();
      gaps = [];
      histogram.reset();
      histogram.enable();
      idle.postMessage('start');
      return;
    }
    on = false;
    histogram.disable();
    const end = sched();
    const ms = (ns) => Math.round(ns / 1e4) / 100;
    const sum = (k) => Math.round(gaps.reduce((a, g) => a + g[k], 0));
    const top = [...gaps].sort((a, b) => b.wall - a.wall).slice(0, 15);
    const wall = Math.round(performance.now() - started);
    idle.once('message', (idleStats) =>
      writeFileSync(
        file,
        JSON.stringify({
          idle: idleStats,
          wall,
          delay: {
            p50: ms(histogram.percentile(50)),
            p90: ms(histogram.percentile(90)),
            p99: ms(histogram.percentile(99)),
            max: ms(histogram.max),
            mean: ms(histogram.mean),
          },
          thread: { cpu: Math.round(end.cpu - first.cpu), queued: Math.round(end.queued - first.queued) },
          gaps: { count: gaps.length, wall: sum('wall'), cpu: sum('cpu'), queued: sum('queued') },
          top: top.map((g) => ({
            at: g.at,
            wall: Math.round(g.wall),
            cpu: Math.round(g.cpu),
            queued: Math.round(g.queued),
          })),
        }),
      ),
    );
    idle.postMessage('stop');
  });
}
