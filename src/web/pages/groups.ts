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
import { html, raw, translator } from '../html.js';
import type { WebDeps } from '../server.js';

type T = ReturnType<typeof translator>;
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
    ? t('Nhập tên đơn vị cần thêm.', 'Type the name of the unit to add.')
    : r.reason === 'unknown'
      ? t(
          `Không có đơn vị nào tên «${r.name}» (kể cả tên khác). Chọn một tên trong danh sách gợi ý, hoặc thêm đơn vị ở trang Đơn vị.`,
          `No unit is called «${r.name}» (aliases included). Pick a name from the suggestions, or add the unit on the Units page.`,
        )
      : r.reason === 'group'
        ? t(
            `«${r.name}» là một nhóm, không phải đơn vị; nhóm không lồng vào nhóm.`,
            `«${r.name}» is a group, not a unit; groups do not nest.`,
          )
        : t(`${r.name} đã ở trong nhóm này.`, `${r.name} is in this group already.`);

const renameError = (t: T, r: RenameRefusal) =>
  r.reason === 'empty'
    ? t('Tên nhóm không được để trống.', 'The group’s name cannot be empty.')
    : r.reason === 'long'
      ? t(`Tên nhóm quá dài (tối đa ${r.max} ký tự).`, `The name is too long (${r.max} characters at most).`)
      : r.reason === 'taken'
        ? t(
            `Tên này đã dùng cho «${r.by}» (tên chính hoặc tên khác). Chọn tên khác.`,
            `This name is taken by «${r.by}» (its name or an alias). Choose another.`,
          )
        : t('Tên mới giống tên hiện tại: không có gì thay đổi.', 'The new name is the current one: nothing changed.');

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
  const t = translator(a.lang);
  const g = await groupDetail(deps.db, a.orgId, req.params.id);
  if (!g)
    return sendPage(req, reply, {
      status: 404,
      title: t('Không tìm thấy', 'Not found'),
      body: html`<h1>${t('Không tìm thấy nhóm này', 'No such group')}</h1><p><a href="/admin/units#groups">${t('Về danh sách nhóm', 'Back to the groups')}</a></p>`,
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
  const names = await auditNames(deps.db, a.orgId, history);
  const back = `/admin/groups/${g.id}`;
  const removeAsk = (unit: { id: string; name: string }) =>
    html`<form method="get" action="/admin/ask" class="inline"><input type="hidden" name="do" value="/admin/groups/${g.id}/members/${unit.id}/remove"><input type="hidden" name="back" value="${back}"><button type="submit" class="danger mini" aria-label="${t(`Bỏ ${unit.name} khỏi nhóm`, `Remove ${unit.name} from the group`)}">${t('Bỏ khỏi nhóm…', 'Remove…')}</button></form>`;
  const fieldNote = (s: FieldState | undefined, id: string) =>
    s ? html`<span class="field-error" id="${id}" role="alert">${s.error}</span>` : '';
  const body = html`<p><a href="/admin/units#groups">← ${t('Nhóm đơn vị', 'Unit groups')}</a></p>
<h1>${t('Nhóm', 'Group')} ${g.name}${g.proposed ? html` <strong class="flag">(${t('đề xuất', 'proposed')})</strong>` : ''}</h1>
${
  g.proposed
    ? html`<form method="post" action="/admin/groups/${g.id}/accept" class="row">${csrfField(req)}<span class="muted">${t('Nhóm này do kế hoạch nhập vào đề xuất. Xem lại thành viên rồi chấp nhận.', 'An imported plan proposed this group. Check its members, then accept it.')}</span> <button type="submit">${t('Chấp nhận nhóm đề xuất', 'Accept the proposed group')}</button></form>`
    : ''
}
<p>${t('Tên khác', 'Aliases')}: ${g.aliases.length ? g.aliases.join('; ') : '—'}</p>
<h2 id="members">${t(`Thành viên (${g.members.length})`, `Members (${g.members.length})`)}</h2>
${
  g.members.length
    ? html`<ul class="plain members">${g.members.map(
        (u) =>
          html`<li><a href="/admin/units/${u.id}">${u.name}</a>${u.proposed ? html` <span class="muted">(${t('đề xuất', 'proposed')})</span>` : ''}${u.active ? '' : html` <span class="muted">(${t('ngừng', 'inactive')})</span>`} ${removeAsk(u)}</li>`,
      )}</ul>`
    : html`<p class="flag">${t('Nhóm chưa có thành viên: nhiệm vụ giao cho nhóm chưa ràng buộc đơn vị nào.', 'The group has no members: its duties bind no unit yet.')}</p>`
}
<form method="post" action="/admin/groups/${g.id}/members" class="card row" novalidate>${csrfField(req)}
<label>${t('Thêm đơn vị (gõ tên hoặc tên khác, chọn trong gợi ý)', 'Add a unit (type its name or an alias, pick a suggestion)')}<br><input type="text" name="unit" list="unit-choices" maxlength="300" class="w28" autocomplete="off" value="${form.member?.value ?? ''}"${invalid(form.member, 'member-error')}></label>
<button type="submit">${t('Thêm vào nhóm', 'Add to the group')}</button>${fieldNote(form.member, 'member-error')}
<datalist id="unit-choices">${choices.map((c) => (c.value === c.unit ? html`<option value="${c.value}">` : html`<option value="${c.value}">${c.unit}</option>`))}</datalist></form>
<p class="muted">${t('Nhiệm vụ giao cho nhóm ràng buộc mọi thành viên: nghĩa vụ năm nay và năm sau được cập nhật ngay khi thêm hoặc bỏ.', 'A duty assigned to the group binds every member: this and next year’s obligations follow at once when one is added or removed.')}</p>
<h2>${t('Đổi tên nhóm', 'Rename the group')}</h2>
<form method="post" action="/admin/groups/${g.id}/rename" class="card row" novalidate>${csrfField(req)}
<label>${t('Tên mới', 'New name')}<br><input type="text" name="name" maxlength="${GROUP_NAME_MAX}" class="w28" value="${form.rename?.value ?? g.name}"${invalid(form.rename, 'rename-error')}></label>
<button type="submit">${t('Đổi tên', 'Rename')}</button>${fieldNote(form.rename, 'rename-error')}
<span class="muted">${t('Tên cũ được giữ làm tên khác, để kế hoạch nhập lại vẫn nhận ra nhóm.', 'The old name is kept as an alias, so that a plan imported again still finds the group.')}</span></form>
<h2>${t('Nhiệm vụ giao cho nhóm', 'Duties assigned to the group')}</h2>
${
  g.duties.length
    ? html`<ul class="plain">${g.duties.map((d) => html`<li><a href="/admin/duties/${d.id}">${d.plan} · ${d.code}</a> ${d.title.length > 120 ? `${d.title.slice(0, 119)}…` : d.title} <span class="muted">(${d.role === 'lead' ? t('chủ trì', 'lead') : t('phối hợp', 'cooperating')})</span></li>`)}</ul>`
    : html`<p class="muted">${t('Chưa có nhiệm vụ nào giao cho nhóm.', 'No duty is assigned to the group.')}</p>`
}
<h2 id="history">${t('Lịch sử', 'History')}</h2>
${
  history.length
    ? html`<ul class="plain history">${history.map((r) => html`<li><span class="muted">${dateTime(r.createdAt, org.timeZone)}</span> · ${describeAudit(r, names, a.lang)}</li>`)}</ul>`
    : html`<p class="muted">${t('Chưa có gì trong nhật ký.', 'Nothing in the log yet.')}</p>`
}`;
  const refused = form.member ?? form.rename;
  return sendPage(req, reply, {
    ...(refused ? { status: 400 } : {}),
    title: `${t('Nhóm', 'Group')} ${g.name}`,
    ...(refused
      ? {
          error: t(
            'Chưa lưu: xem ghi chú cạnh ô nhập. Không có gì thay đổi.',
            'Not saved: see the note beside the field. Nothing was changed.',
          ),
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
    const t = translator(a.lang);
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
      t(`Đã thêm ${r.unit.name} vào nhóm ${g.name}.`, `${r.unit.name} added to ${g.name}.`),
    );
  });

  scope.post<{ Params: { id: string; unitId: string } }>('/groups/:id/members/:unitId/remove', async (req, reply) => {
    const a = adminOf(req);
    const t = translator(a.lang);
    const g = await groupOf(req);
    if (!g) return groupPage(req, reply, deps);
    const r = await removeGroupMember(deps.db, a.orgId, g.id, req.params.unitId, a.actor);
    if (!r)
      return sendPage(req, reply, {
        status: 404,
        title: t('Không tìm thấy', 'Not found'),
        body: html`<h1>${t('Không tìm thấy đơn vị này', 'No such unit')}</h1><p><a href="/admin/groups/${g.id}">${t('Về trang nhóm', 'Back to the group')}</a></p>`,
      });
    if (r.removed) await reconcileCurrent(deps.db, a.orgId, deps.clock.now(), a.actor);
    return redirectWith(
      reply,
      `/admin/groups/${g.id}`,
      r.removed
        ? t(`Đã bỏ ${r.unit.name} khỏi nhóm ${g.name}.`, `${r.unit.name} removed from ${g.name}.`)
        : t(`${r.unit.name} không còn ở trong nhóm ${g.name}.`, `${r.unit.name} was not in ${g.name}.`),
    );
  });

  scope.post<{ Params: { id: string } }>('/groups/:id/rename', async (req, reply) => {
    const a = adminOf(req);
    const t = translator(a.lang);
    const g = await groupOf(req);
    if (!g) return groupPage(req, reply, deps);
    const value = field(req.body, 'name').slice(0, 1000);
    const r = await renameGroup(deps.db, a.orgId, g.id, value, a.actor);
    if (!r.ok) return groupPage(req, reply, deps, { rename: { value, error: renameError(t, r) } });
    return redirectWith(
      reply,
      `/admin/groups/${g.id}`,
      t(
        `Đã đổi tên nhóm «${r.from}» thành «${r.to}»; tên cũ thành tên khác.`,
        `Group «${r.from}» renamed «${r.to}»; the old name is now an alias.`,
      ),
    );
  });

  scope.post<{ Params: { id: string } }>('/groups/:id/accept', async (req, reply) => {
    const a = adminOf(req);
    const t = translator(a.lang);
    const g = await groupOf(req);
    if (!g) return groupPage(req, reply, deps);
    const r = await acceptProposedById(deps.db, a.orgId, 'group', g.id, a.actor);
    return redirectWith(
      reply,
      `/admin/groups/${g.id}`,
      r.changed
        ? t(`Đã chấp nhận nhóm «${r.name}».`, `Group «${r.name}» accepted.`)
        : t(`«${r.name}» đã được chấp nhận trước đó.`, `«${r.name}» was already accepted.`),
    );
  });
}
