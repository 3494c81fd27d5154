import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import { ADDRESSED, CHANNEL_SPECS, channelLabel, channelWordsOf, TYPED } from '#root/channels/registry.js';
import { dueInstant, obligationState, type ObligationState } from '#root/domain/obligation-state.js';
import { periodInWords, shortDate } from '#root/domain/wording.js';
import { yearWindow, zonedDay, zonedYear } from '#root/domain/zoned-day.js';
import { ContactRole } from '#root/generated/prisma/client.js';
import { say } from '#root/messages/chat-words.js';
import { failureInWords } from '#root/messages/refusal-words.js';
import { calendarTokenOf, calendarUrl, ensureCalendarToken, regenerateCalendarToken } from '#root/services/calendar.js';
import { addContact, createInvite, setContactAddress, setContactChannels } from '#root/services/contacts.js';
import { auditNames, type AuditNames } from '#root/services/audit-names.js';
import { listObligations, reconcileCurrent } from '#root/services/obligations.js';
import { NotFoundError, UserError } from '#root/errors/index.js';
import { unitsWithoutHead } from '#root/services/planner.js';
import {
  acceptProposedById,
  addAlias,
  addMembers,
  addUnit,
  mergeUnits,
  removeMembers,
  groupOverview,
  isUuid,
  unitDetail,
  unitHistory,
  unitOverview,
} from '#root/services/units.js';
import { adminOf, csrfField, field, redirectWith, sendPage } from '../admin.js';
import { describeAudit } from '../history.js';
import { html, raw, type Html, type Lang } from '../html.js';
import { webWords, type WebT } from '../words.js';
import { pageOf, pager, splitNow, stateCounts } from './periods.js';
import type { WebDeps } from '../server.js';

type T = WebT<'units'>;

/** History rows shown per page of the unit page. */
export const HISTORY_PAGE = 15;
/** Obligations shown per page of the unit page's whole year. */
export const OBLIGATIONS_PAGE = 15;
/** At most this many of the unit's current and overdue periods at the top of its page. */
export const NOW_ROWS = 10;

/** A table cell coloured by an obligation's state (the status page's colours), named by `state.<state>`. */
export const stateCell = (lang: Lang, state: ObligationState) =>
  html`<td class="s-${state}">${webWords('units', lang)(`state.${state}`)}</td>`;

/** Whether an obligation is shown as history: open, of a period before its plan was tracked from. */
export const isHistoryRow = (o: { history: boolean; status: string }) => o.history && o.status === 'open';

/** The state cell of an obligation, or "history" for an open period before its plan was tracked from. */
export function obligationCell(
  lang: Lang,
  o: Parameters<typeof obligationState>[0] & { history: boolean },
  now: Date,
): Html {
  const t = webWords('units', lang);
  return isHistoryRow(o)
    ? html`<td class="s-none" title="${t('periodBeforePlanTracked')}">${t('historyBeforeTracking')}</td>`
    : stateCell(lang, obligationState(o, now));
}

/** A contact's roles, in the order the form offers them (each named by `role.<role>`). */
const ROLES = Object.values(ContactRole);

