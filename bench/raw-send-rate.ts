import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

/**
 * Runs bench/raw-send.ts as its own process and returns the sendMessage calls per second it made,
 * its errors and its own CPU per call: `client` is grammY's default (`grammy`) or the reminders'
 * (`reminders`, src/channels/telegram/fetch.ts). `serverCpuMsPerCall`: this process's CPU per call
 * meanwhile — the Bot API test server's, when it runs here and nothing else does.
 */
export async function rawSendRate(options: {
  apiRoot: string;
  token: string;
  calls: number;
  chats: number;
  firstChat: number;
  concurrency: number;
  payload: Record<string, unknown>;
  client?: 'grammy' | 'reminders';
}): Promise<{ perSecond: number; errors: number; cpuMsPerCall: number; serverCpuMsPerCall: number }> {
  const self0 = process.cpuUsage();
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/raw-send.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      RAW_API_ROOT: options.apiRoot,
      RAW_TOKEN: options.token,
      RAW_CALLS: String(options.calls),
      RAW_CHATS: String(options.chats),
      RAW_FIRST_CHAT: String(options.firstChat),
      RAW_CONCURRENCY: String(options.concurrency),
      RAW_PAYLOAD: JSON.stringify(options.payload),
      RAW_CLIENT: options.client ?? 'grammy',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const line = out.split('\n').find((l) => l.startsWith('{"perSecond"'));
  if (code !== 0 || !line) throw new Error(`bench/raw-send.ts failed (${code}):\n${out}`);
  const self = process.cpuUsage(self0);
  return {
    ...(JSON.parse(line) as { perSecond: number; errors: number; cpuMsPerCall: number }),
    serverCpuMsPerCall: (self.user + self.system) / 1000 / options.calls,
  };
}
