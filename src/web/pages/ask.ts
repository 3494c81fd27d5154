import type { FastifyInstance } from 'fastify';
import { adminOf, csrfField, safeNext, sendPage } from '../admin.js';
import { html, translator } from '../html.js';
import type { WebDeps } from '../server.js';

/**
 * The actions that ask first: the page's form goes (GET, changing nothing) to /admin/ask, which says
 * what will happen and posts it only on a second press. No script: the pages' policy allows none.
 * Only these actions (by path): a question never comes from the address.
 */
const ASK: { path: RegExp; vi: string; en: string; button: [string, string] }[] = [
  {
    path: /^\/admin\/obligations\/[0-9a-f-]{36}\/waive$/i,
    vi: 'Miễn nghĩa vụ này cho đơn vị? Đơn vị sẽ không phải thực hiện và không còn được nhắc.',
    en: 'Waive this obligation? The unit will not have to do it and gets no more reminders.',
    button: ['Miễn nghĩa vụ', 'Waive it'],
  },
  {
    path: /^\/admin\/obligations\/[0-9a-f-]{36}\/undo$/i,
    vi: 'Hoàn tác xác nhận (hoặc miễn) của nghĩa vụ này? Nghĩa vụ mở lại và đơn vị được nhắc tiếp theo hạn.',
    en: 'Undo this obligation’s confirmation (or waiver)? It opens again and the unit is reminded by its due date.',
    button: ['Hoàn tác', 'Undo'],
  },
  {
    path: /^\/admin\/units\/[0-9a-f-]{36}\/merge$/i,
    vi: 'Gộp đơn vị này vào đơn vị đã chọn? Người liên hệ, nghĩa vụ và nhóm chuyển sang; tên này thành tên khác. Không hoàn tác được trên trang.',
    en: 'Merge this unit into the chosen one? Contacts, obligations and groups move over; this name becomes an alias. It cannot be undone here.',
    button: ['Gộp đơn vị', 'Merge'],
  },
  {
    path: /^\/admin\/groups\/[0-9a-f-]{36}\/members\/[0-9a-f-]{36}\/remove$/i,
    vi: 'Bỏ đơn vị này khỏi nhóm? Nhiệm vụ giao cho nhóm sẽ không còn ràng buộc đơn vị; các nghĩa vụ chưa đến hạn của nhiệm vụ đó ngừng theo dõi.',
    en: 'Remove this unit from the group? The group’s duties will no longer bind it; its open obligations not yet due stop.',
    button: ['Bỏ khỏi nhóm', 'Remove it'],
  },
  {
    path: /^\/admin\/policies\/clear$/,
    vi: 'Bỏ thiết lập nhắc riêng của phạm vi này? Chính sách chung sẽ áp dụng lại.',
    en: 'Remove this target’s own reminder settings? The wider policy applies again.',
    button: ['Bỏ thiết lập riêng', 'Remove the override'],
  },
  {
    path: /^\/admin\/policies\/holidays\/remove$/,
    vi: 'Xóa ngày này khỏi lịch nghỉ? Các hạn rơi vào ngày đó có thể đổi.',
    en: 'Remove this day? Due dates falling on it may move.',
    button: ['Xóa ngày', 'Remove the day'],
  },
];

/** Fields passed on to the action, as typed (the reason, the target…), never the token. */
const PASSED = ['reason', 'back', 'target', 'date', 'into'];

export function registerAskPages(scope: FastifyInstance, _deps: WebDeps): void {
  scope.get<{ Querystring: Record<string, string | undefined> }>('/ask', async (req, reply) => {
    const a = adminOf(req);
    const t = translator(a.lang);
    const action = typeof req.query.do === 'string' ? req.query.do : '';
    const ask = ASK.find((x) => x.path.test(action));
    if (!ask)
      return sendPage(req, reply, {
        status: 404,
        title: t('Không tìm thấy', 'Not found'),
        body: html`<h1>${t('Không có thao tác này', 'No such action')}</h1><p><a href="/admin">${t('Về trang tình hình', 'Back to the status page')}</a></p>`,
      });
    const fields = PASSED.flatMap((name) => {
      const v = req.query[name];
      return typeof v === 'string' ? [[name, v.slice(0, 1000)] as const] : [];
    });
    const reason = fields.find(([n]) => n === 'reason')?.[1];
    const back = safeNext(
      fields.find(([n]) => n === 'back')?.[1] ?? req.headers.referer?.replace(/^https?:\/\/[^/]+/, ''),
    );
    return sendPage(req, reply, {
      title: t('Xác nhận thao tác', 'Confirm the action'),
      body: html`<h1>${t('Chắc chắn?', 'Are you sure?')}</h1>
<div class="card"><p><strong>${t(ask.vi, ask.en)}</strong></p>
${reason !== undefined ? html`<p>${t('Lý do', 'Reason')}: «${reason}»</p>` : ''}
<form method="post" action="${action}" class="row">${csrfField(req)}${fields.map(([n, v]) => html`<input type="hidden" name="${n}" value="${v}">`)}
<button type="submit" class="danger">${t(...ask.button)}</button> <a href="${back}">${t('Không, quay lại', 'No, go back')}</a></form></div>`,
    });
  });
}
