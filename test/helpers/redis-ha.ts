import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { onText, waitFor } from './processes.js';

const run = promisify(execFile);

/**
 * Redis set-ups of a test's own from the machine's `redis-server` binary (Debian's): a primary with
 * a replica watched by three sentinels (`redis-server <conf> --sentinel`), or a Cluster of three
 * primaries. Each on free ports, in a temporary directory removed at `stop()` (and at exit).
 */

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

/** `redis-cli -p <port> <args…>`'s answer (a test's own servers: no password). */
export async function redisCli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 });
  return stdout.trim();
}

const answers = async (port: number) => (await redisCli(port, 'PING').catch(() => '')) === 'PONG';

interface Server {
  port: number;
  child: ChildProcess;
  output: () => string;
}

function serve(args: string[], port: number): Server {
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  onText(child.stdout!, (d) => (out = (out + d).slice(-20_000)));
  onText(child.stderr!, (d) => (out = (out + d).slice(-20_000)));
  return { port, child, output: () => out };
}

async function stopServer(s: Server, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => s.child.once('exit', () => resolve()));
  s.child.kill(signal);
  await exited;
}

function cleanupAtExit(servers: () => Server[], dir: string) {
  const onExit = () => {
    for (const s of servers()) s.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', onExit);
  return () => process.removeListener('exit', onExit);
}

/** A data server's arguments: no snapshots, no eviction (BullMQ's requirement), this machine only. */
const dataArgs = (port: number, dir: string) => [
  '--port',
  String(port),
  '--bind',
  '127.0.0.1',
  '--dir',
  dir,
  '--save',
  '',
  '--appendonly',
  'no',
  '--maxmemory-policy',
  'noeviction',
];

export interface SentinelSet {
  /** The master's name the sentinels watch. */
  name: string;
  /** `127.0.0.1:<port>,…`, as REDIS_SENTINELS takes it. */
  sentinels: string;
  sentinelPorts: number[];
  primaryPort: number;
  replicaPort: number;
  /** SIGKILLs the primary; resolves once it is dead. */
  killPrimary(): Promise<void>;
  /** The port of the primary the sentinels name now. */
  currentPrimary(): Promise<number>;
  output(): string;
  stop(): Promise<void>;
}

/**
 * A primary, a replica and three sentinels (quorum 2) that declare the primary down after
 * `downAfterMs` without an answer. Resolves once the replica is in sync and every sentinel knows
 * the replica and the two other sentinels (before that a failover could not be agreed).
 */
export async function startSentinelSet(options: { downAfterMs?: number } = {}): Promise<SentinelSet> {
  const name = 'dondoc-primary';
  const dir = await mkdtemp(path.join(tmpdir(), 'dondoc-sentinel-'));
  const servers: Server[] = [];
  const unregister = cleanupAtExit(() => servers, dir);
  const stop = async () => {
    await Promise.all(servers.map((s) => stopServer(s, 'SIGKILL')));
    unregister();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const primaryPort = await freePort();
    const replicaPort = await freePort();
    const primary = serve(dataArgs(primaryPort, dir), primaryPort);
    servers.push(primary);
    await waitFor(() => answers(primaryPort), 30_000, `redis primary on ${primaryPort}`);
    const replica = serve(
      [...dataArgs(replicaPort, dir), '--replicaof', '127.0.0.1', String(primaryPort), '--dbfilename', 'replica.rdb'],
      replicaPort,
    );
    servers.push(replica);
    await waitFor(
      async () => /master_link_status:up/.test(await redisCli(replicaPort, 'INFO', 'replication').catch(() => '')),
      30_000,
      'the replica in sync',
    );
    const sentinelPorts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const conf = path.join(dir, `sentinel-${port}.conf`);
      await writeFile(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 2`,
          `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1_000}`,
          `sentinel failover-timeout ${name} 10000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      servers.push(serve([conf, '--sentinel'], port));
      sentinelPorts.push(port);
    }
    await waitFor(
      async () => {
        for (const port of sentinelPorts) {
          const replicas = await redisCli(port, 'SENTINEL', 'REPLICAS', name).catch(() => '');
          const others = await redisCli(port, 'SENTINEL', 'SENTINELS', name).catch(() => '');
          if (!replicas.includes(String(replicaPort))) return false;
          if (sentinelPorts.filter((p) => p !== port).some((p) => !others.includes(String(p)))) return false;
        }
        return true;
      },
      60_000,
      'three sentinels that know the replica and each other',
    );
    const currentPrimary = async () => {
      for (const port of sentinelPorts) {
        const addr = await redisCli(port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name).catch(() => '');
        const p = Number(addr.split('\n')[1]);
        if (p) return p;
      }
      throw new Error('no sentinel answers');
    };
    return {
      name,
      sentinels: sentinelPorts.map((p) => `127.0.0.1:${p}`).join(','),
      sentinelPorts,
      primaryPort,
      replicaPort,
      killPrimary: () => stopServer(primary, 'SIGKILL'),
      currentPrimary,
      output: () => servers.map((s) => `--- ${s.port}\n${s.output()}`).join('\n'),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface ClusterSet {
  /** `127.0.0.1:<port>,…`, as REDIS_CLUSTER_NODES takes it. */
  nodes: string;
  ports: number[];
  stop(): Promise<void>;
}

/** A Redis Cluster of three primaries (no replicas), its 16,384 slots shared by `redis-cli --cluster create`. */
export async function startCluster(): Promise<ClusterSet> {
  const dir = await mkdtemp(path.join(tmpdir(), 'dondoc-cluster-'));
  const servers: Server[] = [];
  const unregister = cleanupAtExit(() => servers, dir);
  const stop = async () => {
    await Promise.all(servers.map((s) => stopServer(s, 'SIGKILL')));
    unregister();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const ports: number[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      ports.push(port);
      servers.push(
        serve(
          [
            ...dataArgs(port, dir),
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            path.join(dir, `nodes-${port}.conf`),
            '--cluster-node-timeout',
            '5000',
            '--dbfilename',
            `dump-${port}.rdb`,
          ],
          port,
        ),
      );
    }
    for (const port of ports) await waitFor(() => answers(port), 30_000, `cluster node on ${port}`);
    await run(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
      { timeout: 60_000 },
    );
    await waitFor(
      async () => {
        for (const port of ports) {
          const info = await redisCli(port, 'CLUSTER', 'INFO').catch(() => '');
          if (!/cluster_state:ok/.test(info) || !/cluster_known_nodes:3/.test(info)) return false;
        }
        return true;
      },
      60_000,
      'the cluster in state ok on every node',
    );
    return { nodes: ports.map((p) => `127.0.0.1:${p}`).join(','), ports, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