const when = (d: Date, zone: string) =>
  new Intl.DateTimeFormat('vi-VN', {
    timeZone: zone,
    day: '2-digit',
    month: '2-digit',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(d);

/** Where the feed is reachable: PUBLIC_URL, else the origin the administrator is using. */
const baseUrl = (req: FastifyRequest, deps: WebDeps) => deps.config.PUBLIC_URL ?? `${req.protocol}://${req.host}`;

const yearOf = (raw: unknown, fallback: number) => {
  const y = typeof raw === 'string' && /^\d{4}$/.test(raw) ? Number(raw) : NaN;
  return y >= 2000 && y <= 2100 ? y : fallback;
};

function notFound(req: FastifyRequest, reply: FastifyReply) {
  const t = webWords('units', adminOf(req).lang);
  return sendPage(req, reply, {
    status: 404,
    title: t('notFound'),
    body: html`<h1>${t('noSuchUnit')}</h1><p><a href="/admin/units">${t('backUnits')}</a></p>`,
  });
}

function unitsBody(
  req: FastifyRequest,
  t: T,
  q: string,
  units: Awaited<ReturnType<typeof unitOverview>>,
  groups: Awaited<ReturnType<typeof groupOverview>>,
  headless: { id: string; name: string }[],
): Html {
  const proposed = units.filter((u) => u.proposed).length;
  const noHead = new Set(headless.map((u) => u.id));
  const unreachable = units.reduce((n, u) => n + u.unreachable, 0);
  const accept = (path: string) =>
    html`<form method="post" action="${path}" class="inline">${csrfField(req)}<button type="submit">${t('accept')}</button></form>`;
  return html`<h1>${t('units')}</h1>
<form method="get" action="/admin/units" class="row" role="search">
<label>${t('filterNameAliasGroup')}<br><input type="text" name="q" value="${q}" maxlength="200"></label>
<button type="submit">${t('filter')}</button>${q ? html` <a href="/admin/units">${t('clear')}</a>` : ''}</form>
<p class="muted">${t('unitsCountUnits', { unitsCount: units.length })}${proposed ? t('proposedReview', { proposed }) : ''}${unreachable ? t.count('unreachableContacts', unreachable) : ''}.</p>
${headless.length ? html`<p class="flag">${t('headlessCountUnitsNoHead', { headlessCount: headless.length })}</p>` : ''}
<table class="stack"><thead><tr><th>${t('name')}</th><th>${t('aliases')}</th><th>${t('groups')}</th><th>${t('contacts')}</th><th></th></tr></thead><tbody>
${units.map(
  (
    u,
  ) => html`<tr${u.proposed ? html` class="flag"` : ''}><td data-label=""><a href="/admin/units/${u.id}">${u.name}</a>${u.proposed ? html` <strong>(${t('proposed')})</strong>` : ''}${u.active ? '' : html` <span class="muted">(${t('inactive')})</span>`}</td>
<td data-label="${u.aliases.length ? t('aliases') : ''}">${u.aliases.join('; ')}</td><td data-label="${u.groups.length ? t('groups') : ''}">${u.groups.join('; ')}</td>
<td data-label="${t('contacts')}">${u.contacts}${u.unreachable ? html` · <span class="flag" title="${t('noWorkingChannel')}">⚠ ${t('unreachableCount', { unreachable: u.unreachable })}</span>` : ''}${u.contacts === 0 ? html` · <span class="flag">${t('nobody')}</span>` : ''}${noHead.has(u.id) ? html` · <span class="flag">${t('noHeadReceiveEscalations')}</span>` : ''}</td>
<td data-label="">${u.proposed ? accept(`/admin/units/${u.id}/accept`) : ''}</td></tr>`,
)}
</tbody></table>
${units.length === 0 ? html`<p>${t('noUnitMatches')}</p>` : ''}
<h2>${t('addUnit')}</h2>
<form method="post" action="/admin/units" class="card">${csrfField(req)}
<p><label>${t('unitName')}<br><input type="text" name="name" required maxlength="300" class="wide"></label></p>
<p><label>${t('otherNamesSeparated')}<br><input type="text" name="aliases" maxlength="1000" class="wide"></label></p>
<p><button type="submit">${t('addUnitButton')}</button></p></form>
<h2 id="groups">${t('unitGroups')}</h2>
<table class="stack"><thead><tr><th>${t('group')}</th><th>${t('aliases')}</th><th>${t('members')}</th><th></th></tr></thead><tbody>
${groups.map(
  (
    g,
  ) => html`<tr${g.proposed ? html` class="flag"` : ''}><td data-label=""><a href="/admin/groups/${g.id}">${g.name}</a>${g.proposed ? html` <strong>(${t('proposed')})</strong>` : ''}</td><td data-label="${g.aliases.length ? t('aliases') : ''}">${g.aliases.join('; ')}</td>
<td data-label="${t('members')}">${g.members}${g.members === 0 ? html` · <span class="flag">${t('noMembersDutiesBind')}</span>` : ''}</td>
<td data-label="">${g.proposed ? accept(`/admin/units/groups/${g.id}/accept`) : ''}</td></tr>`,
)}
</tbody></table>`;
}

type Detail = NonNullable<Awaited<ReturnType<typeof unitDetail>>>;

type DetailContact = Detail['contacts'][number];
type Addressed = (typeof ADDRESSED)[number];

/** A contact's address on one channel: a linked chat as linked or not, a typed one as its spec shows it (masked). */
function addressCell(t: T, lang: Lang, spec: Addressed, c: DetailContact): Html {
  const label = channelLabel(spec.name, lang);
  if (spec.address.entry === 'linked')
    return html`<td data-label="${label}" class="half">${spec.address.has(c) ? t('linked') : html`<span class="muted">${t('no')}</span>`}</td>`;
  const shown = spec.address.show(c);
  return html`<td data-label="${label}">${shown ?? html`<span class="muted">${t('none')}</span>`}</td>`;
}

/** Sets or clears a typed address of a contact (email, …): the channel, then the address (empty clears it). */
function addressForm(req: FastifyRequest, t: T, lang: Lang, unitId: string, c: DetailContact): Html {
  return html`<form method="post" action="/admin/units/${unitId}/contacts/${c.id}/address" class="inline">${csrfField(req)}<select name="channel" aria-label="${t('channelNameNewAddress', { name: c.name })}">${TYPED.map((spec) => html`<option value="${spec.name}">${channelLabel(spec.name, lang)}</option>`)}</select> <input type="text" name="address" maxlength="${Math.max(...TYPED.map((spec) => spec.address.input?.maxLength ?? 200))}" aria-label="${t('nameNewAddressEmpty', { name: c.name })}" class="w12"> <button type="submit" class="secondary">${t('setAddress')}</button></form>`;
}

function contactsTable(req: FastifyRequest, t: T, unit: Detail): Html {
  const lang = adminOf(req).lang;
  if (unit.contacts.length === 0) return html`<p class="flag">${t('unitNoContactNobody')}</p>`;
  return html`<table class="stack"><thead><tr><th>${t('name')}</th><th>${t('role')}</th><th>${t('channelsOrder')}</th>${ADDRESSED.map((spec) => html`<th>${channelLabel(spec.name, lang)}</th>`)}<th>${t('state')}</th><th></th></tr></thead><tbody>
${unit.contacts.map(
  (
    c,
  ) => html`<tr${c.unreachable ? html` class="flag"` : ''}><td data-label=""><strong>${c.name}</strong></td><td data-label="${t('role')}">${t(`role.${c.role}`)}</td>
<td data-label="${t('channels')}">${c.channels.map((ch, i) => html`${i ? ' → ' : ''}${c.disabledChannels.includes(ch) ? html`<s>${channelLabel(ch, lang)}</s> <span class="flag">(${say(lang, 'failure.failed', { reason: failureInWords(c.failures.get(ch) ?? '', lang) })})</span>` : channelLabel(ch, lang)}`)}</td>
${ADDRESSED.map((spec) => addressCell(t, lang, spec, c))}
<td data-label="">${!c.active ? t('inactive') : c.unreachable ? html`⚠ ${t('unreachable')}${c.unreachableSince ? html` ${t('since')} ${shortDate(zonedDay(c.unreachableSince, unit.org.timeZone))}` : ''}` : ''}</td>
<td data-label="">${
    c.active
      ? html`<form method="post" action="/admin/units/${unit.id}/contacts/${c.id}/invite" class="inline">${csrfField(req)}<button type="submit" class="secondary">${t('createInvite')}</button></form>
<form method="post" action="/admin/units/${unit.id}/contacts/${c.id}/channels" class="inline">${csrfField(req)}<input type="text" name="channels" value="${c.channels.map((ch) => channelLabel(ch, lang)).join(', ')}" required maxlength="100" aria-label="${t('nameChannelsOrder', { name: c.name })}" class="w12"> <button type="submit" class="secondary">${t('setChannels')}</button></form>
${TYPED.length ? addressForm(req, t, lang, unit.id, c) : ''}`
      : ''
  }</td></tr>`,
)}
</tbody></table>
<p class="muted">${t('struckOutChannelFailed')}</p>`;
}

function addContactForm(req: FastifyRequest, t: T, unitId: string): Html {
  const lang = adminOf(req).lang;
  return html`<form method="post" action="/admin/units/${unitId}/contacts" class="card">${csrfField(req)}
<div class="row"><label>${t('fullName')}<br><input type="text" name="name" required maxlength="200"></label>
<label>${t('role')}<br><select name="role">${ROLES.map((r) => html`<option value="${r}">${t(`role.${r}`)}</option>`)}</select></label>
${TYPED.map((spec) => html`<label>${channelLabel(spec.name, lang)}<br><input type="${spec.address.input?.type ?? 'text'}" name="${spec.name}" maxlength="${spec.address.input?.maxLength ?? 200}" placeholder="${spec.address.input?.example ?? ''}"></label>`)}
<label>${t('channelsInOrder')}<br><input type="text" name="channels" placeholder="${[...ADDRESSED, ...CHANNEL_SPECS.filter((spec) => !spec.address)].map((spec) => channelLabel(spec.name, lang)).join(', ')}" maxlength="100"></label>
<label>${t('language')}<br><select name="locale"><option value="vi">Tiếng Việt</option><option value="en">English</option></select></label></div>
<p class="muted">${t('channelsLeftEmptyEmail')}</p>
<p><button type="submit">${t('addContactButton')}</button></p></form>`;
}

function historyTable(
  t: T,
  rows: Awaited<ReturnType<typeof unitHistory>>,
  names: AuditNames,
  lang: Lang,
  zone: string,
  unitId: string,
  year: number,
): Html {
  if (rows.length === 0) return html`<p class="muted">${t('nothingLogYet')}</p>`;
  const more = rows.length === HISTORY_PAGE ? rows[rows.length - 1]!.id : null;
  // In words, with names and links; the action's code stays, small, for who searches the log by it.
  return html`<ul class="plain history">
${rows.map((r) => html`<li><span class="muted">${when(r.at, zone)}</span> · ${describeAudit(r, names, lang)} <span class="muted code">${r.action}</span></li>`)}
</ul>${more !== null ? html`<p><a href="/admin/units/${unitId}?year=${year}&amp;before=${more.toString()}#history">${t('older')}</a></p>` : ''}`;
}

/** Administrators' pages: the units list and each unit's page (contacts, invites, obligations, history, calendar feed). */
export function registerUnitPages(scope: FastifyInstance, deps: WebDeps): void {
  const config = deps.config;

  scope.get<{ Querystring: { q?: string } }>('/units', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('units', a.lang);
    const q = typeof req.query.q === 'string' ? req.query.q.trim().slice(0, 200) : '';
    const [units, groups, headless] = await Promise.all([
      unitOverview(deps.db, a.orgId, q),
      groupOverview(deps.db, a.orgId),
      unitsWithoutHead(deps.db, a.orgId),
    ]);
    return sendPage(req, reply, { title: t('units'), body: unitsBody(req, t, q, units, groups, headless) });
  });

  scope.post('/units', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('units', a.lang);
    const aliases = field(req.body, 'aliases')
      .split(';')
      .map((s) => s.trim())
      .filter(Boolean);
    const unit = await addUnit(deps.db, a.orgId, field(req.body, 'name'), aliases, a.actor);
    return redirectWith(reply, `/admin/units/${unit.id}`, t('unitNameAdded', { name: unit.name }));
  });

  // What `dondoc units alias`, `groups add/remove` and `units merge` do, from the unit's page.
  const unitOr404 = async (req: FastifyRequest<{ Params: { id: string } }>) => {
    const unit = await unitDetail(deps.db, adminOf(req).orgId, req.params.id);
    if (!unit) throw new NotFoundError(webWords('units', adminOf(req).lang)('noSuchUnitSentence'));
    return unit;
  };

  scope.post<{ Params: { id: string } }>('/units/:id/aliases', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('units', a.lang);
    const unit = await unitOr404(req);
    const alias = field(req.body, 'alias');
    if (!alias) throw new UserError(t('aliasCannotEmpty'));
    await addAlias(deps.db, a.orgId, unit.name, alias, a.actor);
    return redirectWith(reply, `/admin/units/${unit.id}`, t('aliasAdded', { alias }));
  });

  scope.post<{ Params: { id: string } }>('/units/:id/groups', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('units', a.lang);
    const unit = await unitOr404(req);
    const groupId = field(req.body, 'group');
    const group = isUuid(groupId)
      ? await deps.db.unitGroup.findFirst({ where: { id: groupId, orgId: a.orgId } })
      : null;
    if (!group) throw new NotFoundError(t('noSuchGroup'));
    const op = field(req.body, 'op');
    if (op === 'remove') await removeMembers(deps.db, a.orgId, group.name, [unit.name], a.actor);
    else await addMembers(deps.db, a.orgId, group.name, [unit.name], a.actor);
    // Duties assigned to the group bind its members: this year's and next year's obligations follow.
    await reconcileCurrent(deps.db, a.orgId, deps.clock.now(), a.actor);
    return redirectWith(
      reply,
      `/admin/units/${unit.id}`,
      op === 'remove'
        ? t('unitNameRemovedFromGroupName', { unitName: unit.name, groupName: group.name })
        : t('unitNameAddedGroupName', { unitName: unit.name, groupName: group.name }),
    );
  });

  scope.post<{ Params: { id: string } }>('/units/:id/merge', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('units', a.lang);
    const unit = await unitOr404(req);
    const intoId = field(req.body, 'into');
    const into = isUuid(intoId) ? await deps.db.unit.findFirst({ where: { id: intoId, orgId: a.orgId } }) : null;
    if (!into) throw new NotFoundError(t('noSuchUnitMerge'));
    const r = await mergeUnits(deps.db, a.orgId, unit.name, into.name, a.actor);
    return redirectWith(reply, `/admin/units/${into.id}`, t('fromMergedIntoAlias', { from: r.from, into: r.into }));
  });

  scope.post<{ Params: { id: string } }>('/units/:id/accept', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('units', a.lang);
    const r = await acceptProposedById(deps.db, a.orgId, 'unit', req.params.id, a.actor);
    return redirectWith(
      reply,
      '/admin/units',
      r.changed ? t('unitNameAccepted', { name: r.name }) : t('nameAlreadyAccepted', { name: r.name }),
    );
  });

  scope.post<{ Params: { id: string } }>('/units/groups/:id/accept', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('units', a.lang);
    const r = await acceptProposedById(deps.db, a.orgId, 'group', req.params.id, a.actor);
    return redirectWith(
      reply,
      '/admin/units',
      r.changed ? t('groupNameAccepted', { name: r.name }) : t('nameAlreadyAccepted', { name: r.name }),
    );
  });

  scope.get<{ Params: { id: string }; Querystring: { year?: string; before?: string; page?: string; open?: string } }>(
    '/units/:id',
    async (req, reply) => {
      const a = adminOf(req);
      const t = webWords('units', a.lang);
      const unit = await unitDetail(deps.db, a.orgId, req.params.id);
      if (!unit) return notFound(req, reply);
      const zone = unit.org.timeZone;
      const now = deps.clock.now();
      const year = yearOf(req.query.year, zonedYear(now, zone));
      const before =
        typeof req.query.before === 'string' && /^\d{1,18}$/.test(req.query.before)
          ? BigInt(req.query.before)
          : undefined;
      const [obligations, history, token] = await Promise.all([
        listObligations(deps.db, a.orgId, yearWindow(year), { unitId: unit.id }),
        unitHistory(deps.db, a.orgId, unit.id, { limit: HISTORY_PAGE, ...(before !== undefined ? { before } : {}) }),
        // Read only: the token is made by the button below (a POST), never by viewing the page.
        calendarTokenOf(deps.db, a.orgId, unit.id),
      ]);
      const feed = token ? calendarUrl(baseUrl(req, deps), token) : null;
      const [allGroups, otherUnits] = await Promise.all([
        deps.db.unitGroup.findMany({
          where: { orgId: a.orgId },
          select: { id: true, name: true },
          orderBy: { name: 'asc' },
        }),
        deps.db.unit.findMany({
          where: { orgId: a.orgId, id: { not: unit.id } },
          select: { id: true, name: true },
          orderBy: { name: 'asc' },
        }),
      ]);
      // What the unit must do now first: each duty's current period and whatever is overdue; the
      // whole year a page at a time behind a link (?page=), the open ones first. Another year: whole.
      const thisYear = year === zonedYear(now, zone);
      const split = splitNow(obligations, now, (o) => `${o.plan} ${o.duty}`);
      const whole = !thisYear || req.query.page !== undefined;
      const { page, pages } = pageOf(req.query.page, obligations.length, OBLIGATIONS_PAGE);
      // The open ones first, then the done and waived, then the periods before tracking (history).
      const rank = (o: (typeof obligations)[number]) => (isHistoryRow(o) ? 2 : o.status === 'open' ? 0 : 1);
      const openFirst = [...obligations].sort(
        (x, y) => rank(x) - rank(y) || dueInstant(x).getTime() - dueInstant(y).getTime(),
      );
      const shownObligations = whole
        ? openFirst.slice((page - 1) * OBLIGATIONS_PAGE, page * OBLIGATIONS_PAGE)
        : split.now.slice(0, NOW_ROWS);
      const states = obligations.filter((o) => !isHistoryRow(o)).map((o) => obligationState(o, now));
      const overdue = states.filter((x) => x === 'overdue').length;
      const yearLink = (p: number | null) =>
        `/admin/units/${unit.id}?year=${year}${p !== null ? `&page=${p}` : ''}#obligations`;
      const body = html`<p><a href="/admin/units">← ${t('units')}</a></p>
<h1>${unit.name}${unit.proposed ? html` <strong class="flag">(${t('proposed')})</strong>` : ''}${unit.active ? '' : html` <span class="muted">(${t('inactive')})</span>`}</h1>
${unit.proposed ? html`<form method="post" action="/admin/units/${unit.id}/accept" class="inline">${csrfField(req)}<button type="submit">${t('acceptProposedUnit')}</button></form>` : ''}
<p class="big${overdue ? ' late-text' : ''}">${
        thisYear ? (overdue ? t.count('obligationsOverdue', overdue) : t('nothingOverdue')) : t('year', { year })
      }</p>
${stateCounts(t.lang, states, obligations.length - states.length)}
<h2 id="obligations">${t('obligationsYear', { year })}${
        whole ? '' : html` <span class="muted">${t('currentOverdue')}</span>`
      }</h2>
${
  shownObligations.length
    ? html`<table class="stack"><thead><tr><th>${t('noSentence')}</th><th>${t('due')}</th><th>${t('period')}</th><th>${t('stateHeading')}</th><th>${t('duty')}</th><th class="wide-only">${t('plan')}</th></tr></thead><tbody>
${shownObligations.map(
  (o) =>
    html`<tr><td data-label="" class="half short"><span class="phone-only">${t('noSentence')} </span><a href="/admin/obligations/${o.id}">${o.duty}</a></td><td data-label="" class="half short"><span class="phone-only">${t('dueLower')} </span>${shortDate(zonedDay(dueInstant(o), zone))}</td><td data-label="" class="half short">${periodInWords(o.period, t.lang)}</td>${obligationCell(t.lang, o, now)}<td data-label="" class="clamp">${o.dutyTitle}</td><td class="wide-only short">${o.plan}</td></tr>`,
)}</tbody></table>`
    : html`<p class="muted">${obligations.length ? t('noPeriodOpenOverdue') : t('noObligationYear')}</p>`
}
${
  whole
    ? html`${pager(t.lang, page, pages, yearLink)}${thisYear ? html`<p><a href="${yearLink(null)}">← ${t('onlyCurrentOverdue')}</a></p>` : ''}`
    : obligations.length > shownObligations.length
      ? html`<p><a href="${yearLink(1)}">${t('allObligationsOfYear', { obligationsCount: obligations.length, year })}</a></p>`
      : ''
}
<form method="get" action="/admin/units/${unit.id}" class="row"><label>${t('yearLabel')} <input type="text" name="year" value="${year}" size="5" inputmode="numeric" pattern="[0-9]{4}"></label><button type="submit" class="secondary">${t('show')}</button></form>
<h2>${t('contactsContactsCount', { contactsCount: unit.contacts.length })}</h2>
${contactsTable(req, t, unit)}
<details class="card"><summary>${t('addContact')}</summary>${addContactForm(req, t, unit.id)}</details>
<details class="card"><summary>${t('aliasesGroupsMerging', { aliasesCount: unit.aliases.length, groupsCount: unit.groups.length })}</summary>
<p>${t('aliases')}: ${unit.aliases.length ? unit.aliases.map((x) => x.alias).join('; ') : '—'}<br>
${t('groups')}: ${unit.groups.length ? unit.groups.map((g) => g.name).join('; ') : '—'}</p>
<form method="post" action="/admin/units/${unit.id}/aliases" class="row">${csrfField(req)}<label>${t('addAliasHowPlans')}<br><input type="text" name="alias" required maxlength="300" class="w22" placeholder="${t('eGSTttt')}"></label><button type="submit">${t('addAlias')}</button></form>
<form method="post" action="/admin/units/${unit.id}/groups" class="row">${csrfField(req)}<label>${t('group')}<br><select name="group" required>${allGroups.map((g) => html`<option value="${g.id}">${g.name}</option>`)}</select></label><button type="submit" name="op" value="add">${t('addGroup')}</button> <button type="submit" name="op" value="remove" class="secondary">${t('removeFromGroup')}</button></form>
<form method="get" action="/admin/ask" class="row"><input type="hidden" name="do" value="/admin/units/${unit.id}/merge"><label>${t('mergeUnitInto')}<br><select name="into" required>${otherUnits.map((u) => html`<option value="${u.id}">${u.name}</option>`)}</select></label><button type="submit" class="danger">${t('merge')}</button></form>
<p class="muted">${t('mergingMovesContactsObligations')}</p></details>
<details class="card" id="calendar"${req.query.open === 'calendar' ? raw(' open') : ''}><summary>${t('calendarFeedICalendar')}: ${feed ? t('addressMade') : t('noAddressYet')}</summary>
<p>${t('unitAddsSecretAddress')}</p>
${
  feed
    ? html`<p><input type="text" readonly value="${feed}" class="wide" aria-label="${t('calendarAddress')}"></p>
<form method="get" action="/admin/ask" class="inline"><input type="hidden" name="do" value="/admin/units/${unit.id}/calendar/replace"><input type="hidden" name="back" value="/admin/units/${unit.id}?open=calendar#calendar"><button type="submit" class="danger">${t('createNewAddress')}</button></form>
<span class="muted">${t('oldAddressStopsWorking')}</span>`
    : html`<p class="muted">${t('unitNoCalendarAddress')}</p>
<form method="post" action="/admin/units/${unit.id}/calendar" class="inline">${csrfField(req)}<button type="submit">${t('createCalendarAddress')}</button></form>`
}</details>
<details class="card" id="history"${before !== undefined ? raw(' open') : ''}><summary>${t('history')} <span class="muted">(${
        history.length === HISTORY_PAGE
          ? t('latestHistoryPageOlder', { historyPage: HISTORY_PAGE })
          : t.count('historyEntries', history.length)
      })</span></summary>
${historyTable(t, history, await auditNames(deps.db, a.orgId, history, a.lang), a.lang, zone, unit.id, year)}</details>`;
      return sendPage(req, reply, { title: unit.name, body });
    },
  );

  scope.post<{ Params: { id: string } }>('/units/:id/contacts', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('units', a.lang);
    const unit = await unitDetail(deps.db, a.orgId, req.params.id);
    if (!unit) return notFound(req, reply);
    const addresses = Object.fromEntries(TYPED.map((spec) => [spec.name, field(req.body, spec.name)]));
    const channels = channelWordsOf([field(req.body, 'channels')]);
    const c = await addContact(
      deps.db,
      a.orgId,
      {
        unitId: unit.id,
        name: field(req.body, 'name'),
        role: field(req.body, 'role') || 'contact',
        locale: field(req.body, 'locale') || 'vi',
        addresses,
        ...(channels.length ? { channels } : {}),
      },
      a.actor,
      { address: { config }, lang: a.lang },
    );
    if (c.reveal) return revealPage(req, reply, t, unit, c.name, c.reveal);
    return redirectWith(reply, `/admin/units/${unit.id}`, t('contactNameAdded', { name: c.name }));
  });

  /** The unit of the path and its contact, only if the contact is that unit's (a forged pair: null, the 404). */
  const unitContact = async (orgId: string, params: { id: string; contactId: string }) => {
    const unit = await unitDetail(deps.db, orgId, params.id);
    const contact = unit?.contacts.find((c) => c.id === params.contactId);
    return unit && contact ? { unit, contact } : null;
  };
  type UnitContact = NonNullable<Awaited<ReturnType<typeof unitContact>>>;

  /**
   * A form posted about one contact of one unit (`/units/:id/contacts/:contactId/<action>`): the
   * handler is given the administrator, their translator, the unit and the contact; a contact not
   * of that unit is the 404, before the handler runs.
   */
  const contactAction = (
    action: string,
    handle: (
      req: FastifyRequest,
      reply: FastifyReply,
      found: UnitContact & { a: ReturnType<typeof adminOf>; t: T },
    ) => Promise<unknown>,
  ) =>
    scope.post<{ Params: { id: string; contactId: string } }>(
      `/units/:id/contacts/:contactId/${action}`,
      async (req, reply) => {
        const a = adminOf(req);
        const found = await unitContact(a.orgId, req.params);
        if (!found) return notFound(req, reply);
        return handle(req, reply, { ...found, a, t: webWords('units', a.lang) });
      },
    );

  contactAction('invite', async (req, reply, { a, t, unit, contact }) => {
    const r = await createInvite(
      deps.db,
      a.orgId,
      contact.id,
      { ttlHours: config.INVITE_TTL_HOURS, now: deps.clock.now(), botUsername: config.TELEGRAM_BOT_USERNAME },
      a.actor,
    );
    return sendPage(req, reply, { title: t('invite'), body: await inviteBody(t, unit, r) });
  });

  // A contact's channels, first first: choosing a failed channel again is how it is re-enabled.
  contactAction('channels', async (req, reply, { a, t, unit, contact }) => {
    const updated = await setContactChannels(deps.db, a.orgId, contact.id, [field(req.body, 'channels')], a.actor);
    const order = updated.channels.map((ch) => channelLabel(ch, a.lang)).join(' → ');
    return redirectWith(reply, `/admin/units/${unit.id}`, t('nameChannelsSetOrder', { name: contact.name, order }));
  });

  // A typed address (email, …): set, replaced or, empty, removed; a new one re-enables its channel.
  contactAction('address', async (req, reply, { a, t, unit, contact }) => {
    const r = await setContactAddress(
      deps.db,
      a.orgId,
      contact.id,
      field(req.body, 'channel'),
      field(req.body, 'address'),
      a.actor,
      { address: { config }, lang: a.lang },
    );
    if (r.reveal) return revealPage(req, reply, t, unit, contact.name, r.reveal);
    const label = channelLabel(r.channel, a.lang);
    return redirectWith(reply, `/admin/units/${unit.id}`, t('nameLabelAddressSet', { label, name: contact.name }));
  });

  scope.post<{ Params: { id: string } }>('/units/:id/calendar', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('units', a.lang);
    const unit = await unitDetail(deps.db, a.orgId, req.params.id);
    if (!unit) return notFound(req, reply);
    // The first address is made here (the page only shows it). An address already made is kept: a
    // second press, or a form left open in another tab, must not break the calendars subscribed to it.
    if (await calendarTokenOf(deps.db, a.orgId, unit.id)) {
      return redirectWith(reply, `/admin/units/${unit.id}?open=calendar#calendar`, t('calendarAddressKept'));
    }
    await ensureCalendarToken(deps.db, a.orgId, unit.id, a.actor);
    return redirectWith(reply, `/admin/units/${unit.id}?open=calendar#calendar`, t('calendarAddressCreatedSend'));
  });

  // Replacing the address breaks every calendar subscribed to the old one: the page's button goes
  // through /admin/ask (ask.ts, `replaceCalendar`), which posts here only on a second press.
  scope.post<{ Params: { id: string } }>('/units/:id/calendar/replace', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('units', a.lang);
    const unit = await unitDetail(deps.db, a.orgId, req.params.id);
    if (!unit) return notFound(req, reply);
    if (!(await calendarTokenOf(deps.db, a.orgId, unit.id))) {
      await ensureCalendarToken(deps.db, a.orgId, unit.id, a.actor);
      return redirectWith(reply, `/admin/units/${unit.id}?open=calendar#calendar`, t('calendarAddressCreatedSend'));
    }
    await regenerateCalendarToken(deps.db, a.orgId, unit.id, a.actor);
    return redirectWith(reply, `/admin/units/${unit.id}?open=calendar#calendar`, t('newCalendarAddressCreated'));
  });
}

