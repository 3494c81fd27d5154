import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { channelLabel, channelSpec } from '#root/channels/registry.js';
import { dateTime } from '#root/lib/format.js';
import type { MessageName } from '#root/messages/templates.js';
import {
  checkTemplate,
  getTemplate,
  listTemplates,
  parseTemplateRef,
  placeholdersOf,
  previewTemplate,
  resetTemplateOverride,
  saveTemplateOverride,
  TEMPLATE_MAX_CHARS,
  templateProblem,
  type TemplateRef,
} from '#root/services/templates.js';
import { adminOf, csrfField, field, redirectWith, sendPage } from '../admin.js';
import { html, translator, type Html } from '../html.js';
import type { WebDeps } from '../server.js';

type T = ReturnType<typeof translator>;

const MESSAGE_LABEL: Record<MessageName, [string, string]> = {
  'reminder-lead': ['Nhắc trước hạn', 'Reminder before the due date'],
  'reminder-due': ['Nhắc đúng ngày hạn', 'Due-day reminder'],
  'reminder-overdue': ['Nhắc quá hạn', 'Overdue reminder'],
  'reminder-escalation': ['Báo cáo lên (quá hạn lâu)', 'Escalation (long overdue)'],
  'reminder-cooperating': ['Thông tin cho đơn vị phối hợp', 'Notice to cooperating units'],
  'reminder-bundle': ['Tin nhắc hằng ngày (nhiều việc)', 'Daily reminder (several items)'],
  digest: ['Thư tổng hợp hằng ngày cho quản trị', 'Administrators’ daily digest'],
};
/** A channel's name in the page's language (its spec's label, src/channels/registry.ts). */
const channelName = (t: T, channel: string) => t(channelLabel(channel, 'vi'), channelLabel(channel, 'en'));
const PART_LABEL: Record<string, [string, string]> = {
  'subject.txt': ['Tiêu đề', 'Subject'],
  'text.txt': ['Nội dung chữ', 'Plain text'],
  html: ['HTML', 'HTML'],
  txt: ['Nội dung', 'Text'],
};
const LANG_LABEL = { vi: 'Tiếng Việt', en: 'English' } as const;

const pathOf = (r: TemplateRef) => `/admin/templates/${r.lang}/${r.message}/${r.channel}/${r.part}`;
const nameOf = (t: T, r: TemplateRef) =>
  `${t(...MESSAGE_LABEL[r.message])} · ${channelName(t, r.channel)} · ${t(...PART_LABEL[r.part]!)} · ${LANG_LABEL[r.lang]}`;

type Params = { lang: string; message: string; channel: string; part: string };

/** The template of the URL, or a 404 page (sent) and null. */
function refOf(req: FastifyRequest<{ Params: Params }>, reply: FastifyReply): TemplateRef | null {
  const ref = parseTemplateRef(req.params);
  if (ref) return ref;
  const t = translator(adminOf(req).lang);
  void sendPage(req, reply, {
    status: 404,
    title: t('Không tìm thấy', 'Not found'),
    body: html`<h1>${t('Không có mẫu tin này', 'No such template')}</h1><p><a href="/admin/templates">${t('Danh sách mẫu tin', 'All templates')}</a></p>`,
  });
  return null;
}

/**
 * The rendered preview, never as markup of this page: Telegram's HTML and text as text in a
 * `<pre>`; an email's HTML in a sandboxed frame (no scripts, no forms, no access to this page),
 * its markup below.
 */
function previewBlock(t: T, ref: TemplateRef, preview: { output: string | null; error: string | null }): Html {
  if (preview.output === null)
    return html`<div class="error">${t('Không dựng được mẫu', 'The template cannot be rendered')}: ${preview.error}</div>`;
  const pre = html`<pre class="preview">${preview.output}</pre>`;
  // A message's HTML part (an email's) is a document: shown in a frame. A channel whose text is HTML
  // (Telegram's) is shown as text.
  if (channelSpec(ref.channel).parts.some((p) => p.part === ref.part && p.role === 'html')) {
    return html`<iframe sandbox title="${t('Xem trước thư', 'Email preview')}" srcdoc="${preview.output}" class="preview-frame"></iframe>
<details><summary>${t('Mã HTML', 'HTML source')}</summary>${pre}</details>`;
  }
  return html`${ref.part === 'html' ? html`<p class="muted">${t(`Mã HTML ${channelLabel(ref.channel, 'vi')} nhận (hiển thị dạng chữ):`, `The HTML ${channelLabel(ref.channel, 'en')} receives (shown as text):`)}</p>` : ''}${pre}`;
}

