import { channelLabel } from '#root/channels/registry.js';
import { failureInWords } from '#root/messages/refusal-words.js';
import type { AuditNames } from '#root/services/audit-names.js';
import { html, type Html, type Lang } from './html.js';
import { isWebKey, webWords, type WebT } from './words.js';
/*
 * What each action did, as a verb phrase before its object: "đã xác nhận hoàn thành" BC-15/11 của Sở
 * Y tế: `verb.<action>` in locales/<lang>/history.json.
 */

/** The actions about one channel of a contact, whose verb names it: "đã tắt kênh Telegram bị lỗi của". */
const CHANNEL_VERB = new Set(['contact.channel-disabled', 'contact.channel-enabled']);

/** The system's records of a channel failing, whose reason is the channel's answer, not a person's words. */
const CHANNEL_FAILURES = new Set(['contact.channel-disabled', 'reminder.failed', 'digest.failed']);

const num = (data: Record<string, unknown>, key: string) => (typeof data[key] === 'number' ? data[key] : null);

/** A few words of what the row's data says (counts, the reason), never its JSON. */
function details(action: string, data: Record<string, unknown>, t: WebT<'history'>): string {
  const parts: string[] = [];
  if (action === 'obligation.nudge' && num(data, 'reminders') !== null)
    parts.push(
      t('remindersObligations', { reminders: num(data, 'reminders')!, obligations: num(data, 'obligations') ?? '…' }),
    );
  if (action === 'duty.nudge-late' && num(data, 'units') !== null)
    parts.push(t('units', { units: num(data, 'units')! }));
  if (action.startsWith('group.') && Array.isArray(data.units))
    parts.push(data.units.filter((u): u is string => typeof u === 'string').join(', '));
  if (action === 'group.rename' && typeof data.from === 'string' && typeof data.to === 'string')
    parts.push(t('renamedFromTo', { from: data.from, to: data.to }));
  if (typeof data.alias === 'string') parts.push(`«${data.alias}»`);
  if (typeof data.name === 'string' && action !== 'unit.create') parts.push(`«${data.name}»`);
  return parts.join(', ');
}

/**
 * One audit row in words: who did what to which thing (a link to its page), with the reason given,
 * e.g. "Chị Quản Trị (quản trị viên) đã miễn BC-15/11 của Sở Y tế. Lý do: «…»".
 */
export function describeAudit(
  r: { actor: string; action: string; entity: string; entityId: string | null; data: unknown },
  names: AuditNames,
  lang: Lang,
): Html {
  const t = webWords('history', lang);
  const thing = names.entity(r.entity, r.entityId);
  const data =
    r.data && typeof r.data === 'object' && !Array.isArray(r.data) ? (r.data as Record<string, unknown>) : {};
  const extra = details(r.action, data, t);
  const verbKey = `verb.${r.action}`;
  const channelKey = `verbChannel.${r.action}`;
  const verb =
    CHANNEL_VERB.has(r.action) && typeof data.channel === 'string' && isWebKey('history', channelKey)
      ? t(channelKey, { channel: channelLabel(data.channel, lang) })
      : isWebKey('history', verbKey)
        ? t(verbKey)
        : null;
  const given = typeof data.reason === 'string' && data.reason ? data.reason : null;
  // A channel's failure keeps the channel's own answer as its reason: told in words, with what to
  // do, not quoted; a person's reason is quoted as they wrote it.
  const failure = given && CHANNEL_FAILURES.has(r.action) ? failureInWords(given, lang) : null;
  const reason = failure ? null : given;
  const object = thing ? (thing.href ? html` <a href="${thing.href}">${thing.name}</a>` : html` ${thing.name}`) : '';
  return html`<strong>${names.actor(r.actor)}</strong> ${verb ?? r.action}${object}${extra ? ` (${extra})` : ''}.${reason ? html` <span class="muted">${t('reason')}: «${reason.length > 300 ? `${reason.slice(0, 299)}…` : reason}»</span>` : ''}${failure ? html` <span class="muted">${t('reason')}: ${failure}</span>` : ''}`;
}
