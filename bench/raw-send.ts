/**
 * The reference of the `pipeline` bench, run as its own process (as the worker it is compared with
 * is): `RAW_CALLS` sendMessage calls to the Bot API server at `RAW_API_ROOT`, as fast as grammY's
 * client (the worker's, keep-alive) makes them with `RAW_CONCURRENCY` in flight, round-robin over
 * `RAW_CHATS` private chats from `RAW_FIRST_CHAT + 1`, each with the payload `RAW_PAYLOAD` (JSON:
 * a reminder's text and buttons). Nothing else: no queue, no database. One warm-up call per slot is
 * not counted. Prints `{"perSecond": …, "errors": …, "cpuMsPerCall": …}` on stdout (its own CPU per call).
 * `RAW_CLIENT=reminders` makes the calls with the reminders' client (createReminderApi in
 * src/channels/telegram/fetch.ts) instead of grammY's default one (see bench/client-cpu.ts).
 */
import { Api } from 'grammy';
import { createReminderApi } from '#root/channels/telegram/fetch.js';

const need = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

async function main() {
  const apiRoot = need('RAW_API_ROOT');
  const client = process.env.RAW_CLIENT ?? 'grammy';
  if (client !== 'grammy' && client !== 'reminders') throw new Error(`RAW_CLIENT «${client}»: grammy or reminders`);
  const api =
    client === 'reminders'
      ? createReminderApi(need('RAW_TOKEN'), { apiRoot, timeoutSeconds: 500 })
      : new Api(need('RAW_TOKEN'), { apiRoot });
  const calls = Number(need('RAW_CALLS'));
  const chats = Number(need('RAW_CHATS'));
  const firstChat = Number(need('RAW_FIRST_CHAT'));
  const concurrency = Number(need('RAW_CONCURRENCY'));
  type Other = Parameters<Api['sendMessage']>[2];
  const { text, ...other } = JSON.parse(need('RAW_PAYLOAD')) as { text: string } & Other;
  let errors = 0;
  const send = (i: number) =>
    api.sendMessage(firstChat + 1 + (i % chats), text, other).then(
      () => undefined,
      () => void errors++,
    );

  await Promise.all(Array.from({ length: concurrency }, (_, i) => send(i)));
  errors = 0;
  let next = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < calls; i = next++) await send(i);
    }),
  );
  const perSecond = calls / ((performance.now() - t0) / 1000);
  const used = process.cpuUsage(cpu0);
  const cpuMsPerCall = (used.user + used.system) / 1000 / calls;
  process.stdout.write(`${JSON.stringify({ perSecond, errors, cpuMsPerCall })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
