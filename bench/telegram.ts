import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { dispatchDue } from '#jobs/dispatch.js';
import { createApp, type App } from '#root/app.js';
import { buildDeps } from '#root/composition.js';
import { processTelegramLimiter } from '#root/channels/telegram/limiter.js';
import { createTelegramChannel } from '#root/channels/telegram/index.js';
import { loadConfig } from '#root/config.js';
import { systemClock } from '#root/deps.js';
import { createLogger } from '#root/logger.js';
import { reconcileObligations } from '#root/services/obligations.js';
import { buildMiniOrg } from '../test/helpers/builders.js';
import { dueNextYear } from '../test/helpers/clock.js';
import { startFakeTelegram, type FakeTelegram, type SentMessage } from '../test/helpers/telegram-server.js';
import { startProgram, type ProgramProcess } from '../test/helpers/processes.js';
import { dropPrefix, type BenchEnv } from './env.js';
import type { Figure } from './run.js';
import {
  collectGarbage,
  cpuMeter,
  memoryOf,
  percentile,
  round,
  size,
  sleep,
  stopProgram,
  waitForWorker,
} from './util.js';

export const TOKEN = '123456:TEST-token_abcdefghijklmnop';
/** Telegram's budget per bot: the reference the delivery rate is measured against. */
const TELEGRAM_PER_SECOND = 30;
/** The ceiling for a worker process's peak resident set during the fan-out. */
const WORKER_PEAK_RSS_MB = 300;

type Keyboard = { inline_keyboard: { text: string; callback_data?: string }[][] };
const doneButton = (m: SentMessage) =>
  ((m.reply_markup as Keyboard | undefined)?.inline_keyboard ?? []).flat().find((b) => b.text.startsWith('✅'));

/**
 * An organisation of `chats` units, one contact each linked to its own private chat (ids from
 * `firstChat`), `perChat` duties; one reminder per obligation (`perChat` per contact), due now, in
 * one nudge: each contact's reminders go out as one message (one bundle per contact). The rows are
 * interleaved across the chats (row i goes to chat i % chats and is scheduled i ms after the first).
 */
export async function seedTelegram(env: BenchEnv, code: string, chats: number, perChat: number, firstChat: number) {
  const now = new Date();
  // Due next year, whatever day the bench runs.
  const next = dueNextYear(now);
  const mini = await buildMiniOrg(env.db, {
    code,
    units: chats,
    duties: Array.from({ length: perChat }, (_, i) => ({ code: `D${i + 1}`, due: next.due })),
    channels: ['telegram'],
    now,
  });
  const orgId = mini.org.id;
  await env.db.$executeRaw`
    UPDATE contacts c SET telegram_chat_id = ${firstChat} + x.n
      FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM contacts WHERE org_id = ${orgId}::uuid) x
     WHERE c.id = x.id`;
  await reconcileObligations(env.db, orgId, next.window, now);
  const obligations = await env.db.obligation.findMany({
    where: { orgId },
    include: { unit: { include: { contacts: true } }, duty: true },
    orderBy: [{ duty: { position: 'asc' } }, { unitId: 'asc' }],
  });
  if (obligations.length !== chats * perChat)
    throw new Error(`expected ${chats * perChat} obligations, got ${obligations.length}`);
  const base = now.getTime() - chats * perChat - 1_000;
  const rows = obligations.map((o, i) => ({
    orgId,
    obligationId: o.id,
    contactId: o.unit.contacts[0]!.id,
    channel: 'telegram' as const,
    kind: 'overdue' as const,
    stage: `nudge-bench@${next.stageDay}`,
    scheduledAt: new Date(base + i),
  }));
  for (let i = 0; i < rows.length; i += 2_000) await env.db.reminder.createMany({ data: rows.slice(i, i + 2_000) });
  const contacts = await env.db.contact.findMany({ where: { orgId }, select: { id: true, telegramChatId: true } });
  return { orgId, contacts };
}

export async function startWorkerApp(
  env: BenchEnv,
  fake: FakeTelegram,
  prefix: string,
  roles: 'worker'[],
): Promise<App> {
  const config = {
    ...loadConfig({
      DATABASE_URL: env.url,
      REDIS_URL: env.redisUrl,
      REDIS_PREFIX: prefix,
      LOG_LEVEL: 'silent',
      WORKER_CONCURRENCY: process.env.WORKER_CONCURRENCY ?? '',
      DB_POOL_MAX: '20',
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_API_ROOT: fake.apiRoot,
    }),
    SECRET_KEY: randomBytes(32).toString('base64url'),
  };
  return createApp(
    await buildDeps(
      { ...config, ROLES: roles },
      {
        logger: createLogger({ level: 'silent' }),
        clock: systemClock,
        database: { pool: env.pool, db: env.db },
        channels: { telegram: createTelegramChannel({ token: TOKEN, apiRoot: fake.apiRoot }) },
        telegramLimiter: processTelegramLimiter(config.TELEGRAM_LIMITS),
      },
    ),
  );
}

