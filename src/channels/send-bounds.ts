/**
 * How long each channel's send may hold its claim, from the claim to the channel's answer, where the
 * bound is the code's and not a variable's: the claim's lease (CLAIM_LEASE_SECONDS) must outlast it,
 * and src/config.ts refuses a lease too short for a channel that is configured.
 */

/**
 * How long a reminder's Telegram request waits for room in Telegram's limits before it leaves anyway
 * (TELEGRAM_LIMITS=on), holding its claim; its call's timeout (TELEGRAM_TIMEOUT_SECONDS) comes on top.
 */
export const TELEGRAM_DEPART_MAX_WAIT_MS = 30_000;

/** The time allowed for one call to Zalo's Bot API, answer included. */
export const ZALO_CALL_TIMEOUT_MS = 10_000;

/**
 * The SMTP pool's timeouts. A send on a pooled connection waits at most `socket` for each answer of
 * the server; a new connection adds `connection` and `greeting`.
 */
export const SMTP_TIMEOUTS_MS = { connection: 10_000, greeting: 10_000, socket: 30_000 } as const;
