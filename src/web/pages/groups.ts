import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { auditNames } from '#root/services/audit-names.js';
import {
  addGroupMember,
  GROUP_NAME_MAX,
  groupDetail,
  removeGroupMember,
  renameGroup,
  unitChoices,
  type MemberRefusal,
  type RenameRefusal,
} from '#root/services/groups.js';
import { reconcileCurrent } from '#root/services/obligations.js';
import { acceptProposedById } from '#root/services/units.js';
import { dateTime } from '#root/lib/format.js';
import { adminOf, csrfField, field, redirectWith, sendPage } from '../admin.js';
import { describeAudit } from '../history.js';
import { html, raw } from '../html.js';
import { webWords, type WebT } from '../words.js';
import type { WebDeps } from '../server.js';

type T = WebT<'groups'>;
type Req = FastifyRequest<{ Params: { id: string } }>;

/** What a refused form keeps: the text typed and the message shown beside its field. */
interface FieldState {
  value: string;
  error: string;
}

/** History rows shown on a group's page. */
const GROUP_HISTORY = 15;

const memberError = (t: T, r: MemberRefusal) =>
  r.reason === 'empty'
    ? t('typeNameUnitAdd')
    : r.reason === 'unknown'
      ? t('noUnitCalledName', { name: r.name })
      : r.reason === 'group'
        ? t('nameGroupNotUnit', { name: r.name })
        : t('nameGroupAlready', { name: r.name });

const renameError = (t: T, r: RenameRefusal) =>
  r.reason === 'empty'
    ? t('groupNameCannotEmpty')
    : r.reason === 'long'
      ? t('nameTooLongMax', { max: r.max })
      : r.reason === 'taken'
        ? t('nameTakenAliasChoose', { by: r.by })
        : t('newNameCurrentOne');

/** The attributes marking a refused field invalid and pointing at its message (`id`, ours), or nothing. */
const invalid = (s: FieldState | undefined, id: string) =>
  s ? raw(` aria-invalid="true" aria-describedby="${id}"`) : '';

/**
 * A unit group's page (issue 16, item 4): rename it, accept it when an import proposed it, its
 * members with a remove button each (asking first), a field to add a unit by name or alias (a
 * datalist, no script), the duties it is assigned, and its history in words.
 */
async function groupPage(
  req: Req,
  reply: FastifyReply,
  deps: WebDeps,
  form: { member?: FieldState; rename?: FieldState } = {},
) {
  const a = adminOf(req);
  const t = webWords('groups', a.lang);
  const g = await groupDetail(deps.db, a.orgId, req.params.id);
  if (!g)
    return sendPage(req, reply, {
      status: 404,
      title: t('notFound'),
      body: html`<h1>${t('noSuchGroup')}</h1><p><a href="/admin/units#groups">${t('backGroups')}</a></p>`,
    });
  const [choices, history, org] = await Promise.all([
    unitChoices(
      deps.db,
      a.orgId,
      g.members.map((m) => m.id),
    ),
    deps.db.auditEvent.findMany({
      where: { orgId: a.orgId, entity: 'group', entityId: g.id },
      orderBy: { id: 'desc' },
      take: GROUP_HISTORY,
    }),
    deps.db.organisation.findUniqueOrThrow({ where: { id: a.orgId }, select: { timeZone: true } }),
  ]);
  const names = await auditNames(deps.db, a.orgId, history, a.lang);
  const back = `/admin/groups/${g.id}`;
  const removeAsk = (unit: { id: string; name: string }) =>
    html`<form method="get" action="/admin/ask" class="inline"><input type="hidden" name="do" value="/admin/groups/${g.id}/members/${unit.id}/remove"><input type="hidden" name="back" value="${back}"><button type="submit" class="danger mini" aria-label="${t('removeNameFromGroup', { name: unit.name })}">${t('remove')}</button></form>`;
  const fieldNote = (s: FieldState | undefined, id: string) =>
    s ? html`<span class="field-error" id="${id}" role="alert">${s.error}</span>` : '';
  const body = html`<p><a href="/admin/units#groups">← ${t('unitGroups')}</a></p>
<h1>${t('group')} ${g.name}${g.proposed ? html` <strong class="flag">(${t('proposed')})</strong>` : ''}</h1>
${
  g.proposed
    ? html`<form method="post" action="/admin/groups/${g.id}/accept" class="row">${csrfField(req)}<span class="muted">${t('importedPlanProposedGroup')}</span> <button type="submit">${t('acceptProposedGroup')}</button></form>`
    : ''
}
<p>${t('aliases')}: ${g.aliases.length ? g.aliases.join('; ') : '—'}</p>
<h2 id="members">${t('membersMembersCount', { membersCount: g.members.length })}</h2>
${
  g.members.length
    ? html`<ul class="plain members">${g.members.map(
        (u) =>
          html`<li><a href="/admin/units/${u.id}">${u.name}</a>${u.proposed ? html` <span class="muted">(${t('proposed')})</span>` : ''}${u.active ? '' : html` <span class="muted">(${t('inactive')})</span>`} ${removeAsk(u)}</li>`,
      )}</ul>`
    : html`<p class="flag">${t('groupNoMembersDuties')}</p>`
}
<form method="post" action="/admin/groups/${g.id}/members" class="card row" novalidate>${csrfField(req)}
<label>${t('addUnitTypeName')}<br><input type="text" name="unit" list="unit-choices" maxlength="300" class="w28" autocomplete="off" value="${form.member?.value ?? ''}"${invalid(form.member, 'member-error')}></label>
<button type="submit">${t('addGroup')}</button>${fieldNote(form.member, 'member-error')}
<datalist id="unit-choices">${choices.map((c) => (c.value === c.unit ? html`<option value="${c.value}">` : html`<option value="${c.value}">${c.unit}</option>`))}</datalist></form>
<p class="muted">${t('dutyAssignedGroupBinds')}</p>
<h2>${t('renameGroup')}</h2>
<form method="post" action="/admin/groups/${g.id}/rename" class="card row" novalidate>${csrfField(req)}
<label>${t('newName')}<br><input type="text" name="name" maxlength="${GROUP_NAME_MAX}" class="w28" value="${form.rename?.value ?? g.name}"${invalid(form.rename, 'rename-error')}></label>
<button type="submit">${t('rename')}</button>${fieldNote(form.rename, 'rename-error')}
<span class="muted">${t('oldNameKeptAlias')}</span></form>
<h2>${t('dutiesAssignedGroup')}</h2>
${
  g.duties.length
    ? html`<ul class="plain">${g.duties.map((d) => html`<li><a href="/admin/duties/${d.id}">${d.plan} · ${d.code}</a> ${d.title.length > 120 ? `${d.title.slice(0, 119)}…` : d.title} <span class="muted">(${d.role === 'lead' ? t('lead') : t('cooperating')})</span></li>`)}</ul>`
    : html`<p class="muted">${t('noDutyAssignedGroup')}</p>`
}
<h2 id="history">${t('history')}</h2>
${
  history.length
    ? html`<ul class="plain history">${history.map((r) => html`<li><span class="muted">${dateTime(r.createdAt, org.timeZone)}</span> · ${describeAudit(r, names, a.lang)}</li>`)}</ul>`
    : html`<p class="muted">${t('nothingLogYet')}</p>`
}`;
  const refused = form.member ?? form.rename;
  return sendPage(req, reply, {
    ...(refused ? { status: 400 } : {}),
    title: `${t('group')} ${g.name}`,
    ...(refused
      ? {
          error: t('notSavedSeeNote'),
        }
      : {}),
    body,
  });
}