/**
 * The real program with the worker role only, as its own process (`node --import tsx src/main.ts`,
 * so that the child's pid is the worker's), sending through `fake`. `BENCH_WORKER_NODE_ARGS` adds
 * options to its node (e.g. `--max-old-space-size=256`).
 */
export function startWorkerProcess(
  env: BenchEnv,
  fake: FakeTelegram,
  prefix: string,
  extra: Record<string, string> = {},
  nodeArgs: string[] = [],
): ProgramProcess {
  return startProgram(
    {
      DATABASE_URL: env.url,
      REDIS_URL: env.redisUrl,
      REDIS_PREFIX: prefix,
      ROLES: 'worker',
      LOG_LEVEL: 'warn',
      DB_POOL_MAX: '20',
      WORKER_CONCURRENCY: process.env.WORKER_CONCURRENCY ?? '',
      TELEGRAM_BOT_TOKEN: TOKEN,
      TELEGRAM_API_ROOT: fake.apiRoot,
      STORAGE_DIR: path.join(tmpdir(), `${prefix}-storage`),
      ...extra,
    },
    { nodeArgs: [...(process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? []), ...nodeArgs] },
  );
}

async function waitUntil(check: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(what());
    await sleep(50);
  }
}

/** How often {@link waitSent} counts once the last messages may be being recorded (ms). */
const FINE_POLL_MS = 5;

/**
 * Waits until `messages` bundles of the organisation are recorded sent (or `timeoutMs` passed), then
 * returns how many of its items (reminders) are, and when (`performance.now()`) the count first saw
 * them all: the end of a fan-out, before the count of the items. A bundle and its items are recorded
 * sent by one statement, so the bundles tell when every item is; they are polled rather than the
 * items (five times fewer rows per poll: the poll's own cost is counted in the PostgreSQL figure of
 * `pipeline`). Every `everyMs`, and every {@link FINE_POLL_MS} once `settled` says the last messages
 * may be being recorded (the Bot API test server has answered them all): the end is then seen
 * within a few ms of the last record, not up to `everyMs` after it.
 */
export async function waitSent(
  env: BenchEnv,
  orgId: string,
  messages: number,
  timeoutMs: number,
  everyMs = 200,
  settled?: () => boolean,
): Promise<{ items: number; at: number }> {
  const until = Date.now() + timeoutMs;
  let at: number;
  for (;;) {
    const sent = await env.db.bundle.count({ where: { orgId, status: 'sent' } });
    at = performance.now();
    if (sent >= messages || Date.now() > until) break;
    if (!settled) {
      await sleep(everyMs);
      continue;
    }
    // Looked at in this process (no query) every few ms until the next count is due.
    const next = at + everyMs;
    do await sleep(FINE_POLL_MS);
    while (performance.now() < next && !settled());
  }
  return { items: await env.db.reminder.count({ where: { orgId, status: 'sent' } }), at };
}

/**
 * Whether the Bot API test server has answered `n` sendMessage calls with 200, reading the calls
 * that came since the last look (those answered, in order of arrival: one still unanswered is
 * read again at the next look).
 */
function answered(fake: FakeTelegram, n: number): () => boolean {
  let scanned = 0;
  let ok = 0;
  return () => {
    for (; scanned < fake.calls.length && ok < n; scanned++) {
      const c = fake.calls[scanned]!;
      if (c.status === 0) break;
      if (c.method === 'sendMessage' && c.status === 200) ok++;
    }
    return ok >= n;
  };
}

/** What a fan-out measured: the test server (still running, for counting its calls), deliveries and the worker's memory. */
export interface FanOut {
  fake: FakeTelegram;
  /** The organisation seeded for the fan-out (its bundles and items are all sent by then). */
  orgId: string;
  /** Items (reminders) sent, of `chats × perChat`. */
  sent: number;
  /** Messages (one per contact) delivered per second, from the dispatch to the last item sent. */
  rate: number;
  /** Messages beyond one per contact. */
  duplicates: number;
  /** Items not sent. */
  losses: number;
  /** Items that reached their chat more than once, or not at all (by their ✅ buttons). */
  itemDuplicates: number;
  itemsMissing: number;
  /** The worker process once started and idle, and at the end (MB). */
  idle: { rss: number; peak: number };
  peak: number;
  /**
   * Where the time went (ms, the server's clock): from the dispatch to the first sendMessage the
   * server received (start-up; `dispatch`: until `dispatchDue` returned), from it to the last
   * one (sending), from that to the last item recorded sent (tail).
   */
  phases: { dispatch: number; startup: number; sending: number; tail: number };
  /** The machine's load average (1 min) at the start and at the end of the fan-out. */
  load: [number, number];
  /**
   * CPU (ms) each part used from the dispatch to the last item recorded (see {@link cpuMeter});
   * `dispatch`: the bench process's own while `dispatchDue` ran (a part of `bench`).
   */
  cpu: { worker: number; postgres: number; bench: number; redis: number; dispatch: number };
  /** How late the limiter learnt of each answer (see {@link watchLimiter}), when watched. */
  slack?: LimiterSlack;
  /** The worker's event loop and main thread (BENCH_TELEGRAM_PROBE, see bench/worker-probe.mjs). */
  probe?: WorkerProbe;
  /** This process's event loop (the Bot API test server's), ms, when measured (`benchLoop`). */
  benchDelay?: { p50: number; p99: number; max: number };
}

