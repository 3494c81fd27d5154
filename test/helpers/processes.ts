import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Calls `take` with the text a child's pipe gives, decoded as UTF-8 across its reads. A pipe hands
 * its bytes over in reads of any size (on a busy machine, wherever the reader caught up), and a
 * Vietnamese letter is 2–3 bytes: decoded read by read, one cut between two reads became two
 * "\uFFFD" — a contact's name in a preview's JSON, once in CI.
 */
export function onText(stream: Readable, take: (text: string) => void): void {
  stream.setEncoding('utf8');
  stream.on('data', take);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/**
 * A Redis server of this test's own (the machine's redis-server binary), so that a test can
 * FLUSHALL without touching the other test files that share the machine's Redis.
 */
export async function startPrivateRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxmemory-policy',
      'noeviction',
    ],
    {
      stdio: 'ignore',
    },
  );
  const url = `redis://127.0.0.1:${port}`;
  // Until it listens: a bound of time, not of tries (a loaded machine starts it slowly), and an
  // error past it rather than a test that goes on against no server.
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const sock = net.connect(port, '127.0.0.1', () => {
          sock.end();
          resolve(true);
        });
        sock.on('error', () => resolve(false));
      }),
    30_000,
    `redis-server on port ${port}`,
  );
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A PostgreSQL server of a test's own, which the test may stop and start again (see {@link startPrivatePostgres}). */
export interface PrivatePostgres {
  /** `postgresql://postgres@127.0.0.1:<port>/dondoc` (an empty database; migrate it). */
  url: string;
  /**
   * Stops the server for real: SIGINT, PostgreSQL's fast shutdown (open connections are cut); or
   * `immediate`, SIGQUIT: every process quits at once, no checkpoint, and the next start replays
   * the WAL (crash recovery), as the primary's loss and a standby's promotion look to a client.
   */
  stopServer(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again on the same data directory and port; resolves once it answers queries. */
  startServer(): Promise<void>;
  /** Stops the server (if running) and removes its data directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** The newest PostgreSQL of the machine (Debian's layout: /usr/lib/postgresql/<version>/bin). */
function postgresBinDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => existsSync(path.join(base, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions[0]) throw new Error(`no PostgreSQL server binaries under ${base}`);
  return path.join(base, versions[0], 'bin');
}

/**
 * A PostgreSQL server of this test's own (the machine's binaries, a fresh `initdb` in a temporary
 * directory, `fsync=off`), so that a test can stop the database under a running program without
 * touching the server the other test files share.
 *
 * PostgreSQL refuses to run as root: when the tests run as root, the server and initdb run as the
 * `postgres` user (spawn's uid/gid, as `runuser -u postgres` would, but the child is the postmaster
 * itself, so that signals reach it directly).
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  const port = await freePort();
  const dir = await mkdtemp(path.join(tmpdir(), 'dondoc-pg-'));
  const data = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const user = asRoot
    ? {
        uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
        gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
      }
    : {};
  const env = { PATH: process.env.PATH ?? '', HOME: dir, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' };

  let child: ChildProcess | null = null;
  let output = '';
  const root = `postgresql://postgres@127.0.0.1:${port}`;
  const ready = async (server: ChildProcess) => {
    for (let i = 0; ; i++) {
      const c = new pg.Client({ connectionString: `${root}/postgres`, connectionTimeoutMillis: 1_000 });
      try {
        await c.connect();
        await c.query('SELECT 1');
        return;
      } catch (error) {
        if (server.exitCode !== null || i >= 300)
          throw new Error(`private PostgreSQL did not start: ${String(error)}\n${output}`, { cause: error });
        await new Promise((r) => setTimeout(r, 100));
      } finally {
        await c.end().catch(() => undefined);
      }
    }
  };
  const startServer = async () => {
    if (child) throw new Error('private PostgreSQL already running');
    output = '';
    const started = spawn(
      path.join(bin, 'postgres'),
      [
        '-D',
        data,
        '-p',
        String(port),
        '-k',
        dir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=off',
        '-c',
        'max_connections=200',
      ],
      { ...user, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    onText(started.stdout!, (d) => (output += d));
    onText(started.stderr!, (d) => (output += d));
    child = started;
    await ready(started);
  };
  const stopServer = async (mode: 'fast' | 'immediate' = 'fast') => {
    const running = child;
    if (!running) return;
    child = null;
    if (running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill(mode === 'immediate' ? 'SIGQUIT' : 'SIGINT');
    const slow = setTimeout(() => running.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(slow);
  };
  // Should the test process end without its afterAll, the server must not outlive it.
  const onExit = () => {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);

  const stop = async () => {
    await stopServer();
    process.removeListener('exit', onExit);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    if (asRoot) await chown(dir, user.uid!, user.gid!);
    execFileSync(path.join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync'], {
      ...user,
      env,
      stdio: 'pipe',
    });
    await startServer();
    const admin = new pg.Client({ connectionString: `${root}/postgres` });
    await admin.connect();
    await admin.query('CREATE DATABASE dondoc');
    await admin.end();
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `${root}/dondoc`, stopServer, startServer, stop };
}

export interface ProgramProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts the real program (`src/main.ts`) as its own process with the given environment. */
export function startProgram(env: Record<string, string>, options: { nodeArgs?: string[] } = {}): ProgramProcess {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      SEED_DEMO: 'false',
      LOG_LEVEL: 'warn',
      PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  onText(child.stdout!, (d) => (out += d));
  onText(child.stderr!, (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/**
 * Polls `count` until `done` says so, failing only when it has not grown for `stallMs`: a fan-out
 * on a busy machine may take many minutes, a stuck one stops moving. Returns the last count.
 */
export async function waitForProgress(
  count: () => Promise<number>,
  done: (n: number) => boolean,
  stallMs: number,
  what: string,
): Promise<number> {
  let last = await count();
  let movedAt = Date.now();
  while (!done(last)) {
    await new Promise((r) => setTimeout(r, 200));
    const n = await count();
    if (n !== last) {
      last = n;
      movedAt = Date.now();
    } else if (Date.now() - movedAt > stallMs) {
      throw new Error(`no progress for ${stallMs / 1000} s waiting for ${what} (at ${n})`);
    }
  }
  return last;
}

/** Polls until `check` is true. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
