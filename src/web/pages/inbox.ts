import type { FastifyInstance } from 'fastify';
import { channelLabel } from '#root/channels/registry.js';
import { shortDate } from '#root/domain/wording.js';
import { zonedDay } from '#root/domain/zoned-day.js';
import { failureInWords } from '#root/messages/refusal-words.js';
import { FAILED_DAYS, inboxCounts, inboxEntries } from '#root/services/inbox.js';
import { adminOf, oneLanguage, sendPage } from '../admin.js';
import { html, translator, type Html } from '../html.js';
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
    const t = translator(a.lang);
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
        ? html`<section class="card" id="${id}"><h2>${title} <span class="inbox-count">${count}</span></h2><p class="muted">${help}</p><ul class="plain">${items.map((i) => html`<li>${i}</li>`)}</ul>${count > items.length ? html`<p class="muted">${t(`và ${count - items.length} mục khác.`, `and ${count - items.length} more.`)}</p>` : ''}</section>`
        : html`<p class="muted" id="${id}">✓ ${title}: ${t('không có.', 'none.')}</p>`;
    const body = html`<h1>${t('Việc cần xử lý', 'To do')}</h1>
<p>${counts.total ? t(`${counts.total} việc đang chờ.`, `${counts.total} thing${counts.total === 1 ? '' : 's'} waiting.`) : t('Không có việc nào đang chờ.', 'Nothing is waiting.')}</p>
${section(
  'extensions',
  t('Đề nghị gia hạn chờ duyệt', 'Extension requests waiting'),
  counts.extensions,
  t('Bấm vào để duyệt hoặc từ chối ở trang nghĩa vụ.', 'Open one to approve or refuse it on the obligation’s page.'),
  e.extensions.map(
    (x) =>
      html`<a href="/admin/obligations/${x.obligation.id}">${x.obligation.duty.code} · ${x.obligation.unit.name}</a> — ${t('xin đến', 'until')} ${day(x.requestedDue)}${x.contact ? html` (${x.contact.name})` : ''}: «${x.reason.slice(0, 120)}»`,
  ),
)}
${section(
  'duties',
  t('Nhiệm vụ cần xem lại', 'Duties flagged for review'),
  counts.flaggedDuties,
  t('Sửa thời hạn, tên hoặc đơn vị ở trang nhiệm vụ.', 'Fix the timeframe, title or units on the duty’s page.'),
  e.duties.map(
    (d) =>
      html`<a href="/admin/duties/${d.id}">${d.plan.code} · ${d.code}</a> ${d.title.length > 80 ? `${d.title.slice(0, 79)}…` : d.title} — <span class="late-text">${oneLanguage(d.flags[0] ?? '', a.lang)}</span>${d.flags.length > 1 ? t(` (+${d.flags.length - 1})`, ` (+${d.flags.length - 1})`) : ''}`,
  ),
)}
${section(
  'proposed',
  t('Đơn vị và nhóm do kế hoạch đề xuất', 'Units and groups the plans proposed'),
  counts.proposedUnits + counts.proposedGroups,
  t('Chấp nhận ở trang đơn vị, hoặc gộp vào đơn vị đã có.', 'Accept one on its page, or merge it into a known unit.'),
  [
    ...e.units.map(
      (u) => html`<a href="/admin/units/${u.id}">${u.name}</a> <span class="muted">(${t('đơn vị', 'unit')})</span>`,
    ),
    ...e.groups.map(
      (g) => html`<a href="/admin/groups/${g.id}">${g.name}</a> <span class="muted">(${t('nhóm', 'group')})</span>`,
    ),
  ],
)}
${section(
  'no-contact',
  t('Đơn vị chưa có đầu mối', 'Units without a contact'),
  counts.noContact,
  t(
    'Thêm người liên hệ ở trang đơn vị: chưa ai nhận được nhắc nhở.',
    'Add a contact on the unit’s page: nobody receives its reminders.',
  ),
  e.noContact.map((u) => html`<a href="/admin/units/${u.id}">${u.name}</a>`),
)}
${section(
  'no-channel',
  t('Đơn vị không có kênh gửi được', 'Units with no working channel'),
  counts.noChannel,
  t(
    'Chọn lại kênh hoặc tạo mã mời ở trang đơn vị.',
    'Choose the channels again or create an invite on the unit’s page.',
  ),
  e.noChannel.map((u) => html`<a href="/admin/units/${u.id}">${u.name}</a>`),
)}
${section(
  'failed',
  t(`Gửi không được (${FAILED_DAYS} ngày qua)`, `Failed deliveries (last ${FAILED_DAYS} days)`),
  counts.failed,
  t(
    'Kiểm tra địa chỉ, kênh của người nhận ở trang đơn vị.',
    'Check the recipient’s address and channels on the unit’s page.',
  ),
  e.failed.map(
    (r) =>
      html`<a href="/admin/units/${r.contact.unitId}">${r.contact.name} (${r.contact.unit.name})</a> · <a href="/admin/obligations/${r.obligation.id}">${r.obligation.duty.code}</a> · ${channelLabel(r.channel, a.lang)} · ${day(r.createdAt)}${
        // Why, and what to do, in words in the page's language; the channel's own answer stays in
        // the logs and the audit log's data, never on the page.
        r.lastError ? html` <span class="muted">— ${failureInWords(r.lastError, a.lang)}</span>` : ''
      }`,
  ),
)}`;
    return sendPage(req, reply, { title: t('Cần xử lý', 'To do'), body });
  });
}