/** What bench/worker-probe.mjs measured in the worker over the fan-out. */
export interface WorkerProbe {
  wall: number;
  idle: { delay: WorkerProbe['delay']; thread: WorkerProbe['thread'] };
  delay: { p50: number; p90: number; p99: number; max: number; mean: number };
  thread: { cpu: number; queued: number };
  gaps: { count: number; wall: number; cpu: number; queued: number };
  top: { at: number; wall: number; cpu: number; queued: number }[];
}

const PROBE = new URL('./worker-probe.mjs', import.meta.url).href;

/**
 * Per sendMessage answered 200, by Redis's clock (the bench's too: one machine): `answer`, from
 * when the server received the request to when the worker's limiter counted it answered (its
 * `answered` script reached Redis) — what the pacing rule pays for, since a request counts until a
 * second after its answer; `travel`, from the limiter letting it leave (its last `depart` script)
 * to the server receiving it. Percentiles in ms.
 */
export interface LimiterSlack {
  answer: { p50: number; p95: number; mean: number };
  travel: { p50: number; p95: number; mean: number };
  /** From a send's slot reserved (`acquire`, before its claim) to its first `depart` script. */
  toDepart: { p50: number; p95: number; mean: number };
  /** From its first `depart` script to the one that let it leave: held back by the window. */
  held: { p50: number; p95: number; mean: number };
  /** `depart` scripts run, in all (one per request not held back). */
  departs: number;
  /** Requests matched (of the sendMessage calls answered 200). */
  matched: number;
}

/**
 * Watches the limiter's scripts in Redis (MONITOR: every command with the instant Redis received
 * it) under `prefix`: per chat, when its request was let leave (`depart`, 5 keys) and when its
 * answer was counted (`answered`, 2 keys). Each chat of the fan-out gets one message, so the chat
 * names the request.
 */
async function watchLimiter(redisUrl: string, prefix: string) {
  // MONITOR on a plain socket (ioredis's monitor mode trips on the commands a script runs, which
  // Redis 7 shows too): one line a command, `+<seconds.micros> [<db> <client>] "<arg>" …`.
  const url = new URL(redisUrl);
  const socket = net.connect(Number(url.port || 6379), url.hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => undefined);
  if (url.password) socket.write(`AUTH ${decodeURIComponent(url.password)}\r\n`);
  socket.write('MONITOR\r\n');
  const reserved = new Map<string, number>();
  const firstDepart = new Map<string, number>();
  const departed = new Map<string, number>();
  const answered = new Map<string, number>();
  let departs = 0;
  const chatOf = (key: string) => /:chat:(-?\d+)(?::sent)?$/.exec(key)?.[1];
  const onCommand = (time: string, args: string[]) => {
    if (args[0]?.toLowerCase() !== 'evalsha' || !args[3]?.startsWith(`${prefix}:tg-limits:`)) return;
    const at = Number(time) * 1_000;
    if (args[2] === '3' && args[3].endsWith(':slots')) {
      const chat = chatOf(args[5] ?? '');
      if (chat && !reserved.has(chat)) reserved.set(chat, at);
    } else if (args[2] === '5' || args[2] === '6') {
      const chat = chatOf(args[5] ?? '');
      if (!chat) return;
      departs++;
      departed.set(chat, at);
      if (!firstDepart.has(chat)) firstDepart.set(chat, at);
    } else if (args[2] === '2') {
      const chat = chatOf(args[4] ?? '');
      if (!chat || answered.has(chat)) return;
      // Counted as answered when the script came, or `elapsed` (its 2nd argument, when it has one)
      // after the request was let leave, whichever is earlier.
      const elapsed = Number(args[6]);
      const left = departed.get(chat);
      answered.set(chat, left !== undefined && Number.isFinite(elapsed) ? Math.min(at, left + elapsed) : at);
    }
  };
  let rest = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\r\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      // Commands of clients only, not those a script runs (`[0 lua]`).
      const m = /^\+(\d+\.\d+) \[\d+ [^\]l][^\]]*\] (.*)$/.exec(line);
      if (!m) continue;
      const args = [...m[2]!.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((a) => a[1]!);
      onCommand(m[1]!, args);
    }
  });
  const stats = (xs: number[]) => ({
    p50: round(percentile(xs, 50), 1),
    p95: round(percentile(xs, 95), 1),
    mean: round(xs.reduce((a, x) => a + x, 0) / Math.max(1, xs.length), 1),
  });
  return {
    async stop(calls: FakeTelegram['calls']): Promise<LimiterSlack> {
      socket.destroy();
      const answer: number[] = [];
      const travel: number[] = [];
      const toDepart: number[] = [];
      const held: number[] = [];
      for (const c of calls) {
        if (c.method !== 'sendMessage' || c.status !== 200 || c.chatId === undefined) continue;
        const a = answered.get(c.chatId);
        const d = departed.get(c.chatId);
        if (a === undefined || d === undefined) continue;
        answer.push(a - c.at);
        travel.push(c.at - d);
        const r = reserved.get(c.chatId);
        const f = firstDepart.get(c.chatId)!;
        if (r !== undefined) toDepart.push(f - r);
        held.push(d - f);
      }
      return {
        answer: stats(answer),
        travel: stats(travel),
        toDepart: stats(toDepart),
        held: stats(held),
        departs,
        matched: answer.length,
      };
    },
  };
}

