import { isIP } from 'node:net';
import type { Lang } from '#root/domain/wording.js';
import { say } from '#root/messages/chat-words.js';
import { bareHost, refusedRange } from './ip.js';

/** A `host:port` pair the administrator of the deployment allowed despite the guards (WEBHOOK_ALLOW_HOSTS). */
export interface AllowedHost {
  host: string;
  port: number;
}

/** The longest webhook address accepted (browsers and servers commonly take 2,000 characters and more). */
export const WEBHOOK_URL_MAX = 2_000;

/** Why an address typed for a webhook is refused; each has its words in the locale files. */
export type WebhookUrlProblem = 'empty' | 'tooLong' | 'invalid' | 'scheme' | 'https' | 'credentials' | 'private';

export type WebhookUrlCheck = { ok: true; url: string } | { ok: false; problem: WebhookUrlProblem; text: string };

const defaultPort = (u: URL): number => (u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80);

/** Whether a URL's host and port are on the allow list (the host as written, case-insensitively, IPv6 without brackets). */
export function isAllowedHost(u: URL, allow: readonly AllowedHost[]): boolean {
  const host = bareHost(u.hostname).toLowerCase();
  const port = defaultPort(u);
  return allow.some((a) => bareHost(a.host).toLowerCase() === host && a.port === port);
}

/** Names that always mean this machine or its network, whatever DNS says (RFC 6761, common suffixes). */
const LOCAL_NAME = /(^|\.)(localhost|local|internal|intranet|lan|home\.arpa|localdomain)\.?$/i;

/**
 * Checks an address an administrator typed for a contact's webhook, before it is saved: a full
 * http(s) URL, https unless its `host:port` is allowed, no user name or password in it, and not a
 * private, loopback or other special address (written as an IP, or a name such as `localhost`).
 * Names are resolved, and checked again, at each send (see transport.ts). The URL kept is the
 * parsed one, without its `#fragment` (never sent to a server).
 */
export function checkWebhookUrl(input: string, allow: readonly AllowedHost[] = []): WebhookUrlCheck {
  const text = input.trim();
  const refuse = (problem: WebhookUrlProblem): WebhookUrlCheck => ({
    ok: false,
    problem,
    // Shown back to the administrator, shortened: never the whole of a very long paste.
    text: text.length > 80 ? `${text.slice(0, 77)}…` : text,
  });
  if (text === '') return refuse('empty');
  if (text.length > WEBHOOK_URL_MAX) return refuse('tooLong');
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return refuse(/^[a-z][a-z0-9+.-]*:/i.test(text) && !/^https?:/i.test(text) ? 'scheme' : 'invalid');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return refuse('scheme');
  if (u.hostname === '' || /\s/.test(text)) return refuse('invalid');
  if (u.username !== '' || u.password !== '') return refuse('credentials');
  const allowed = isAllowedHost(u, allow);
  if (!allowed) {
    // A private address first: the graver reason, and the one to tell.
    const host = bareHost(u.hostname);
    if (isIP(host) !== 0 ? refusedRange(host) !== undefined : LOCAL_NAME.test(host) || !host.includes('.'))
      return { ok: false, problem: 'private', text: u.hostname };
    if (u.protocol === 'http:') return refuse('https');
  }
  u.hash = '';
  return { ok: true, url: u.toString() };
}

/** Why an address was refused, in the person's language. */
export function webhookUrlProblemText(lang: Lang, check: Extract<WebhookUrlCheck, { ok: false }>): string {
  return say(lang, `webhookUrl.${check.problem}`, { text: check.text, count: WEBHOOK_URL_MAX });
}

/** The new secret, for the one time it is shown to the administrator who set the address. */
export function webhookSecretText(lang: Lang, secret: string): string {
  return say(lang, 'webhookSecret.shown', { text: secret });
}

/** The channel's name for people. */
export const webhookLabel = (lang: Lang): string => say(lang, 'channel.webhook');

/**
 * An address as lists show it: scheme, host and port, and the path's last part shortened; the
 * query (which may hold a receiver's token) never. `https://vb.tinh.gov.vn/api/dondoc?key=…` →
 * `https://vb.tinh.gov.vn/…/dondoc`.
 */
export function maskWebhookUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '…';
  }
  const parts = u.pathname.split('/').filter(Boolean);
  const last = parts.at(-1);
  const tail = last === undefined ? '' : parts.length > 1 ? `/…/${last}` : `/${last}`;
  return `${u.protocol}//${u.host}${tail.length > 40 ? `${tail.slice(0, 39)}…` : tail}${u.search ? '?…' : ''}`;
}
