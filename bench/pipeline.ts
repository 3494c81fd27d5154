import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dispatchDue } from '#jobs/dispatch.js';
import { createTelegramChannel } from '#root/channels/telegram/index.js';
import { startFakeTelegram, type SentMessage } from '../test/helpers/telegram-server.js';
import { dropPrefix, type BenchEnv } from './env.js';
import type { Figure } from './run.js';
import { seedTelegram, startWorkerApp, startWorkerProcess, TOKEN, waitSent } from './telegram.js';
import { memoryOf, round, size, stopProgram, waitForWorker } from './util.js';

const root = fileURLToPath(new URL('../', import.meta.url));

/** Runs bench/raw-send.ts as its own process and returns the sendMessage calls per second it made. */
async function rawSendRate(options: { apiRoot: string; calls: number; chats: number; firstChat: number; concurrency: number; payload: Record<string, unknown> }): Promise<{ perSecond: number; errors: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/raw-send.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      RAW_API_ROOT: options.apiRoot,
      RAW_TOKEN: TOKEN,
      RAW_CALLS: String(options.calls),
      RAW_CHATS: String(options.chats),
      RAW_FIRST_CHAT: String(options.firstChat),
      RAW_CONCURRENCY: String(options.concurrency),
      RAW_PAYLOAD: JSON.stringify(options.payload),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const line = out.split('\n').find((l) => l.startsWith('{"perSecond"'));
  if (code !== 0 || !line) throw new Error(`bench/raw-send.ts failed (${code}):\n${out}`);
  return JSON.parse(line) as { perSecond: number; errors: number };
}

/**
 * `pipeline`: the fan-out of `telegram` part A (N reminders to C private chats) with every limit
 * off — the Bot API test server enforces none and the worker process runs with TELEGRAM_LIMITS=off —
 * so that what is measured is the pipeline itself (queue, claim, render, send, record). Delivered per
 * second against the test server's raw sendMessage rate, measured in the same run by a tight client
 * loop in a process of its own (bench/raw-send.ts: grammY's client, the reminder's own payload, as
 * many calls in flight as the Telegram channel allows).
 */
export async function benchPipeline(env: BenchEnv): Promise<Figure[]> {
  const N = size('BENCH_PIPELINE_REMINDERS', 10_000);
  const C = size('BENCH_PIPELINE_CHATS', 2_000);
  const R = size('BENCH_PIPELINE_RAW_CALLS', N);
  const K = size('BENCH_PIPELINE_RAW_CONCURRENCY', createTelegramChannel({ token: TOKEN, apiRoot: 'http://127.0.0.1:9' }).maxInFlight ?? 30);
  if (N % C !== 0) throw new Error(`BENCH_PIPELINE_REMINDERS (${N}) must be a multiple of BENCH_PIPELINE_CHATS (${C})`);

  const prefix = `${env.prefix}-pipe`;
  const fake = await startFakeTelegram({ limits: false });
  const { orgId } = await seedTelegram(env, 'bench-pipe', C, N / C, 300_000_000);
  const queueOnly = startWorkerApp(env, fake, prefix, []);
  const worker = startWorkerProcess(env, fake, prefix, { TELEGRAM_LIMITS: 'off' });
  try {
    await waitForWorker(queueOnly.sendQueue(), worker);
    const t0 = performance.now();
    await dispatchDue(env.db, queueOnly.sendQueue(), orgId, new Date(), 0);
    const sent = await waitSent(env, orgId, N, 60_000 + N * 50, 100);
    const rate = sent / ((performance.now() - t0) / 1000);
    const { peak } = memoryOf(worker.child.pid);
    const messages = fake.sent();
    const duplicates = Math.max(0, messages.length - N);
    const losses = N - sent;
    const rejected = fake.calls.filter((c) => c.method === 'sendMessage' && c.status !== 200).length;
    await stopProgram(worker);

    // The reference, against the same server, with the payload of a reminder the worker sent.
    const sample: SentMessage | undefined = messages[0];
    if (!sample?.text) throw new Error('the worker sent no message to copy');
    const payload = { text: sample.text, parse_mode: sample.parse_mode ?? 'HTML', link_preview_options: { is_disabled: true }, ...(sample.reply_markup ? { reply_markup: sample.reply_markup } : {}) };
    const raw = await rawSendRate({ apiRoot: fake.apiRoot, calls: R, chats: C, firstChat: 400_000_000, concurrency: K, payload });
    const ratio = rate / raw.perSecond;
    return [
      { bench: 'pipeline', figure: `reminders delivered (${N} to ${C} private chats, limits off)`, value: round(rate, 0), unit: '/s' },
      { bench: 'pipeline', figure: `raw sendMessage, same server, ${K} in flight (reference${raw.errors ? `, ${raw.errors} errors` : ''})`, value: round(raw.perSecond, 0), unit: '/s' },
      { bench: 'pipeline', figure: 'ratio delivered / raw sendMessage', value: round(ratio, 3), unit: '×', target: '≥ 0.5', ok: ratio >= 0.5 },
      { bench: 'pipeline', figure: `sendMessage calls not answered 200`, value: rejected, unit: '' },
      { bench: 'pipeline', figure: 'duplicates (messages beyond N)', value: duplicates, unit: '', target: '0', ok: duplicates === 0 },
      { bench: 'pipeline', figure: 'losses (rows not sent)', value: losses, unit: '', target: '0', ok: losses === 0 },
      { bench: 'pipeline', figure: 'worker process peak RSS (VmHWM)', value: round(peak, 1), unit: 'MB' },
    ];
  } finally {
    await stopProgram(worker);
    if (process.env.BENCH_WORKER_OUTPUT) process.stderr.write(worker.output());
    await queueOnly.stop();
    await fake.close();
    await dropPrefix(env.redisUrl, prefix);
  }
}
