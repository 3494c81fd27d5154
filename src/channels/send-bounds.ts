/**
 * How long each channel's send may hold its claim, from the claim to the channel's answer: the
 * claim's lease (CLAIM_LEASE_SECONDS) must outlast it, and src/config.ts refuses a lease too short
 * for a channel that is configured, naming the largest timeout that fits. The timeouts are settings
 * (TELEGRAM_TIMEOUT_SECONDS, ZALO_TIMEOUT_SECONDS, SMTP_TIMEOUT_SECONDS, WEBHOOK_TIMEOUT_SECONDS);
 * here are the bounds that are the code's, and the settings' defaults the channels share with it.
 */

/**
 * How long a reminder's Telegram request waits for room in Telegram's limits before it leaves anyway
 * (TELEGRAM_LIMITS=on), holding its claim; its call's timeout (TELEGRAM_TIMEOUT_SECONDS) comes on top.
 */
export const TELEGRAM_DEPART_MAX_WAIT_MS = 30_000;

/** The time allowed for one call to Zalo's Bot API, answer included, unless ZALO_TIMEOUT_SECONDS says otherwise. */
export const DEFAULT_ZALO_TIMEOUT_SECONDS = 10;

/**
 * How long the SMTP server has to answer (the pool's socket timeout: a send on a pooled connection
 * waits at most this for each answer), unless SMTP_TIMEOUT_SECONDS says otherwise.
 */
export const DEFAULT_SMTP_TIMEOUT_SECONDS = 30;

/** The SMTP pool's timeouts to open a new connection: its TCP connection, then the server's greeting. */
export const SMTP_CONNECT_TIMEOUTS_MS = { connection: 10_000, greeting: 10_000 } as const;
