/**
 * The worker of the `pipeline` bench's floor (bench/pipeline-floor.ts), a process of its own as the
 * product's worker is: a BullMQ worker on queue `FLOOR_QUEUE` (prefix `FLOOR_PREFIX`, Redis
 * `FLOOR_REDIS`) whose jobs each carry `chats`, the private chats of a batch of messages as the
 * product's batch jobs carry bundles (BUNDLES_PER_JOB), taken as many at once as the product's worker
 * takes (src/app.ts). Each message is the reminders' own sendMessage call (createReminderApi, the
 * payload `FLOOR_PAYLOAD`) in one of the Telegram channel's places in flight (its maxInFlight):
 * what a send costs with no database and nothing rendered. Prints `READY` once connected, then
 * `DONE <epoch ms> <CPU ms>` when `FLOOR_MESSAGES` messages are answered (its CPU from the first job).
 */
import { Worker } from 'bullmq';
import { BUNDLES_PER_JOB } from '#jobs/dispatch.js';
import { createReminderApi } from '#root/channels/telegram/fetch.js';
import { createSemaphore } from '#root/lib/semaphore.js';
import { createRedis } from '#root/redis.js';

const need = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

const api = createReminderApi(need('FLOOR_TOKEN'), { apiRoot: need('FLOOR_API_ROOT'), timeoutSeconds: 30 });
type Other = Parameters<typeof api.sendMessage>[2];
const { text, ...other } = JSON.parse(need('FLOOR_PAYLOAD')) as { text: string } & Other;
const messages = Number(need('FLOOR_MESSAGES'));
const slots = createSemaphore(Number(need('FLOOR_IN_FLIGHT')));
const concurrency = 2 * Math.ceil(Number(need('FLOOR_CONCURRENCY')) / BUNDLES_PER_JOB);
let answered = 0;
let cpu0: NodeJS.CpuUsage | undefined;

const worker = new Worker<{ chats: number[] }>(
  need('FLOOR_QUEUE'),
  async (job) => {
    cpu0 ??= process.cpuUsage();
    await Promise.all(job.data.chats.map((chat) => slots.run(() => api.sendMessage(chat, text, other))));
    answered += job.data.chats.length;
    if (answered === messages) {
      const used = process.cpuUsage(cpu0);
      process.stdout.write(`DONE ${Date.now()} ${(used.user + used.system) / 1000}\n`);
    }
  },
  { connection: createRedis(need('FLOOR_REDIS')), prefix: need('FLOOR_PREFIX'), concurrency },
);
worker.on('ready', () => process.stdout.write('READY\n'));
worker.on('failed', (_job, error) => process.stderr.write(`${error.stack ?? error.message}\n`));
