import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { channelLabel, channelSpec } from '#root/channels/registry.js';
import { dateTime } from '#root/lib/format.js';
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
import { html, type Html } from '../html.js';
import { isWebKey, webWords, type WebT } from '../words.js';
import type { WebDeps } from '../server.js';

type T = WebT<'templates'>;
/** A channel's name in the page's language (its spec's label, src/channels/registry.ts). */
const channelName = (t: T, channel: string) => channelLabel(channel, t.lang);
/** A template's part in words (`partName.<part>`), or as its file names it. */
const partName = (t: T, part: string) => {
  const key = `partName.${part}`;
  return isWebKey('templates', key) ? t(key) : part;
};
const LANG_LABEL = { vi: 'Tiếng Việt', en: 'English' } as const;

const pathOf = (r: TemplateRef) => `/admin/templates/${r.lang}/${r.message}/${r.channel}/${r.part}`;
const nameOf = (t: T, r: TemplateRef) =>
  `${t(`messageName.${r.message}`)} · ${channelName(t, r.channel)} · ${partName(t, r.part)} · ${LANG_LABEL[r.lang]}`;

type Params = { lang: string; message: string; channel: string; part: string };

/** The template of the URL, or a 404 page (sent) and null. */
function refOf(req: FastifyRequest<{ Params: Params }>, reply: FastifyReply): TemplateRef | null {
  const ref = parseTemplateRef(req.params);
  if (ref) return ref;
  const t = webWords('templates', adminOf(req).lang);
  void sendPage(req, reply, {
    status: 404,
    title: t('notFound'),
    body: html`<h1>${t('noSuchTemplate')}</h1><p><a href="/admin/templates">${t('templateList')}</a></p>`,
  });
  return null;
}

/**
 * The rendered preview, never as markup of this page: Telegram's HTML and text as text in a
 * `<pre>`; an email's HTML in a sandboxed frame (no scripts, no forms, no access to this page),
 * its markup below.
 */
function previewBlock(t: T, ref: TemplateRef, preview: { output: string | null; error: string | null }): Html {
  if (preview.output === null) return html`<div class="error">${t('templateCannotRendered')}: ${preview.error}</div>`;
  const pre = html`<pre class="preview">${preview.output}</pre>`;
  // A message's HTML part (an email's) is a document: shown in a frame. A channel whose text is HTML
  // (Telegram's) is shown as text.
  if (channelSpec(ref.channel).parts.some((p) => p.part === ref.part && p.role === 'html')) {
    return html`<iframe sandbox title="${t('emailPreview')}" srcdoc="${preview.output}" class="preview-frame"></iframe>
<details><summary>${t('htmlSource')}</summary>${pre}</details>`;
  }
  return html`${ref.part === 'html' ? html`<p class="muted">${t('htmlChannelReceives', { channel: channelLabel(ref.channel, t.lang) })}</p>` : ''}${pre}`;
}