/**
 * `n` processes that burn a CPU each (a tight loop), to run a bench on a busy machine; `stop` ends
 * them. They run at the machine's normal priority, as other work would.
 */
export function burnCpu(n: number): { stop(): Promise<void> } {
  const children: ChildProcess[] = Array.from({ length: n }, () =>
    spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
  );
  return {
    async stop() {
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              c.once('exit', () => resolve());
              c.kill('SIGKILL');
            }),
        ),
      );
    },
  };
}

/**
 * `chats` contacts with `perChat` reminders each (one message per contact) due now, delivered by a
 * worker process of its own through a fresh Bot API test server (its limits and the worker's
 * TELEGRAM_LIMITS both `limits`). `after` reads the result while the test server still runs;
 * everything is stopped and cleaned up afterwards.
 */
export async function fanOut<T>(
  env: BenchEnv,
  o: {
    tag: string;
    limits: boolean;
    chats: number;
    perChat: number;
    firstChat: number;
    timeoutMs: number;
    everyMs?: number;
    /** CPU-burning processes running beside the fan-out, from the dispatch to the last item sent. */
    burners?: number;
    /** Watch the limiter's scripts in Redis (see {@link watchLimiter}). */
    watch?: boolean;
    /**
     * Measure this process's event-loop delay (a 1 ms timer: about 2 % of a core and a thousand
     * wake-ups a second, taken from what it measures): only for the runs that report it.
     */
    benchLoop?: boolean;
  },
  after: (r: FanOut) => Promise<T>,
): Promise<T> {
  const n = o.chats * o.perChat;
  const prefix = `${env.prefix}-${o.tag}`;
  const fake = await startFakeTelegram({ limits: o.limits });
  const { orgId } = await seedTelegram(env, `bench-${o.tag}`, o.chats, o.perChat, o.firstChat);
  const queueOnly = await startWorkerApp(env, fake, prefix, []);
  const probeFile = process.env.BENCH_TELEGRAM_PROBE ? path.join(tmpdir(), `${prefix}-probe.json`) : undefined;
  const worker = startWorkerProcess(
    env,
    fake,
    prefix,
    { TELEGRAM_LIMITS: o.limits ? 'on' : 'off', ...(probeFile ? { BENCH_PROBE_FILE: probeFile } : {}) },
    probeFile ? ['--import', PROBE] : [],
  );
  let burners: ReturnType<typeof burnCpu> | undefined;
  try {
    await waitForWorker(queueOnly.sendQueue(), worker);
    const idle = memoryOf(worker.child.pid);
    const watch = o.watch ? await watchLimiter(env.redisUrl, prefix) : undefined;
    if (o.burners) {
      burners = burnCpu(o.burners);
      // Until the machine is busy: the load average follows within seconds.
      await sleep(5_000);
    }
    const loadBefore = loadavg()[0]!;
    const meter = cpuMeter(env.db, worker.child.pid);
    await meter.start();
    const benchLoop = o.benchLoop ? monitorEventLoopDelay({ resolution: 1 }) : undefined;
    benchLoop?.enable();
    if (probeFile) worker.child.kill('SIGUSR2');
    const t0 = performance.now();
    const start = Date.now();
    const cpuBefore = process.cpuUsage();
    await dispatchDue(env.db, queueOnly.sendQueue(), orgId, new Date(), 0);
    const dispatched = Date.now();
    const dispatchCpu = process.cpuUsage(cpuBefore);
    const { items: sent, at } = await waitSent(env, orgId, o.chats, o.timeoutMs, o.everyMs, answered(fake, o.chats));
    const rate = o.chats / ((at - t0) / 1000);
    // The same instant on the wall clock the test server's calls are timed on.
    const end = start + (at - t0);
    benchLoop?.disable();
    const ms = (ns: number) => round(ns / 1e6, 1);
    const benchDelay = benchLoop && {
      p50: ms(benchLoop.percentile(50)),
      p99: ms(benchLoop.percentile(99)),
      max: ms(benchLoop.max),
    };
    let probe: WorkerProbe | undefined;
    if (probeFile) {
      worker.child.kill('SIGUSR2');
      await waitUntil(
        () => {
          try {
            probe = JSON.parse(readFileSync(probeFile, 'utf8')) as WorkerProbe;
            return true;
          } catch {
            return false;
          }
        },
        30_000,
        () => 'the worker probe wrote nothing',
      );
    }
    const cpu = { ...(await meter.stop()), dispatch: (dispatchCpu.user + dispatchCpu.system) / 1000 };
    const load: [number, number] = [loadBefore, loadavg()[0]!];
    await burners?.stop();
    const { peak } = memoryOf(worker.child.pid);
    await stopProgram(worker);
    const sends = fake.calls.filter((c) => c.method === 'sendMessage');
    const first = sends[0]?.at ?? end;
    const last = sends.at(-1)?.at ?? end;
    const phases = { dispatch: dispatched - start, startup: first - start, sending: last - first, tail: end - last };
    const slack = await watch?.stop(fake.calls);
    // Each item by its ✅ button, in its chat: delivered once, in one message.
    const times = new Map<string, number>();
    for (const m of fake.sent())
      for (const b of ((m.reply_markup as Keyboard | undefined)?.inline_keyboard ?? []).flat())
        if (b.text.startsWith('✅') && b.callback_data)
          times.set(`${m.chat.id}|${b.callback_data}`, (times.get(`${m.chat.id}|${b.callback_data}`) ?? 0) + 1);
    return await after({
      fake,
      orgId,
      sent,
      rate,
      duplicates: Math.max(0, fake.sent().length - o.chats),
      losses: n - sent,
      itemDuplicates: [...times.values()].reduce((a, k) => a + k - 1, 0),
      itemsMissing: n - times.size,
      idle,
      peak,
      phases,
      load,
      cpu,
      ...(slack ? { slack } : {}),
      ...(probe ? { probe } : {}),
      ...(benchDelay ? { benchDelay } : {}),
    });
  } finally {
    await burners?.stop();
    await stopProgram(worker);
    if (process.env.BENCH_WORKER_OUTPUT) process.stderr.write(worker.output());
    await queueOnly.stop();
    await fake.close();
    await dropPrefix(env.redisUrl, prefix);
  }
}

