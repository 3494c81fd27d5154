import { Cluster, Redis as Standalone, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { EnvConfig } from './config.js';

/** A connection to the deployment's Redis: one server, a primary found through Sentinel, or a Cluster. */
export type Redis = Standalone | Cluster;

/** Where the deployment's Redis is, as the configuration says (see {@link redisTargetOf}). */
export type RedisTarget =
  | { mode: 'server'; url: string; password?: string }
  | {
      mode: 'sentinel';
      sentinels: { host: string; port: number }[];
      name: string;
      password?: string;
      sentinelPassword?: string;
    }
  | { mode: 'cluster'; nodes: { host: string; port: number }[]; password?: string };

/** The Redis of a configuration: REDIS_SENTINELS, else REDIS_CLUSTER_NODES, else REDIS_URL. */
export function redisTargetOf(
  config: Pick<
    EnvConfig,
    | 'REDIS_URL'
    | 'REDIS_SENTINELS'
    | 'REDIS_SENTINEL_NAME'
    | 'REDIS_SENTINEL_PASSWORD'
    | 'REDIS_CLUSTER_NODES'
    | 'REDIS_PASSWORD'
  >,
): RedisTarget {
  const password = config.REDIS_PASSWORD ? { password: config.REDIS_PASSWORD } : {};
  if (config.REDIS_SENTINELS)
    return {
      mode: 'sentinel',
      sentinels: config.REDIS_SENTINELS,
      // loadConfig requires it with REDIS_SENTINELS.
      name: config.REDIS_SENTINEL_NAME ?? 'mymaster',
      ...password,
      ...(config.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: config.REDIS_SENTINEL_PASSWORD } : {}),
    };
  if (config.REDIS_CLUSTER_NODES) return { mode: 'cluster', nodes: config.REDIS_CLUSTER_NODES, ...password };
  return { mode: 'server', url: config.REDIS_URL, ...password };
}

/**
 * Reconnects (and sends the command again) when a server answers that it is a replica now: a
 * primary demoted by a failover while this connection stayed open to it.
 */
const reconnectOnReadonly = (error: Error) => (error.message.startsWith('READONLY') ? 2 : false);

/**
 * The one factory of every Redis connection of the program (queues, workers, the Telegram limits,
 * invite counters, the web's health check and queue pages, the command line): a new connection
 * to `target` (a REDIS_URL, or {@link redisTargetOf}'s answer). Each BullMQ Worker needs its own
 * (its connection blocks), and `maxRetriesPerRequest: null` is what BullMQ requires of worker
 * connections; `options` may lower it for a connection that must not wait forever (the CLI).
 *
 * - Sentinel: the primary is asked of the sentinels at each (re)connection, and a failover they
 *   announce (`+switch-master`) moves the connection at once; a server that turns out to be a
 *   replica is left for the primary.
 * - Cluster: ioredis's Cluster, `options` for each node's connection; every key of the program
 *   carries the prefix's hash tag (src/config.ts), so multi-key scripts stay in one slot.
 */
export function createRedis(target: string | RedisTarget, options: RedisOptions = {}): Redis {
  const base: RedisOptions = { maxRetriesPerRequest: null, enableReadyCheck: true, ...options };
  const t: RedisTarget = typeof target === 'string' ? { mode: 'server', url: target } : target;
  switch (t.mode) {
    case 'server':
      return new Standalone(t.url, { ...base, ...(t.password ? { password: t.password } : {}) });
    case 'sentinel':
      return new Standalone({
        ...base,
        sentinels: t.sentinels,
        name: t.name,
        ...(t.password ? { password: t.password } : {}),
        ...(t.sentinelPassword ? { sentinelPassword: t.sentinelPassword } : {}),
        failoverDetector: true,
        reconnectOnError: reconnectOnReadonly,
      });
    case 'cluster': {
      const { lazyConnect, ...redisOptions } = base;
      const clusterOptions: ClusterOptions = {
        // Every node's connection: named, BullMQ's retry setting, the password.
        redisOptions: { ...redisOptions, ...(t.password ? { password: t.password } : {}) },
        enableReadyCheck: true,
        ...(lazyConnect !== undefined ? { lazyConnect } : {}),
      };
      return new Cluster(t.nodes, clusterOptions);
    }
  }
}

/** Which Redis a target is, for the start's log line: modes and addresses, never a password. */
export function describeRedis(target: RedisTarget): string {
  const list = (nodes: { host: string; port: number }[]) => nodes.map((n) => `${n.host}:${n.port}`).join(',');
  switch (target.mode) {
    case 'server': {
      const u = new URL(target.url);
      return `${u.protocol}//${u.host}`;
    }
    case 'sentinel':
      return `sentinel ${target.name} via ${list(target.sentinels)}`;
    case 'cluster':
      return `cluster ${list(target.nodes)}`;
  }
}