/** Administrators' pages: message templates: the list, edit with a preview, save or go back to the file. */
export function registerTemplatePages(scope: FastifyInstance, deps: WebDeps): void {
  const baseUrl = (req: FastifyRequest) => deps.config.PUBLIC_URL ?? `${req.protocol}://${req.host}`;

  scope.get('/templates', async (req, reply) => {
    const a = adminOf(req);
    const t = translator(a.lang);
    const all = await listTemplates(deps.db, a.orgId);
    const zone = (await deps.db.organisation.findUniqueOrThrow({ where: { id: a.orgId }, select: { timeZone: true } }))
      .timeZone;
    // One row per message, channel and part; a column per language.
    const rows = new Map<string, typeof all>();
    for (const e of all) {
      const k = `${e.message}|${e.channel}|${e.part}`;
      rows.set(k, [...(rows.get(k) ?? []), e]);
    }
    const edited = all.filter((e) => e.override).length;
    return sendPage(req, reply, {
      title: t('Mẫu tin', 'Templates'),
      body: html`<h1>${t('Mẫu tin nhắn', 'Message templates')}</h1>
<p>${t(
        'Mỗi tin có một mẫu cho từng kênh, phần và ngôn ngữ. Mẫu đã sửa thay mẫu gốc cho tổ chức này; các tiến trình gửi dùng bản sửa trong vòng 10 giây.',
        'Each message has a template per channel, part and language. An edited template replaces the original for this organisation; the senders use it within 10 seconds.',
      )}</p>
<p class="muted">${t(`${edited} mẫu đã sửa`, `${edited} edited`)}</p>
<table><thead><tr><th>${t('Tin', 'Message')}</th><th>${t('Kênh', 'Channel')}</th><th>${t('Phần', 'Part')}</th><th>Tiếng Việt</th><th>English</th></tr></thead><tbody>
${[...rows.values()].map((group) => {
  const r = group[0]!;
  return html`<tr><td>${t(...MESSAGE_LABEL[r.message])} <span class="muted">${r.message}</span></td><td>${channelName(t, r.channel)}</td><td>${t(...PART_LABEL[r.part]!)}</td>
${group.map(
  (e) =>
    html`<td${e.override ? html` class="flag"` : ''}><a href="${pathOf(e)}">${e.override ? t('đã sửa', 'edited') : t('mẫu gốc', 'original')}</a>${
      e.override
        ? html`<br><span class="muted">${e.override.updatedBy}, ${dateTime(e.override.updatedAt, zone)}</span>`
        : ''
    }</td>`,
)}</tr>`;
})}
</tbody></table>`,
    });
  });

  /** The edit page: the text, the placeholders the message offers, and the text rendered with a sample. */
  async function editPage(
    req: FastifyRequest,
    reply: FastifyReply,
    ref: TemplateRef,
    input: { source?: string; status?: number; error?: string | null; note?: string },
  ) {
    const a = adminOf(req);
    const t = translator(a.lang);
    const current = await getTemplate(deps.db, a.orgId, ref);
    const source = input.source ?? current.source;
    const problem = templateProblem(checkTemplate(ref, source))?.[a.lang] ?? null;
    const preview = problem
      ? null
      : await previewTemplate(deps.db, a.orgId, ref, source, { now: deps.clock.now(), baseUrl: baseUrl(req) });
    const zone = (await deps.db.organisation.findUniqueOrThrow({ where: { id: a.orgId }, select: { timeZone: true } }))
      .timeZone;
    const spec = placeholdersOf(ref.message);
    const path = pathOf(ref);
    return sendPage(req, reply, {
      status: input.status ?? 200,
      error: input.error ?? null,
      title: t('Sửa mẫu tin', 'Edit a template'),
      body: html`<p><a href="/admin/templates">← ${t('Mọi mẫu tin', 'All templates')}</a></p>
<h1>${nameOf(t, ref)}</h1>
<p class="muted"><code>templates/${ref.lang}/${ref.message}.${ref.channel}.${ref.part}</code> · ${
        current.override
          ? t(
              `Đã sửa bởi ${current.override.updatedBy} lúc ${dateTime(current.override.updatedAt, zone)}`,
              `Edited by ${current.override.updatedBy} at ${dateTime(current.override.updatedAt, zone)}`,
            )
          : t('Đang dùng mẫu gốc', 'Using the original')
      }</p>
${input.note ? html`<p class="muted">${input.note}</p>` : ''}
<form method="post" action="${path}" class="card">${csrfField(req)}
<p><label for="source">${t('Mẫu (Mustache)', 'Template (Mustache)')}</label><br>
<textarea id="source" name="source" rows="14" maxlength="${TEMPLATE_MAX_CHARS}" class="wide mono">${source}</textarea></p>
<p class="row"><button type="submit" name="action" value="preview" class="secondary">${t('Xem trước', 'Preview')}</button>
<button type="submit" name="action" value="save">${t('Lưu', 'Save')}</button></p>
</form>
${
  current.override
    ? html`<form method="post" action="${path}" class="inline">${csrfField(req)}<input type="hidden" name="action" value="reset"><button type="submit" class="danger">${t('Bỏ bản sửa, dùng lại mẫu gốc', 'Discard the edit, use the original')}</button></form>`
    : ''
}
<div class="card"><h2>${t('Chỗ trống dùng được', 'Placeholders you may use')}</h2>
<p>${spec.fields.map((f) => html`<code>{{${f}}}</code> `)}</p>
${Object.entries(spec.lists).map(
  ([list, fields]) =>
    html`<p>${t('Danh sách', 'List')} <code>{{#${list}}}</code> … <code>{{/${list}}}</code>: ${fields.map((f) => html`<code>{{${f}}}</code> `)}</p>`,
)}
<p class="muted">${t(
        'Giá trị được thoát ký tự theo kênh (HTML cho email và Telegram). Mẫu dùng chỗ trống khác sẽ bị từ chối.',
        'Values are escaped for the channel (HTML for email and Telegram). A template using any other placeholder is refused.',
      )}</p></div>
<div class="card"><h2>${t('Xem trước', 'Preview')}</h2>
${
  preview
    ? html`<p class="muted">${t('Với dữ liệu mẫu của tổ chức', 'With sample data of this organisation')}: ${String(preview.view.unitName ?? preview.view.orgName ?? '')}${
        preview.view.dutyCode
          ? html` · ${t('nhiệm vụ', 'duty')} ${String(preview.view.dutyCode)} · ${t('hạn', 'due')} ${String(preview.view.dueDateShort)}`
          : ''
      }</p>${previewBlock(t, ref, preview)}`
    : html`<div class="error">${problem}</div>`
}</div>
<details class="card"><summary>${t('Mẫu gốc (tệp)', 'The original (file)')}</summary><pre class="pre-wrap">${current.file}</pre></details>`,
    });
  }

  scope.get<{ Params: Params }>('/templates/:lang/:message/:channel/:part', async (req, reply) => {
    const ref = refOf(req, reply);
    if (!ref) return reply;
    return editPage(req, reply, ref, {});
  });

  scope.post<{ Params: Params }>('/templates/:lang/:message/:channel/:part', async (req, reply) => {
    const ref = refOf(req, reply);
    if (!ref) return reply;
    const a = adminOf(req);
    const t = translator(a.lang);
    const action = field(req.body, 'action');
    if (action === 'reset') {
      const done = await resetTemplateOverride(deps.db, a.orgId, ref, a.actor);
      return redirectWith(
        reply,
        pathOf(ref),
        done
          ? t('Đã bỏ bản sửa; dùng lại mẫu gốc.', 'Edit discarded; the original is used again.')
          : t('Mẫu này chưa được sửa.', 'This template was not edited.'),
      );
    }
    const source = field(req.body, 'source').replace(/\r\n/g, '\n');
    if (action !== 'preview' && action !== 'save') {
      return editPage(req, reply, ref, {
        source,
        status: 400,
        error: t('Thao tác không rõ; không có gì thay đổi.', 'Unknown action; nothing was changed.'),
      });
    }
    const problem = source
      ? (templateProblem(checkTemplate(ref, source))?.[a.lang] ?? null)
      : t('Mẫu trống.', 'The template is empty.');
    if (action === 'preview') {
      return editPage(req, reply, ref, {
        source,
        ...(problem
          ? { status: 400, error: problem }
          : { note: t('Bản xem trước, chưa lưu.', 'A preview, not saved.') }),
      });
    }
    if (problem)
      return editPage(req, reply, ref, {
        source,
        status: 400,
        error: `${problem.replace(/\.$/, '')}. ${t('Chưa lưu gì.', 'Nothing was saved.')}`,
      });
    await saveTemplateOverride(deps.db, a.orgId, ref, source, a.actor);
    return redirectWith(
      reply,
      pathOf(ref),
      t(
        'Đã lưu mẫu; các tiến trình gửi dùng bản này trong vòng 10 giây.',
        'Template saved; the senders use it within 10 seconds.',
      ),
    );
  });
}