/** Part A's figures of one fan-out (`busy`: the CPU burners beside it, 0 for none). */
function fanOutFigures(r: FanOut, o: { C: number; N: number; busy: number }): Figure[] {
  const { C, N } = o;
  const sending = r.fake.calls.filter((c) => c.method === 'sendMessage');
  const rejected = sending.filter((c) => c.status === 429).length;
  const share429 = sending.length ? (100 * rejected) / sending.length : 0;
  const ratio = r.rate / TELEGRAM_PER_SECOND;
  const load = `load average ${round(r.load[0], 1)}→${round(r.load[1], 1)}`;
  const when = o.busy ? `, machine busy: ${o.busy} CPU burners, ${load}` : `, ${load}`;
  const busy = o.busy ? ' (machine busy)' : '';
  const figures: Figure[] = [
    {
      bench: 'telegram',
      figure: `messages delivered (${C} contacts × ${N / C} items, one message each, limits on${when})`,
      value: round(r.rate, 2),
      unit: '/s',
    },
    {
      bench: 'telegram',
      figure: `ratio delivered / Telegram’s 30 per second${busy}`,
      value: round(r.rate / TELEGRAM_PER_SECOND, 3),
      unit: '×',
      target: '≥ 0.95',
      ok: ratio >= 0.95,
    },
    {
      bench: 'telegram',
      figure: `429 answers (${rejected} of ${sending.length} sendMessage calls)${busy}`,
      value: round(share429, 3),
      unit: '%',
      target: '≤ 1 %',
      ok: share429 <= 1,
    },
    {
      bench: 'telegram',
      figure: `duplicates (messages beyond one per contact)${busy}`,
      value: r.duplicates,
      unit: '',
      target: '0',
      ok: r.duplicates === 0,
    },
    {
      bench: 'telegram',
      figure: `items delivered (of ${N} planned; items in two messages: ${r.itemDuplicates})${busy}`,
      value: N - r.itemsMissing,
      unit: '',
      target: `${N}, 0 twice`,
      ok: r.itemsMissing === 0 && r.itemDuplicates === 0 && r.losses === 0,
    },
    {
      bench: 'telegram',
      figure: `start-up: dispatch → first sendMessage received (reference)${busy}`,
      value: round(r.phases.startup, 0),
      unit: 'ms',
    },
    {
      bench: 'telegram',
      figure: `dispatchDue (bundling, queueing every job) returned after (reference)${busy}`,
      value: round(r.phases.dispatch, 0),
      unit: 'ms',
    },
    {
      bench: 'telegram',
      figure: `sending: first → last sendMessage received, per second (reference)${busy}`,
      value: round(((C - 1) * 1_000) / Math.max(1, r.phases.sending), 2),
      unit: '/s',
    },
    {
      bench: 'telegram',
      figure: `tail: last sendMessage received → all recorded sent (reference)${busy}`,
      value: round(r.phases.tail, 0),
      unit: 'ms',
    },
  ];
  if (r.slack)
    figures.push(
      {
        bench: 'telegram',
        figure: `answer counted by the limiter after the server received the request, p50 / p95 / mean of ${r.slack.matched} (reference)${busy}`,
        value: r.slack.answer.p50,
        unit: `/ ${r.slack.answer.p95} / ${r.slack.answer.mean} ms`,
      },
      {
        bench: 'telegram',
        figure: `request let leave by the limiter → received by the server, p50 / p95 / mean (reference)${busy}`,
        value: r.slack.travel.p50,
        unit: `/ ${r.slack.travel.p95} / ${r.slack.travel.mean} ms`,
      },
      {
        bench: 'telegram',
        figure: `slot reserved → first depart script, p50 / p95 / mean (reference)${busy}`,
        value: r.slack.toDepart.p50,
        unit: `/ ${r.slack.toDepart.p95} / ${r.slack.toDepart.mean} ms`,
      },
      {
        bench: 'telegram',
        figure: `held back as it left (first → last depart script, ${r.slack.departs} scripts), p50 / p95 / mean (reference)${busy}`,
        value: r.slack.held.p50,
        unit: `/ ${r.slack.held.p95} / ${r.slack.held.mean} ms`,
      },
    );
  if (r.benchDelay)
    figures.push({
      bench: 'telegram',
      figure: `bench process (Bot API test server) event-loop delay p50 / p99 / max (reference)${busy}`,
      value: r.benchDelay.p50,
      unit: `/ ${r.benchDelay.p99} / ${r.benchDelay.max} ms`,
    });
  if (r.probe) {
    const p = r.probe;
    figures.push(
      {
        bench: 'telegram',
        figure: `worker event-loop delay p50 / p90 / p99 / max / mean (reference)${busy}`,
        value: p.delay.p50,
        unit: `/ ${p.delay.p90} / ${p.delay.p99} / ${p.delay.max} / ${p.delay.mean} ms`,
      },
      {
        bench: 'telegram',
        figure: `worker main thread over ${p.wall} ms: on CPU / runnable but not scheduled (reference)${busy}`,
        value: p.thread.cpu,
        unit: `/ ${p.thread.queued} ms`,
      },
      {
        bench: 'telegram',
        figure: `an idle thread of the worker (a 5 ms timer): event-loop delay p50 / p90 / p99 / max / mean (reference)${busy}`,
        value: p.idle.delay.p50,
        unit: `/ ${p.idle.delay.p90} / ${p.idle.delay.p99} / ${p.idle.delay.max} / ${p.idle.delay.mean} ms`,
      },
      {
        bench: 'telegram',
        figure: `the idle thread: on CPU / runnable but not scheduled (reference)${busy}`,
        value: p.idle.thread.cpu,
        unit: `/ ${p.idle.thread.queued} ms`,
      },
      {
        bench: 'telegram',
        figure: `worker event-loop stalls > 15 ms: count, wall ms: of it on CPU / not scheduled (reference)${busy}`,
        value: p.gaps.count,
        unit: `, ${p.gaps.wall}: ${p.gaps.cpu} / ${p.gaps.queued} ms`,
      },
    );
    if (process.env.BENCH_TELEGRAM_PROBE === 'verbose')
      process.stderr.write(`probe${busy}: ${JSON.stringify(p.top)}\n`);
  }
  if (!o.busy)
    figures.push(
      {
        bench: 'telegram',
        figure: 'worker process RSS once started, idle (reference)',
        value: round(r.idle.rss, 1),
        unit: 'MB',
      },
      {
        bench: 'telegram',
        figure: 'worker process peak RSS by then, start-up (reference)',
        value: round(r.idle.peak, 1),
        unit: 'MB',
      },
      {
        bench: 'telegram',
        figure: `worker process peak RSS (VmHWM, ${C} messages of ${N / C} items)`,
        value: round(r.peak, 1),
        unit: 'MB',
        target: `≤ ${WORKER_PEAK_RSS_MB} MB`,
        ok: r.peak <= WORKER_PEAK_RSS_MB,
      },
    );
  return figures;
}

