import http from 'node:http';
import https from 'node:https';

/** Connections the bot keeps open to the Bot API server, per process and server. */
export const TELEGRAM_MAX_SOCKETS = 16;

const agents = new Map<string, http.Agent>();

/**
 * The bot's grammY client options for a Bot API server: one keep-alive agent per server and
 * process with at most {@link TELEGRAM_MAX_SOCKETS} connections. grammY's own agent has no bound: a
 * burst of a hundred presses opened a hundred connections (a TLS handshake each, against Telegram)
 * to answer them. (The reminders channel keeps its own: its sends in flight are bounded already.)
 */
export function telegramClientOptions(apiRoot: string) {
  let agent = agents.get(apiRoot);
  if (!agent) {
    const options = { keepAlive: true, maxSockets: TELEGRAM_MAX_SOCKETS };
    agents.set(apiRoot, (agent = apiRoot.startsWith('https:') ? new https.Agent(options) : new http.Agent(options)));
  }
  return { apiRoot, baseFetchConfig: { agent, ...(apiRoot.startsWith('https:') ? { compress: true } : {}) } };
}
