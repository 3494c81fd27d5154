import { createTelegramChannel } from '#root/channels/telegram/index.js';
import { startFakeTelegram, type SentMessage } from '../test/helpers/telegram-server.js';
import type { BenchEnv } from './env.js';
import type { Figure } from './run.js';
import { dbFloor } from './pipeline-db-floor.js';
import { floorRate } from './pipeline-floor.js';
import { rawSendRate } from './raw-send-rate.js';
import { fanOut, TOKEN } from './telegram.js';
import { round, size } from './util.js';

/**
 * `pipeline`: the fan-out of `telegram` part A (N reminders to C private chats) with every limit
 * off — the Bot API test server enforces none and the worker process runs with TELEGRAM_LIMITS=off —
 * so that what is measured is the pipeline itself (queue, claim, render, send, record). Delivered per
 * second against the test server's raw sendMessage rate, measured in the same run by a tight client
 * loop in a process of its own (bench/raw-send.ts: grammY's client, the reminder's own payload, as
 * many calls in flight as the Telegram channel allows). Then its floor (bench/pipeline-floor.ts): the
 * same number of messages, same payload, through the same queue (batch jobs as a dispatch makes them)
 * and the same client, with no database and nothing rendered — the most the ratio could be here.
 * Last, the database's part alone (bench/pipeline-db-floor.ts: the same bundles read, claimed and
 * recorded by the delivery's statements, nothing else), and from the two floors the ceiling: the
 * ratio a pipeline doing nothing but the floor's work and those statements would reach. The raw
 * loop, the floor and the pipeline are CPU-bound here (client, test server, worker and database
 * share two cores), so their rates stand as the inverse of their CPU per message: the ceiling is
 * the raw loop's CPU per call (client and test server) over the floor's and the database floor's
 * together. A busy machine moves it less than a ratio of rates (not nothing: CPU per message rises
 * with contention too).
 */
