import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { BUNDLES_PER_JOB, dispatchChunks, SEND_JOB_OPTIONS } from '#jobs/dispatch.js';
import { createRedis } from '#root/redis.js';
import type { BenchEnv } from './env.js';
import { dropPrefix } from './env.js';
import { cpuOf, redisPid } from './util.js';

const root = fileURLToPath(new URL('../', import.meta.url));

/**
 * The floor of the `pipeline` bench: the same messages through the same queue and client with
 * nothing else — no database (no claim, no record, nothing read) and nothing rendered (the payload
 * of a message the worker sent). A worker process of its own (bench/pipeline-floor-worker.ts) takes
 * jobs of BUNDLES_PER_JOB messages, queued as a dispatch queues them (its chunks), and sends each
 * with the reminders' client, `inFlight` at once, against the Bot API test server at `apiRoot`.
 * Messages answered per second from the first `addBulk` to the last answer, and the CPU per message
 * of the worker, of this process (the Bot API test server, queueing the jobs) and of the Redis
 * server over the same span: what the pipeline's ratio could at most be on this machine.
 */
export async function floorRate(
  env: BenchEnv,
  o: {
    apiRoot: string;
    token: string;
    payload: Record<string, unknown>;
    messages: number;
    firstChat: number;
    inFlight: number;
    concurrency: number;
  },
): Promise<{ perSecond: number; workerCpuMs: number; benchCpuMs: number; redisCpuMs: number }> {
  const prefix = `${env.prefix}-floor`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/pipeline-floor-worker.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      FLOOR_TOKEN: o.token,
      FLOOR_API_ROOT: o.apiRoot,
      FLOOR_PAYLOAD: JSON.stringify(o.payload),
      FLOOR_MESSAGES: String(o.messages),
      FLOOR_IN_FLIGHT: String(o.inFlight),
      FLOOR_CONCURRENCY: String(o.concurrency),
      FLOOR_REDIS: env.redisUrl,
      FLOOR_QUEUE: 'floor',
      FLOOR_PREFIX: prefix,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`bench/pipeline-floor-worker.ts ended (${code}):\n${err}`))),
  );
  const lines = child.stdout.setEncoding('utf8');
  const line = (prefix: string) =>
    Promise.race([
      exited,
      new Promise<string>((resolve) => {
        const look = () => {
          const found = out.split('\n').find((l) => l.startsWith(prefix));
          if (found === undefined) return false;
          lines.off('data', onData);
          resolve(found);
          return true;
        };
        const onData = (d: string) => {
          out += d;
          look();
        };
        if (!look()) lines.on('data', onData);
      }),
    ]);
  const connection = createRedis(env.redisUrl);
  const queue = new Queue('floor', { connection, prefix });
  try {
    await line('READY');
    const jobs = Array.from({ length: Math.ceil(o.messages / BUNDLES_PER_JOB) }, (_, j) => ({
      name: 'floor',
      data: {
        chats: Array.from(
          { length: Math.min(BUNDLES_PER_JOB, o.messages - j * BUNDLES_PER_JOB) },
          (_, k) => o.firstChat + 1 + j * BUNDLES_PER_JOB + k,
        ),
      },
      opts: { ...SEND_JOB_OPTIONS, jobId: `floor-${j}` },
    }));
    const redis = redisPid();
    const redis0 = cpuOf(redis);
    const self0 = process.cpuUsage();
    const t0 = Date.now();
    for (const [from, to] of dispatchChunks(jobs.length)) await queue.addBulk(jobs.slice(from, to));
    const [, end, cpu] = (await line('DONE')).split(' ');
    const self = process.cpuUsage(self0);
    return {
      perSecond: o.messages / ((Number(end) - t0) / 1000),
      workerCpuMs: Number(cpu) / o.messages,
      benchCpuMs: (self.user + self.system) / 1000 / o.messages,
      redisCpuMs: (cpuOf(redis) - redis0) / o.messages,
    };
  } finally {
    child.kill('SIGKILL');
    await exited.catch(() => undefined);
    await queue.close();
    connection.disconnect();
    await dropPrefix(env.redisUrl, prefix);
  }
}