/** Administrators' pages: a unit group's page and the changes made from it. */
export function registerGroupPages(scope: FastifyInstance, deps: WebDeps): void {
  scope.get<{ Params: { id: string } }>('/groups/:id', (req, reply) => groupPage(req, reply, deps));

  /** The group of the path, or the page's 404 answered (null). */
  const groupOf = async (req: Req) => groupDetail(deps.db, adminOf(req).orgId, req.params.id);

  scope.post<{ Params: { id: string } }>('/groups/:id/members', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('groups', a.lang);
    const g = await groupOf(req);
    if (!g) return groupPage(req, reply, deps);
    const value = field(req.body, 'unit').slice(0, 300);
    const r = await addGroupMember(deps.db, a.orgId, g.id, value, a.actor);
    if (!r.ok) return groupPage(req, reply, deps, { member: { value, error: memberError(t, r) } });
    // Duties assigned to the group bind its members: this year's and next year's obligations follow.
    await reconcileCurrent(deps.db, a.orgId, deps.clock.now(), a.actor);
    return redirectWith(
      reply,
      `/admin/groups/${g.id}`,
      t('unitNameAddedName', { unitName: r.unit.name, name: g.name }),
    );
  });

  scope.post<{ Params: { id: string; unitId: string } }>('/groups/:id/members/:unitId/remove', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('groups', a.lang);
    const g = await groupOf(req);
    if (!g) return groupPage(req, reply, deps);
    const r = await removeGroupMember(deps.db, a.orgId, g.id, req.params.unitId, a.actor);
    if (!r)
      return sendPage(req, reply, {
        status: 404,
        title: t('notFound'),
        body: html`<h1>${t('noSuchUnit')}</h1><p><a href="/admin/groups/${g.id}">${t('backGroup')}</a></p>`,
      });
    if (r.removed) await reconcileCurrent(deps.db, a.orgId, deps.clock.now(), a.actor);
    return redirectWith(
      reply,
      `/admin/groups/${g.id}`,
      r.removed
        ? t('unitNameRemovedFromName', { unitName: r.unit.name, name: g.name })
        : t('unitNameNotName', { unitName: r.unit.name, name: g.name }),
    );
  });

  scope.post<{ Params: { id: string } }>('/groups/:id/rename', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('groups', a.lang);
    const g = await groupOf(req);
    if (!g) return groupPage(req, reply, deps);
    const value = field(req.body, 'name').slice(0, 1000);
    const r = await renameGroup(deps.db, a.orgId, g.id, value, a.actor);
    if (!r.ok) return groupPage(req, reply, deps, { rename: { value, error: renameError(t, r) } });
    return redirectWith(reply, `/admin/groups/${g.id}`, t('groupFromRenamedOld', { from: r.from, to: r.to }));
  });

  scope.post<{ Params: { id: string } }>('/groups/:id/accept', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('groups', a.lang);
    const g = await groupOf(req);
    if (!g) return groupPage(req, reply, deps);
    const r = await acceptProposedById(deps.db, a.orgId, 'group', g.id, a.actor);
    return redirectWith(
      reply,
      `/admin/groups/${g.id}`,
      r.changed ? t('groupNameAccepted', { name: r.name }) : t('nameAlreadyAccepted', { name: r.name }),
    );
  });
}
