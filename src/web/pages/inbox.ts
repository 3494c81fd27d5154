import type { FastifyInstance } from 'fastify';
import { channelLabel } from '#root/channels/registry.js';
import { shortDate } from '#root/domain/wording.js';
import { zonedDay } from '#root/domain/zoned-day.js';
import { failureInWords } from '#root/messages/refusal-words.js';
import { FAILED_DAYS, inboxCounts, inboxEntries } from '#root/services/inbox.js';
import { adminOf, oneLanguage, sendPage } from '../admin.js';
import { html, type Html } from '../html.js';
import { webWords } from '../words.js';
import type { WebDeps } from '../server.js';

/** Entries listed per section (the count says how many there are in all). */
const LIMIT = 20;

/**
 * Administrators' pages: the inbox, what waits for them, each section with its count and each entry
 * linking to the page where it is resolved (decide an extension, fix a duty, accept a unit, add a
 * contact or a channel, look at a failed delivery).
 */
export function registerInboxPages(scope: FastifyInstance, deps: WebDeps): void {
  scope.get('/inbox', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('inbox', a.lang);
    const now = deps.clock.now();
    const [counts, e, org] = await Promise.all([
      inboxCounts(deps.db, a.orgId, now),
      inboxEntries(deps.db, a.orgId, now, LIMIT),
      deps.db.organisation.findUniqueOrThrow({ where: { id: a.orgId }, select: { timeZone: true } }),
    ]);
    const day = (d: Date) => shortDate(zonedDay(d, org.timeZone));
    // A section with something waiting is a card; an empty one a line (the page stays short).
    const section = (id: string, title: string, count: number, help: string, items: Html[]) =>
      count
        ? html`<section class="card" id="${id}"><h2>${title} <span class="inbox-count">${count}</span></h2><p class="muted">${help}</p><ul class="plain">${items.map((i) => html`<li>${i}</li>`)}</ul>${count > items.length ? html`<p class="muted">${t('more', { more: count - items.length })}</p>` : ''}</section>`
        : html`<p class="muted" id="${id}">✓ ${title}: ${t('none')}</p>`;
    const body = html`<h1>${t('toDoHeading')}</h1>
<p>${counts.total ? t.count('waiting', counts.total) : t('nothingWaiting')}</p>
${section(
  'extensions',
  t('extensionRequestsWaiting'),
  counts.extensions,
  t('openOneApproveRefuse'),
  e.extensions.map(
    (x) =>
      html`<a href="/admin/obligations/${x.obligation.id}">${x.obligation.duty.code} · ${x.obligation.unit.name}</a> — ${t('until')} ${day(x.requestedDue)}${x.contact ? html` (${x.contact.name})` : ''}: «${x.reason.slice(0, 120)}»`,
  ),
)}
${section(
  'duties',
  t('dutiesFlaggedReview'),
  counts.flaggedDuties,
  t('fixTimeframeTitleUnits'),
  e.duties.map(
    (d) =>
      html`<a href="/admin/duties/${d.id}">${d.plan.code} · ${d.code}</a> ${d.title.length > 80 ? `${d.title.slice(0, 79)}…` : d.title} — <span class="late-text">${oneLanguage(d.flags[0] ?? '', a.lang)}</span>${d.flags.length > 1 ? t('moreFlags', { moreFlags: d.flags.length - 1 }) : ''}`,
  ),
)}
${section(
  'proposed',
  t('unitsGroupsPlansProposed'),
  counts.proposedUnits + counts.proposedGroups,
  t('acceptOnePageMerge'),
  [
    ...e.units.map((u) => html`<a href="/admin/units/${u.id}">${u.name}</a> <span class="muted">(${t('unit')})</span>`),
    ...e.groups.map(
      (g) => html`<a href="/admin/groups/${g.id}">${g.name}</a> <span class="muted">(${t('group')})</span>`,
    ),
  ],
)}
${section(
  'no-contact',
  t('unitsWithoutContact'),
  counts.noContact,
  t('addContactUnitPage'),
  e.noContact.map((u) => html`<a href="/admin/units/${u.id}">${u.name}</a>`),
)}
${section(
  'no-channel',
  t('unitsNoWorkingChannel'),
  counts.noChannel,
  t('chooseChannelsAgainCreate'),
  e.noChannel.map((u) => html`<a href="/admin/units/${u.id}">${u.name}</a>`),
)}
${section(
  'failed',
  t('failedDeliveriesLastFailedDays', { failedDays: FAILED_DAYS }),
  counts.failed,
  t('checkRecipientAddressChannels'),
  e.failed.map(
    (r) =>
      html`<a href="/admin/units/${r.contact.unitId}">${r.contact.name} (${r.contact.unit.name})</a> · <a href="/admin/obligations/${r.obligation.id}">${r.obligation.duty.code}</a> · ${channelLabel(r.channel, a.lang)} · ${day(r.createdAt)}${
        // Why, and what to do, in words in the page's language; the channel's own answer stays in
        // the logs and the audit log's data, never on the page.
        r.lastError ? html` <span class="muted">— ${failureInWords(r.lastError, a.lang)}</span>` : ''
      }`,
  ),
)}`;
    return sendPage(req, reply, { title: t('toDo'), body });
  });
}
