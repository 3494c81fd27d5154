import type { FastifyInstance } from 'fastify';
import { channelLabel } from '#root/channels/registry.js';
import { dateTime } from '#root/lib/format.js';
import { zonedDay } from '#root/domain/zoned-day.js';
import { messageIn, UserError } from '#root/errors/index.js';
import {
  PREVIEW_DEFAULT_DAYS as DEFAULT_DAYS,
  PREVIEW_MAX_DAYS,
  previewReminders,
  type PreviewRow,
} from '#root/services/preview.js';
import { adminOf, sendPage } from '../admin.js';
import { html, type Html } from '../html.js';
import { webWords, type WebT } from '../words.js';
import type { WebDeps } from '../server.js';

/** Rows shown at most: a quarter of a big organisation's reminders is tens of thousands. */
const SHOWN = 2_000;

/** A query parameter as text ('' when missing or repeated). */
const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

/** `n` days after a YYYY-MM-DD day; null when it is not a date (the service then says what is wrong). */
const addDays = (day: string, n: number) => {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(day) ? Date.parse(`${day}T00:00:00Z`) : Number.NaN;
  return Number.isNaN(ms) ? null : new Date(ms + n * 86_400_000).toISOString().slice(0, 10);
};

/** One message of the preview: a contact's day on a channel (its items), or a digest. */
interface PreviewMessage {
  at: Date;
  contact: string;
  channel: PreviewRow['channel'];
  digest: boolean;
  items: PreviewRow[];
  /** The unit of every item, said once by the recipient; null when they are of several (or a digest). */
  unit: string | null;
}

/** The rows grouped by the message they go out in (`message`), in the order the messages leave. */
function messagesOf(rows: PreviewRow[]): PreviewMessage[] {
  const byKey = new Map<string, Omit<PreviewMessage, 'unit'>>();
  for (const r of rows) {
    const m = byKey.get(r.message);
    if (m) {
      m.items.push(r);
      if (r.at < m.at) m.at = r.at;
    } else
      byKey.set(r.message, {
        at: r.at,
        contact: r.contact,
        channel: r.channel,
        digest: r.kind === 'digest',
        items: [r],
      });
  }
  return [...byKey.values()]
    .map((m) => ({ ...m, unit: unitOf(m.items) }))
    .sort((a, b) => a.at.getTime() - b.at.getTime());
}

/** The order a message lists its items in: what is late first, then due, then the rest. */
const KIND_ORDER: Record<PreviewRow['kind'], number> = {
  overdue: 0,
  due: 1,
  lead: 2,
  cooperating: 3,
  escalation: 4,
  digest: 5,
};

/** Items listed at once in a message's cell; the rest folded under "and N more". */
const ITEMS_OPEN = 5;

/** The unit of every item of a message, or null when they are of several (or none). */
const unitOf = (items: PreviewRow[]): string | null => {
  const units = new Set(items.map((r) => r.unit));
  return units.size === 1 ? [...units][0]! : null;
};

/** A message's items, one a line: its kind, the duty's code and, when they are of several units, the unit. */
function itemList(m: PreviewMessage, t: WebT<'preview'>): Html {
  const line = (r: PreviewRow) =>
    html`<li>${t(`kind.${r.kind}`)}: ${r.duty ?? ''}${m.unit === null && r.unit ? html` <span class="muted">(${r.unit})</span>` : ''}</li>`;
  const sorted = [...m.items].sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
  // One item more than the open ones is shown, not folded alone.
  const shown = sorted.length > ITEMS_OPEN + 1 ? ITEMS_OPEN : sorted.length;
  const open = sorted.slice(0, shown);
  const rest = sorted.slice(shown);
  return html`<ul class="items">${open.map(line)}</ul>${
    rest.length
      ? html`<details><summary>${t('restCountMore', { restCount: rest.length })}</summary><ul class="items">${rest.map(line)}</ul></details>`
      : ''
  }`;
}

/** Administrators' pages: the reminders and digests a date range would bring, sending nothing (as `dondoc preview`). */
export function registerPreviewPages(scope: FastifyInstance, deps: WebDeps): void {
  scope.get<{ Querystring: { from?: string; to?: string } }>('/preview', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('preview', a.lang);
    const zone = (await deps.db.organisation.findUniqueOrThrow({ where: { id: a.orgId }, select: { timeZone: true } }))
      .timeZone;
    const today = zonedDay(deps.clock.now(), zone);
    const from = text(req.query.from) || today;
    const to = text(req.query.to) || (addDays(from, DEFAULT_DAYS - 1) ?? addDays(today, DEFAULT_DAYS - 1)!);
    let result: Awaited<ReturnType<typeof previewReminders>> | null = null;
    let error: string | null = null;
    try {
      result = await previewReminders(deps.db, a.orgId, { from, to });
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      error = messageIn(e, a.lang);
    }
    const rows = result?.rows ?? [];
    const messages = messagesOf(rows);
    const digests = messages.filter((m) => m.digest).length;
    const items = rows.filter((r) => r.kind !== 'digest').length;
    const noChannel = messages.filter((m) => m.channel === null).length;
    return sendPage(req, reply, {
      status: error ? 400 : 200,
      error: error ? `${error.replace(/\.$/, '')}. ${t('nothingChanged')}` : null,
      title: t('reminderPreview'),
      body: html`<h1>${t('reminderPreview')}</h1>
<p>${t('everyReminderDigestCurrent', { previewMaxDays: PREVIEW_MAX_DAYS })}</p>
<form method="get" action="/admin/preview" class="row">
<label>${t('from')}<br><input type="date" name="from" value="${from}" required></label>
<label>${t('toDate')}<br><input type="date" name="to" value="${to}" required></label>
<button type="submit">${t('show')}</button></form>
${
  result
    ? html`<p><strong>${messages.length}</strong> ${t('messages')}: ${messages.length - digests} ${t('reminderMessagesCarrying')} ${t.count('itemCount', items)}, ${t.count('digestCount', digests)}${
        noChannel ? html` · <span class="flag">${t.count('withoutChannelCount', noChannel)}</span>` : ''
      }</p>
<p class="muted">${t('eachPersonGetsOne')}</p>
${messages.length > SHOWN ? html`<p class="flag">${t('onlyFirstShownNarrow', { shown: SHOWN })}</p>` : ''}
${
  messages.length
    ? html`<table class="stack"><thead><tr><th>${t('when')}</th><th>${t('recipient')}</th><th>${t('channel')}</th><th>${t('message')}</th></tr></thead><tbody>
${messages
  .slice(0, SHOWN)
  .map(
    (m) =>
      html`<tr><td data-label="" class="half short">${dateTime(m.at, zone)}</td><td data-label="" class="half"><strong>${m.contact}</strong>${m.unit ? html`<br><span class="muted">${m.unit}</span>` : ''}</td><td data-label="${t('channel')}" class="half short${m.channel ? '' : ' flag'}">${m.channel ? channelLabel(m.channel, a.lang) : t('noChannel')}</td><td data-label="">${
        m.digest ? t('kind.digest') : itemList(m, t)
      }</td></tr>`,
  )}</tbody></table>`
    : html`<p class="muted">${t('nothingRange')}</p>`
}`
    : ''
}`,
    });
  });
}
