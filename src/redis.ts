import { Redis, type RedisOptions } from 'ioredis';

export type { Redis };

/**
 * A new ioredis connection for BullMQ. Each Worker needs its own (its connection blocks), and
 * `maxRetriesPerRequest: null` is what BullMQ requires of worker connections.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, ...options });
}