export async function benchPipeline(env: BenchEnv): Promise<Figure[]> {
  const N = size('BENCH_PIPELINE_REMINDERS', 10_000);
  const C = size('BENCH_PIPELINE_CHATS', 2_000);
  const R = size('BENCH_PIPELINE_RAW_CALLS', N);
  const K = size(
    'BENCH_PIPELINE_RAW_CONCURRENCY',
    createTelegramChannel({ token: TOKEN, apiRoot: 'http://127.0.0.1:9' }).maxInFlight ?? 30,
  );
  if (N % C !== 0) throw new Error(`BENCH_PIPELINE_REMINDERS (${N}) must be a multiple of BENCH_PIPELINE_CHATS (${C})`);
  await warmTestServer(size('BENCH_PIPELINE_WARM_CALLS', 6_000), K);

  return fanOut(
    env,
    {
      tag: 'pipe',
      limits: false,
      chats: C,
      perChat: N / C,
      firstChat: 300_000_000,
      timeoutMs: 60_000 + N * 50,
      everyMs: 100,
    },
    async (r) => {
      const rejected = r.fake.calls.filter((c) => c.method === 'sendMessage' && c.status !== 200).length;
      // The reference, against the same server, with the payload of a reminder the worker sent.
      const sample: SentMessage | undefined = r.fake.sent()[0];
      if (!sample?.text) throw new Error('the worker sent no message to copy');
      const payload = {
        text: sample.text,
        parse_mode: sample.parse_mode ?? 'HTML',
        link_preview_options: { is_disabled: true },
        ...(sample.reply_markup ? { reply_markup: sample.reply_markup } : {}),
      };
      const raw = await rawSendRate({
        apiRoot: r.fake.apiRoot,
        token: TOKEN,
        calls: R,
        chats: C,
        firstChat: 400_000_000,
        concurrency: K,
        payload,
      });
      const ratio = r.rate / raw.perSecond;
      const floor = await floorRate(env, {
        apiRoot: r.fake.apiRoot,
        token: TOKEN,
        payload,
        messages: C,
        firstChat: 500_000_000,
        inFlight: K,
        concurrency: Number(process.env.WORKER_CONCURRENCY || 256),
      });
      // About the fan-out's mean batch (its loads, claims and records: 18 to 29 bundles a statement).
      const DB_BATCH = 25;
      const db = await dbFloor(env, { orgId: r.orgId, batch: DB_BATCH });
      const floorCpu = floor.workerCpuMs + floor.benchCpuMs + floor.redisCpuMs;
      const dbCpu = db.postgresMs + db.clientMs;
      const rawCpu = raw.cpuMsPerCall + raw.serverCpuMsPerCall;
      const ceiling = rawCpu / (floorCpu + dbCpu);
      return [
        {
          bench: 'pipeline',
          figure: `messages delivered (${C} contacts × ${N / C} items, one message each, limits off)`,
          value: round(r.rate, 0),
          unit: '/s',
        },
        {
          bench: 'pipeline',
          figure: `raw sendMessage, same server, ${K} in flight (reference${raw.errors ? `, ${raw.errors} errors` : ''})`,
          value: round(raw.perSecond, 0),
          unit: '/s',
        },
        {
          bench: 'pipeline',
          figure: 'ratio delivered / raw sendMessage',
          value: round(ratio, 3),
          unit: '×',
          target: '≥ 0.5',
          ok: ratio >= 0.5,
        },
        {
          bench: 'pipeline',
          figure: `floor: the same ${C} messages by queue and client alone, no database, nothing rendered (reference)`,
          value: round(floor.perSecond, 0),
          unit: '/s',
        },
        {
          bench: 'pipeline',
          figure: 'floor ratio: the most the pipeline could reach here (reference)',
          value: round(floor.perSecond / raw.perSecond, 3),
          unit: '×',
        },
        {
          bench: 'pipeline',
          figure: `database floor: PostgreSQL CPU per message, the delivery's read, claim and record alone, ${DB_BATCH} a statement (reference)`,
          value: round(db.postgresMs, 3),
          unit: 'ms',
        },
        {
          bench: 'pipeline',
          figure: "database floor: the client's CPU per message for those statements (reference)",
          value: round(db.clientMs, 3),
          unit: 'ms',
        },
        {
          bench: 'pipeline',
          figure: 'floor: CPU per message of its worker, the test server and Redis (reference)',
          value: round(floorCpu, 3),
          unit: 'ms',
        },
        {
          bench: 'pipeline',
          figure: 'raw sendMessage: CPU per call of its client and the test server (reference)',
          value: round(rawCpu, 3),
          unit: 'ms',
        },
        {
          bench: 'pipeline',
          figure: 'ceiling: the ratio with nothing but the floor and the database floor, by CPU (reference)',
          value: round(ceiling, 3),
          unit: '×',
        },
        { bench: 'pipeline', figure: `sendMessage calls not answered 200`, value: rejected, unit: '' },
        {
          bench: 'pipeline',
          figure: 'duplicates (messages beyond one per contact)',
          value: r.duplicates,
          unit: '',
          target: '0',
          ok: r.duplicates === 0,
        },
        {
          bench: 'pipeline',
          figure: 'losses (items not sent)',
          value: r.losses,
          unit: '',
          target: '0',
          ok: r.losses === 0,
        },
        { bench: 'pipeline', figure: 'worker process peak RSS (VmHWM)', value: round(r.peak, 1), unit: 'MB' },
        // Where the wall time went (the server's clock; the rate counts all of it): see FanOut's phases.
        {
          bench: 'pipeline',
          figure: `dispatchDue (bundling, queueing every job) returned after (reference, load average ${round(r.load[0], 1)}→${round(r.load[1], 1)})`,
          value: round(r.phases.dispatch, 0),
          unit: 'ms',
        },
        {
          bench: 'pipeline',
          figure: 'start-up: dispatch → first sendMessage received (reference)',
          value: round(r.phases.startup, 0),
          unit: 'ms',
        },
        {
          bench: 'pipeline',
          figure: 'sending: first → last sendMessage received, per second (reference)',
          value: round(((C - 1) * 1_000) / Math.max(1, r.phases.sending), 0),
          unit: '/s',
        },
        {
          bench: 'pipeline',
          figure: 'tail: last sendMessage received → all recorded sent (reference)',
          value: round(r.phases.tail, 0),
          unit: 'ms',
        },
        // Where the CPU goes, per message delivered (ms): what the ratio is made of. These hold when
        // the machine is busy, where the ratio does not.
        ...(
          [
            ['worker process', r.cpu.worker],
            ['PostgreSQL backends of the bench database', r.cpu.postgres],
            ['bench process (Bot API test server)', r.cpu.bench],
            ['bench process while dispatchDue ran (a part of the above)', r.cpu.dispatch],
            ['Redis server (whole)', r.cpu.redis],
          ] as const
        ).map(([what, ms]) => ({
          bench: 'pipeline',
          figure: `CPU per message: ${what}`,
          value: round(ms / C, 3),
          unit: 'ms',
        })),
        {
          bench: 'pipeline',
          figure: "CPU per message: the floor's worker process (reference)",
          value: round(floor.workerCpuMs, 3),
          unit: 'ms',
        },
        {
          bench: 'pipeline',
          figure: 'CPU per call: the raw sendMessage loop (reference)',
          value: round(raw.cpuMsPerCall, 3),
          unit: 'ms',
        },
      ];
    },
  );
}

/**
 * The Bot API test server runs in this process, and its first few thousand calls run code not yet
 * compiled (V8 optimises a function once it has run often): the fan-out, first on a fresh process,
 * paid that, while the raw loop, run after it, had a warm server. Measured (this process's CPU per
 * call, 2,000 calls a round, three runs at load 10): 0.36-0.41 ms for a new server's first round,
 * 0.19-0.27 for its second; a second server then 0.16-0.21 and 0.13. So `calls` calls of a
 * reminder's shape go first to a throwaway test server (the same code, optimised for the fan-out's
 * server too), with the reminders' client: the fan-out meets a server as warm as its reference's.
 */
async function warmTestServer(calls: number, concurrency: number): Promise<void> {
  if (!calls) return;
  const fake = await startFakeTelegram({ limits: false });
  try {
    const line = (i: number) => `<b>${i}.</b> Báo cáo kết quả thực hiện — <i>hạn thứ Sáu, 13/11/2026</i>`;
    await rawSendRate({
      apiRoot: fake.apiRoot,
      token: TOKEN,
      calls,
      chats: 1_000,
      firstChat: 900_000_000,
      concurrency,
      client: 'reminders',
      payload: {
        text: ['<b>Việc cần làm hôm nay</b>', ...[1, 2, 3, 4, 5].map(line)].join('\n'),
        parse_mode: 'HTML',
        link_preview_options: { is_disabled: true },
        reply_markup: {
          inline_keyboard: [1, 2, 3, 4, 5].map((i) => [
            { text: `✅ ${i}`, callback_data: `done:${i}` },
            { text: `📅 ${i}`, callback_data: `later:${i}` },
          ]),
        },
      },
    });
  } finally {
    await fake.close();
  }
}
