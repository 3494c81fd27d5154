/**
 * The CPU per sendMessage call of the Telegram clients alone: bench/raw-send.ts, run as its own
 * process against the Bot API test server (limits off, in this process), with grammY's default
 * client (node-fetch) and with the reminders' (src/channels/telegram/fetch.ts), alternately,
 * `CLIENT_CPU_ROUNDS` times (default 3) of `CLIENT_CPU_CALLS` calls (default 4,000) with 30 in
 * flight. Prints one line per run and the median of each client.
 *
 *   npx tsx bench/client-cpu.ts
 */
import { startFakeTelegram } from '../test/helpers/telegram-server.js';
import { rawSendRate } from './raw-send-rate.js';

const TOKEN = '123456:TEST-token_abcdefghijklmnop';
const rounds = Number(process.env.CLIENT_CPU_ROUNDS ?? 3);
const calls = Number(process.env.CLIENT_CPU_CALLS ?? 4_000);
const payload = {
  text: '<b>Nhắc việc</b> ngày thứ Sáu, 13/11/2026\n1. BC-01 Báo cáo Quý IV/2026 — hạn hôm nay\n2. BC-02 Báo cáo tháng 11/2026 — còn 3 ngày',
  parse_mode: 'HTML',
  link_preview_options: { is_disabled: true },
  reply_markup: {
    inline_keyboard: [
      [
        { text: '✅ BC-01', callback_data: 'd:0b6f3c1e-0000-4000-8000-000000000001' },
        { text: '📅 BC-01', callback_data: 'e:0b6f3c1e-0000-4000-8000-000000000001' },
      ],
      [
        { text: '✅ BC-02', callback_data: 'd:0b6f3c1e-0000-4000-8000-000000000002' },
        { text: '📅 BC-02', callback_data: 'e:0b6f3c1e-0000-4000-8000-000000000002' },
      ],
    ],
  },
};

const run = (apiRoot: string, client: 'grammy' | 'reminders') =>
  rawSendRate({ apiRoot, token: TOKEN, calls, chats: 2_000, firstChat: 500_000_000, concurrency: 30, payload, client });

async function main() {
  const fake = await startFakeTelegram({ limits: false });
  const seen: Record<string, number[]> = { grammy: [], reminders: [] };
  try {
    for (let i = 0; i < rounds; i++)
      for (const client of ['grammy', 'reminders'] as const) {
        const r = await run(fake.apiRoot, client);
        seen[client]!.push(r.cpuMsPerCall);
        console.log(
          `${client.padEnd(9)} ${(r.cpuMsPerCall * 1000).toFixed(0)} µs CPU per call, ${r.perSecond.toFixed(0)} calls/s, ${r.errors} errors`,
        );
      }
  } finally {
    await fake.close();
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const [client, xs] of Object.entries(seen))
    console.log(`median ${client}: ${(median(xs) * 1000).toFixed(0)} µs CPU per call`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