/** Administrators' pages: message templates: the list, edit with a preview, save or go back to the file. */
export function registerTemplatePages(scope: FastifyInstance, deps: WebDeps): void {
  const baseUrl = (req: FastifyRequest) => deps.config.PUBLIC_URL ?? `${req.protocol}://${req.host}`;

  scope.get('/templates', async (req, reply) => {
    const a = adminOf(req);
    const t = webWords('templates', a.lang);
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
      title: t('templates'),
      body: html`<h1>${t('messageTemplates')}</h1>
<p>${t('eachMessageTemplatePer')}</p>
<p class="muted">${t('editedCount', { edited })}</p>
<table><thead><tr><th>${t('message')}</th><th>${t('channel')}</th><th>${t('part')}</th><th>Tiếng Việt</th><th>English</th></tr></thead><tbody>
${[...rows.values()].map((group) => {
  const r = group[0]!;
  return html`<tr><td>${t(`messageName.${r.message}`)} <span class="muted">${r.message}</span></td><td>${channelName(t, r.channel)}</td><td>${partName(t, r.part)}</td>
${group.map(
  (e) =>
    html`<td${e.override ? html` class="flag"` : ''}><a href="${pathOf(e)}">${e.override ? t('edited') : t('original')}</a>${
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
    const t = webWords('templates', a.lang);
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
      title: t('editTemplate'),
      body: html`<p><a href="/admin/templates">← ${t('allTemplates')}</a></p>
<h1>${nameOf(t, ref)}</h1>
<p class="muted"><code>templates/${ref.lang}/${ref.message}.${ref.channel}.${ref.part}</code> · ${
        current.override
          ? t('editedByAt', {
              updatedBy: current.override.updatedBy,
              updatedAt: dateTime(current.override.updatedAt, zone),
            })
          : t('usingOriginal')
      }</p>
${input.note ? html`<p class="muted">${input.note}</p>` : ''}
<form method="post" action="${path}" class="card">${csrfField(req)}
<p><label for="source">${t('templateMustache')}</label><br>
<textarea id="source" name="source" rows="14" maxlength="${TEMPLATE_MAX_CHARS}" class="wide mono">${source}</textarea></p>
<p class="row"><button type="submit" name="action" value="preview" class="secondary">${t('preview')}</button>
<button type="submit" name="action" value="save">${t('save')}</button></p>
</form>
${
  current.override
    ? html`<form method="post" action="${path}" class="inline">${csrfField(req)}<input type="hidden" name="action" value="reset"><button type="submit" class="danger">${t('discardEditUseOriginal')}</button></form>`
    : ''
}
<div class="card"><h2>${t('placeholdersYouMayUse')}</h2>
<p>${spec.fields.map((f) => html`<code>{{${f}}}</code> `)}</p>
${Object.entries(spec.lists).map(
  ([list, fields]) =>
    html`<p>${t('list')} <code>{{#${list}}}</code> … <code>{{/${list}}}</code>: ${fields.map((f) => html`<code>{{${f}}}</code> `)}</p>`,
)}
<p class="muted">${t('valuesEscapedChannelHtml')}</p></div>
<div class="card"><h2>${t('preview')}</h2>
${
  preview
    ? html`<p class="muted">${t('sampleDataOrganisation')}: ${String(preview.view.unitName ?? preview.view.orgName ?? '')}${
        preview.view.dutyCode
          ? html` · ${t('duty')} ${String(preview.view.dutyCode)} · ${t('due')} ${String(preview.view.dueDateShort)}`
          : ''
      }</p>${previewBlock(t, ref, preview)}`
    : html`<div class="error">${problem}</div>`
}</div>
<details class="card"><summary>${t('originalFile')}</summary><pre class="pre-wrap">${current.file}</pre></details>`,
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
    const t = webWords('templates', a.lang);
    const action = field(req.body, 'action');
    if (action === 'reset') {
      const done = await resetTemplateOverride(deps.db, a.orgId, ref, a.actor);
      return redirectWith(reply, pathOf(ref), done ? t('editDiscardedOriginalUsed') : t('templateNotEdited'));
    }
    const source = field(req.body, 'source').replace(/\r\n/g, '\n');
    if (action !== 'preview' && action !== 'save') {
      return editPage(req, reply, ref, {
        source,
        status: 400,
        error: t('unknownActionNothingChanged'),
      });
    }
    const problem = source ? (templateProblem(checkTemplate(ref, source))?.[a.lang] ?? null) : t('templateEmpty');
    if (action === 'preview') {
      return editPage(req, reply, ref, {
        source,
        ...(problem ? { status: 400, error: problem } : { note: t('previewNotSaved') }),
      });
    }
    if (problem)
      return editPage(req, reply, ref, {
        source,
        status: 400,
        error: `${problem.replace(/\.$/, '')}. ${t('nothingSaved')}`,
      });
    await saveTemplateOverride(deps.db, a.orgId, ref, source, a.actor);
    return redirectWith(reply, pathOf(ref), t('templateSavedSendersUse'));
  });
}