/**
 * `telegram`:
 * - A: N reminders to C private chats through a Bot API server that enforces Telegram's limits
 *   (30 messages/s per bot, 1/s per private chat), delivered by a real worker process: delivered per
 *   second against Telegram's 30/s, the share of 429 answers, duplicates and losses, and the worker
 *   process's peak resident set (VmHWM); where the time went (start-up, sending, tail) and how late
 *   the limiter learns of answers. Then the same with the machine busy (BENCH_TELEGRAM_BURNERS
 *   CPU-burning processes beside it, one per core by default; 0: not run).
 * - B: 100 linked contacts press ✅ under a reminder at the same moment: time from the press to the
 *   bot's answerCallbackQuery (the spinner on the button), by the server's clock.
 */
export async function benchTelegram(env: BenchEnv): Promise<Figure[]> {
  const N = Number(process.env.BENCH_TELEGRAM_REMINDERS ?? 10_000);
  const C = Number(process.env.BENCH_TELEGRAM_CHATS ?? 2_000);
  const P = Number(process.env.BENCH_TELEGRAM_PRESSES ?? 100);
  if (N % C !== 0) throw new Error(`BENCH_TELEGRAM_REMINDERS (${N}) must be a multiple of BENCH_TELEGRAM_CHATS (${C})`);
  const figures: Figure[] = [];

  // A: throughput under Telegram's limits. The worker runs as its own process, as in production,
  // so that its own memory can be read (and the Bot API server here does not share its CPU).
  // Three times the ideal duration, then whatever is missing counts as lost. Then the same with the
  // machine busy (A2): BENCH_TELEGRAM_BURNERS processes burning a CPU each (default one per core)
  // beside the worker, from the dispatch to the last item sent — a pacer starved of CPU must not
  // burst to catch up (429s), nor fall far behind.
  const burners = size('BENCH_TELEGRAM_BURNERS', availableParallelism());
  for (const busy of burners > 0 ? [false, true] : [false]) {
    await fanOut(
      env,
      {
        tag: busy ? 'tgl' : 'tg',
        limits: true,
        chats: C,
        perChat: N / C,
        firstChat: busy ? 300_000_000 : 100_000_000,
        timeoutMs: ((3 * N) / TELEGRAM_PER_SECOND) * 1_000 + 60_000,
        everyMs: 50,
        watch: true,
        benchLoop: true,
        ...(busy ? { burners } : {}),
      },
      async (r) => {
        figures.push(...fanOutFigures(r, { C, N, busy: busy ? burners : 0 }));
      },
    );
  }

  // B: the ✅ button. The bot runs as its own process, as in production: the Bot API server here
  // must not share its CPU with the bot it measures. In order, each press on a reminder of its own:
  // one press alone (reference); a first burst of P presses at the same moment, the process's first
  // (reference: its code not yet compiled by V8's optimising tiers, its connections not yet open);
  // a second burst of P, the target (a bot that has been running); a third with 100 ms of network
  // latency on every call (reference: Telegram answers in 50–300 ms, so connections are held that
  // long and their number decides how long the last press waits).
  {
    const prefix = `${env.prefix}-tgb`;
    const fake = await startFakeTelegram({ limits: false });
    const { orgId, contacts } = await seedTelegram(env, 'bench-tgb', 3 * P + 1, 1, 200_000_000);
    const queueOnly = await startWorkerApp(env, fake, prefix, []);
    const bot = startProgram(
      {
        DATABASE_URL: env.url,
        REDIS_URL: env.redisUrl,
        REDIS_PREFIX: prefix,
        ROLES: 'worker,bot',
        LOG_LEVEL: 'warn',
        DB_POOL_MAX: '20',
        TELEGRAM_BOT_TOKEN: TOKEN,
        TELEGRAM_API_ROOT: fake.apiRoot,
        STORAGE_DIR: path.join(tmpdir(), `${prefix}-storage`),
      },
      { nodeArgs: process.env.BENCH_BOT_NODE_ARGS?.split(' ').filter(Boolean) ?? [] },
    );
    try {
      await waitUntil(
        () => fake.calls.some((c) => c.method === 'getUpdates'),
        60_000,
        () => `the bot process did not start polling:\n${bot.output()}`,
      );
      await dispatchDue(env.db, queueOnly.sendQueue(), orgId, new Date(), 0);
      const { items: sent } = await waitSent(env, orgId, contacts.length, 120_000, 50);
      if (sent < contacts.length) throw new Error(`only ${sent} of ${contacts.length} reminders reached the chats`);
      const presses = contacts.map((c) => {
        const chat = Number(c.telegramChatId);
        const message = fake.sent(chat).find((m) => doneButton(m));
        if (!message) throw new Error(`no reminder with a ✅ button in chat ${chat}`);
        return { chat, messageId: message.message_id, data: doneButton(message)!.callback_data! };
      });
      const press = (p: (typeof presses)[number]) => {
        const at = Date.now();
        const update = fake.userPresses(p.chat, p.messageId, p.data);
        return { id: (update.callback_query as { id: string }).id, at };
      };
      // When the server received each answer (its clock), read from the calls as they come in: the
      // bench shares the machine with what it measures and must not rescan them every few ms.
      const answeredAt = new Map<string, number>();
      let scanned = 0;
      const waiting: (typeof fake.calls)[number][] = [];
      const collect = () => {
        for (; scanned < fake.calls.length; scanned++)
          if (fake.calls[scanned]!.method === 'answerCallbackQuery') waiting.push(fake.calls[scanned]!);
        for (let i = waiting.length - 1; i >= 0; i--) {
          const c = waiting[i]!;
          if (c.status === 0) continue;
          if (c.status === 200) answeredAt.set(String(c.params.callback_query_id), c.at);
          waiting.splice(i, 1);
        }
      };
      const latencies = async (ps: { id: string; at: number }[]) => {
        const until = Date.now() + 60_000;
        for (collect(); ps.some((p) => !answeredAt.has(p.id)) && Date.now() < until; collect()) await sleep(5);
        return ps.map((p) => (answeredAt.get(p.id) ?? Infinity) - p.at);
      };
      // Before each burst: let the sends' per-chat intervals lapse, and collect what this process
      // left behind (the server timestamping the answers runs here). The previous burst's
      // follow-ups (a hundred edits at 30 a second) may still be going, as they would in use.
      const settle = async () => {
        await sleep(2_000);
        collectGarbage();
      };
      const burst = async (from: number) => {
        await settle();
        return latencies(presses.slice(from, from + P).map(press));
      };

      await settle();
      const [alone] = await latencies([press(presses[0]!)]);
      const first = await burst(1);
      const warm = await burst(1 + P);
      fake.setLatency(100);
      const slow = await burst(1 + 2 * P);
      const all = [alone!, ...first, ...warm, ...slow];
      const unanswered = all.filter((x) => !Number.isFinite(x)).length;
      const confirmed = await env.db.confirmation.count({ where: { orgId } });
      const p95 = percentile(warm, 95);
      figures.push(
        {
          bench: 'telegram',
          figure: '✅ press → answer, one press alone (reference)',
          value: round(alone!, 0),
          unit: 'ms',
        },
        {
          bench: 'telegram',
          figure: `✅ press → answer p95, the process’s first ${P} at once (reference)`,
          value: round(percentile(first, 95), 0),
          unit: 'ms',
        },
        {
          bench: 'telegram',
          figure: `✅ press → answer p50 (${P} at once)`,
          value: round(percentile(warm, 50), 0),
          unit: 'ms',
        },
        {
          bench: 'telegram',
          figure: `✅ press → answer p95 (${P} at once)`,
          value: round(p95, 0),
          unit: 'ms',
          target: '≤ 100 ms',
          ok: p95 <= 100,
        },
        {
          bench: 'telegram',
          figure: `✅ press → answer sent p95, ${P} at once, 100 ms network latency (reference)`,
          value: round(percentile(slow, 95), 0),
          unit: 'ms',
        },
        {
          bench: 'telegram',
          figure: '✅ presses unanswered within 60 s',
          value: unanswered,
          unit: '',
          target: '0',
          ok: unanswered === 0,
        },
        {
          bench: 'telegram',
          figure: `✅ confirmations stored (of ${presses.length} presses)`,
          value: confirmed,
          unit: '',
          target: String(presses.length),
          ok: confirmed === presses.length,
        },
      );
    } finally {
      bot.child.kill('SIGTERM');
      await bot.exited;
      if (process.env.BENCH_BOT_OUTPUT) process.stderr.write(bot.output());
      await queueOnly.stop();
      await fake.close();
      await dropPrefix(env.redisUrl, prefix);
    }
  }
  return figures;
}
