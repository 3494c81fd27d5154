import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createTelegramChannel } from '#root/channels/telegram/index.js';
import type { SentMessage } from '../test/helpers/telegram-server.js';
import type { BenchEnv } from './env.js';
import type { Figure } from './run.js';
import { fanOut, TOKEN } from './telegram.js';
import { round, size } from './util.js';

const root = fileURLToPath(new URL('../', import.meta.url));

/** Runs bench/raw-send.ts as its own process and returns the sendMessage calls per second it made. */
async function rawSendRate(options: {
  apiRoot: string;
  calls: number;
  chats: number;
  firstChat: number;
  concurrency: number;
  payload: Record<string, unknown>;
}): Promise<{ perSecond: number; errors: number; cpuMsPerCall: number }> {
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
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const line = out.split('\n').find((l) => l.startsWith('{"perSecond"'));
  if (code !== 0 || !line) throw new Error(`bench/raw-send.ts failed (${code}):\n${out}`);
  return JSON.parse(line) as { perSecond: number; errors: number; cpuMsPerCall: number };
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
  const K = size(
    'BENCH_PIPELINE_RAW_CONCURRENCY',
    createTelegramChannel({ token: TOKEN, apiRoot: 'http://127.0.0.1:9' }).maxInFlight ?? 30,
  );
  if (N % C !== 0) throw new Error(`BENCH_PIPELINE_REMINDERS (${N}) must be a multiple of BENCH_PIPELINE_CHATS (${C})`);

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
        calls: R,
        chats: C,
        firstChat: 400_000_000,
        concurrency: K,
        payload,
      });
      const ratio = r.rate / raw.perSecond;
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
        // Where the CPU goes, per message delivered (ms): what the ratio is made of. These hold when
        // the machine is busy, where the ratio does not.
        ...(
          [
            ['worker process', r.cpu.worker],
            ['PostgreSQL backends of the bench database', r.cpu.postgres],
            ['bench process (Bot API test server)', r.cpu.bench],
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
          figure: 'CPU per call: the raw sendMessage loop (reference)',
          value: round(raw.cpuMsPerCall, 3),
          unit: 'ms',
        },
      ];
    },
  );
}
