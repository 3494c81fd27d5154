import http from 'node:http';
import https from 'node:https';

/**
 * Connections the bot keeps open to the Bot API server, per process and server: enough for a burst
 * of a hundred presses to be answered at once. Each answer holds its connection for a network round
 * trip (Telegram answers in 50–300 ms); with 16 connections, the bench's hundred presses with 100 ms
 * of latency waited 650 ms at p95 for their answer to leave, six round trips in a queue, against
 * 39–64 ms with 100. The bound stays for larger bursts: grammY's own agent has none.
 */
export const TELEGRAM_MAX_SOCKETS = 100;

const agents = new Map<string, http.Agent>();

/**
 * The bot's grammY client options for a Bot API server: one keep-alive agent per server and
 * process with at most {@link TELEGRAM_MAX_SOCKETS} connections, kept open between bursts (a TLS
 * handshake each against Telegram). (The reminders channel keeps its own: its sends in flight are
 * bounded already.)
 */
export function telegramClientOptions(apiRoot: string) {
  let agent = agents.get(apiRoot);
  if (!agent) {
    const options = { keepAlive: true, maxSockets: TELEGRAM_MAX_SOCKETS };
    agents.set(apiRoot, (agent = apiRoot.startsWith('https:') ? new https.Agent(options) : new http.Agent(options)));
  }
  return { apiRoot, baseFetchConfig: { agent, ...(apiRoot.startsWith('https:') ? { compress: true } : {}) } };
}
