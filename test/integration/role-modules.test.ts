import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPrefix } from '../helpers/app.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startProgram, waitFor, type ProgramProcess } from '../helpers/processes.js';
import { startFakeTelegram, type FakeTelegram } from '../helpers/telegram-server.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const moduleLog = fileURLToPath(new URL('../helpers/module-log.mjs', import.meta.url));

/**
 * What only the web role uses: the web server and its pages, the board, spreadsheets, QR codes,
 * calendars, PDF reading, imports and reports. A worker or a bot process that loads them carries
 * them in its memory for nothing (about 30 MB of a worker's 280 when they were loaded by every role).
 */
const WEB_ONLY = [
  /\/src\/web\//,
  /\/src\/import\//,
  /\/src\/services\/(report|report-docx|exports|import-drafts|matrix|summary|demo)\.ts$/,
  /\/node_modules\/(fastify|@fastify\/[^/]+|@bull-board\/[^/]+|exceljs|qrcode|ical-generator|pdfjs-dist)\//,
];

/**
 * The modules a program process resolved (module-log.mjs): relative to the checkout, and packages
 * from their `node_modules/` (which may be a link to another checkout's).
 */
function loaded(file: string): string[] {
  return [...new Set(readFileSync(file, 'utf8').split('\n').filter(Boolean))].map((u) => {
    if (!u.startsWith('file:')) return u;
    const file = fileURLToPath(u.replace(/\?.*$/, ''));
    const at = file.lastIndexOf('/node_modules/');
    return at >= 0 ? file.slice(at + 1) : path.relative(root, file);
  });
}

const webOnly = (modules: string[]) => modules.filter((m) => WEB_ONLY.some((p) => p.test(`/${m}`)));

/**
 * Each role loads what it uses: the program's process started as in production (`node --import tsx
 * src/main.ts`), with a loader hook that writes down every module it resolves.
 */
describe('the modules each role loads', () => {
  let t: TestDatabase;
  let tg: FakeTelegram;
  const programs: ProgramProcess[] = [];
  const logs: string[] = [];

  beforeAll(async () => {
    t = await createTestDatabase();
    tg = await startFakeTelegram({ limits: false });
  });
  afterAll(async () => {
    for (const p of programs)
      if (p.child.exitCode === null) {
        p.child.kill('SIGTERM');
        await p.exited;
      }
    await tg?.close();
    await t?.close();
    for (const f of logs) rmSync(f, { force: true });
  });

  function start(roles: string): { program: ProgramProcess; log: string } {
    const log = path.join(tmpdir(), `dondoc-modules-${randomBytes(4).toString('hex')}.txt`);
    logs.push(log);
    const program = startProgram(
      {
        DATABASE_URL: t.url,
        REDIS_URL: 'redis://127.0.0.1:6379',
        REDIS_PREFIX: testPrefix(),
        ROLES: roles,
        LOG_LEVEL: 'info',
        SECRET_KEY: randomBytes(32).toString('base64url'),
        TELEGRAM_BOT_TOKEN: '424242:role-modules-test-token_abcdef',
        TELEGRAM_API_ROOT: tg.apiRoot,
        STORAGE_DIR: path.join(tmpdir(), `dondoc-modules-storage-${randomBytes(4).toString('hex')}`),
        MODULE_LOG: log,
      },
      { nodeArgs: ['--import', moduleLog] },
    );
    programs.push(program);
    return { program, log };
  }

  const started = (program: ProgramProcess, role: string) =>
    waitFor(
      async () => program.output().includes('"msg":"dondoc started"') && program.output().includes(`"role":"${role}"`),
      120_000,
      `the ${role} role to start:\n${program.output()}`,
    );

  it('a worker loads delivery and the queues, and none of the web role’s code or packages', async () => {
    const { program, log } = start('worker');
    await started(program, 'worker');
    const modules = loaded(log);
    // The hook saw the process's modules (else the check below would pass on an empty list).
    expect(modules).toContain('src/services/delivery.ts');
    expect(modules).toContain('jobs/send.ts');
    expect(modules.some((m) => m.startsWith('node_modules/bullmq/'))).toBe(true);
    expect(webOnly(modules)).toEqual([]);
  }, 180_000);

  it('a bot answers chats without the web role’s code; the web role loads its own', async () => {
    const bot = start('bot');
    await started(bot.program, 'bot');
    await waitFor(async () => tg.calls.some((c) => c.method === 'getUpdates'), 60_000, 'the bot polling');
    const botModules = loaded(bot.log);
    expect(botModules).toContain('src/bot/index.ts');
    expect(webOnly(botModules)).toEqual([]);

    const web = start('web');
    await started(web.program, 'web');
    const webModules = loaded(web.log);
    expect(webModules).toContain('src/web/server.ts');
    expect(webModules.some((m) => m.startsWith('node_modules/fastify/'))).toBe(true);
  }, 240_000);
});