/**
 * The invite, shown once (only its hash is stored): the Telegram deep link and its QR code for a
 * phone's camera, and the Zalo instruction. Answered to the POST itself, never redirected: the code
 * must not sit in a URL or a cookie.
 */
async function inviteBody(t: T, unit: Detail, r: Awaited<ReturnType<typeof createInvite>>): Promise<Html> {
  // The SVG is generated from our own link, not typed by anyone: safe to include as markup.
  const qr = r.telegramLink
    ? raw(await QRCode.toString(r.telegramLink, { type: 'svg', margin: 2, width: 240, errorCorrectionLevel: 'M' }))
    : null;
  const expires = when(r.expiresAt, unit.org.timeZone);
  return html`<p><a href="/admin/units/${unit.id}">← ${unit.name}</a></p>
<h1>${t('inviteFor')} ${r.contact.name}</h1>
<p>${t('singleUseExpires')} <strong>${expires}</strong>. ${t('codeShownOnlyOnce')}</p>
${
  r.telegramLink
    ? html`<div class="card"><h2>Telegram</h2>
<p>${t('openLinkScanQr')}<br><a href="${r.telegramLink}" rel="noreferrer">${r.telegramLink}</a></p>
<figure class="m0">${qr}<figcaption class="muted">${t('qrCodeTelegramLink')}</figcaption></figure>
${r.telegramGroupLink ? html`<p>${t('linkUnitGroupChat')}<br><a href="${r.telegramGroupLink}" rel="noreferrer">${r.telegramGroupLink}</a></p>` : ''}</div>`
    : html`<p class="flag">${t('telegramBotUsernameNot')}</p>`
}
<div class="card"><h2>Zalo</h2><p>${t('sendZaloBotPrivate')} <code>/start ${r.code}</code></p></div>
<p>${t('code')}: <code>${r.code}</code> · ${r.contact.unit}</p>`;
}

/**
 * What a channel shows only once after an address is set (a webhook's signing secret): answered to
 * the POST itself, never redirected, so that it sits in no URL or cookie.
 */
function revealPage(req: FastifyRequest, reply: FastifyReply, t: T, unit: Detail, name: string, reveal: string) {
  return sendPage(req, reply, {
    title: t('addressSaved'),
    body: html`<p><a href="/admin/units/${unit.id}">← ${unit.name}</a></p>
<h1>${t('addressSavedFor')} ${name}</h1>
<div class="card"><p>${t('shownOnlyOnceCopy')}</p>
<pre>${reveal}</pre></div>`,
  });
}
