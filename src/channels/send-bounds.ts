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
 * Zalo 429 answers a reminder's send waits out before giving the message back to the queue: none.
 * Waiting one out inside the send would hold the claim for Zalo's hint (up to 30 s) and another
 * call; instead the limiter holds the chat and the bot for the hint, and the retry's `pace` waits
 * it out before its claim. So a send is one call: its message is rendered within Zalo's 2,000
 * characters (one part, paced before the claim), each call at most ZALO_TIMEOUT_SECONDS.
 */
export const ZALO_RATE_RETRIES_IN_SEND = 0;

/** The calls a reminder's Zalo send may make (see {@link ZALO_RATE_RETRIES_IN_SEND}). */
export const ZALO_CALLS_PER_SEND = 1 + ZALO_RATE_RETRIES_IN_SEND;

/** The longest 429 hint a Zalo call waits out (a longer one is thrown at once): 30 s. */
export const ZALO_MAX_RETRY_AFTER_SECONDS = 30;

/** What a reminder's Zalo send may wait for 429 hints under its claim: each retry's longest hint (0 ms). */
export const ZALO_SEND_WAIT_MS = ZALO_RATE_RETRIES_IN_SEND * ZALO_MAX_RETRY_AFTER_SECONDS * 1000;

/**
 * How long the SMTP server has to answer (the pool's socket timeout: a send on a pooled connection
 * waits at most this for each answer), unless SMTP_TIMEOUT_SECONDS says otherwise.
 */
export const DEFAULT_SMTP_TIMEOUT_SECONDS = 30;

/** The SMTP pool's timeouts to open a new connection: its TCP connection, then the server's greeting. */
export const SMTP_CONNECT_TIMEOUTS_MS = { connection: 10_000, greeting: 10_000 } as const;
