import { createHash } from 'node:crypto';
import { webWords, type WebKey } from './words.js';

/**
 * Server-rendered HTML: a tagged template that escapes every interpolated value unless it is
 * already `Html` (built by this template or marked with `raw`), so a duty title with `<script>`
 * in it is text wherever it appears.
 */

export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type Part = Html | string | number | bigint | boolean | null | undefined | readonly Part[];

export const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

function render(part: Part): string {
  if (part instanceof Html) return part.value;
  if (part === null || part === undefined || part === false || part === true) return '';
  if (Array.isArray(part)) return (part as readonly Part[]).map(render).join('');
  return escapeHtml(String(part));
}

export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Html(out);
}

/** Trusted markup, as is. Never for anything a user typed. */
export const raw = (s: string) => new Html(s);

export type Lang = 'vi' | 'en';

export interface NavItem {
  href: string;
  /** Its words (src/web/locales/<lang>/layout.json). */
  key: WebKey<'layout'>;
  /** Shown to deployment-wide operators only. */
  operator?: boolean;
}

/** The administrators' menu, in this order. */
export const NAV: NavItem[] = [
  { href: '/admin', key: 'nav.status' },
  { href: '/admin/inbox', key: 'nav.toDo' },
  { href: '/admin/units', key: 'nav.units' },
  { href: '/admin/duties', key: 'nav.duties' },
  { href: '/admin/import', key: 'nav.importPlan' },
  { href: '/admin/policies', key: 'nav.policies' },
  { href: '/admin/templates', key: 'nav.templates' },
  { href: '/admin/outbox', key: 'nav.outbox' },
  { href: '/admin/preview', key: 'nav.preview' },
  { href: '/admin/indicators', key: 'nav.indicators' },
  { href: '/admin/exports', key: 'nav.exports' },
  { href: '/admin/audit', key: 'nav.audit' },
  { href: '/admin/queues', key: 'nav.queues', operator: true },
];

/**
 * The pages' stylesheet, served at STYLESHEET_PATH (src/web/server.ts): the Content-Security-Policy
 * allows styles from this site only, no inline `<style>` nor `style="…"`, so every look is a class.
 */
export const STYLE = `
*{box-sizing:border-box}body{font-family:system-ui,"Segoe UI",Roboto,Arial,sans-serif;margin:0;color:#111;line-height:1.45;background:#f7f7f8}
header{background:#0f3d6e;color:#fff;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center}
header a{color:#fff;text-decoration:none}header .brand{font-weight:700;font-size:1.1rem}
nav{display:flex;flex-wrap:wrap;gap:.25rem .9rem;font-size:.95rem}nav a[aria-current]{text-decoration:underline;font-weight:600}
header .me{margin-left:auto;display:flex;gap:.6rem;align-items:center;font-size:.9rem}
header form{display:inline}header button{background:none;border:1px solid #fff8;color:#fff;border-radius:.3rem;padding:.15rem .5rem;cursor:pointer}
main{padding:1rem;max-width:100%}main table:not(.matrix):not(.stack){display:block;overflow-x:auto;max-width:100%}h1{font-size:1.4rem;margin:.2rem 0 .8rem}h2{font-size:1.15rem}
.en{color:#555;font-size:.88em}.muted{color:#666}.flash{background:#e7f6ea;border:1px solid #86c995;padding:.5rem .8rem;border-radius:.3rem;margin-bottom:1rem}
.error{background:#fdecec;border:1px solid #e79a9a;padding:.5rem .8rem;border-radius:.3rem;margin-bottom:1rem}
table{border-collapse:collapse;background:#fff}th,td{border:1px solid #ddd;padding:.3rem .45rem;text-align:left;vertical-align:top}th{background:#eef1f5}
input,select,textarea,button{font:inherit}input[type=text],input[type=email],input[type=password],input[type=date],select,textarea{padding:.35rem;border:1px solid #bbb;border-radius:.3rem;max-width:100%}
button,.button{background:#0f5fa8;color:#fff;border:0;border-radius:.3rem;padding:.4rem .8rem;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary{background:#666}button.danger{background:#b42318}
form.inline{display:inline}.row select{max-width:22rem}.row{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end;margin:.5rem 0}
.card{background:#fff;border:1px solid #ddd;border-radius:.4rem;padding:.8rem;margin:.8rem 0}
.s-done{background:#cdeccf}.s-open{background:#fff}.s-soon{background:#fff1b8}.s-overdue{background:#f7c3c0}.s-waived{background:#e3e3e3}.s-extended{background:#cfe3f7}.s-none{background:#f7f7f8}
.flag{background:#fff1b8}
.narrow{max-width:24rem}.wide{width:100%}.w6{width:6rem}.w7{width:7rem}.w12{width:12rem}.w22{width:22rem}.w24{width:24rem}.w28{width:28rem}
.m0{margin:0}.nowrap{white-space:nowrap}.pre-wrap{white-space:pre-wrap}.mono{font-family:ui-monospace,monospace}.code-wrap{white-space:pre-wrap;word-break:break-word}
.flags-list{margin:0;padding-left:1rem}.msg-body{white-space:pre-wrap;font-family:inherit;margin:0;max-width:36rem;max-height:12rem;overflow:auto}
.preview{white-space:pre-wrap;background:#fff;border:1px solid #ddd;padding:.6rem;max-width:48rem}
.preview-frame{width:100%;max-width:48rem;height:28rem;border:1px solid #ddd;background:#fff}
.matrix{font-size:.85rem}.matrix th,.matrix td{padding:.15rem .3rem;white-space:nowrap}
.matrix-wrap{overflow:auto;max-height:calc(100vh - 4rem);border:1px solid #ddd;background:#fff;margin:.5rem 0}
.matrix td{text-align:center;min-width:2.2rem}.matrix td a{color:inherit;text-decoration:none;display:block}
.matrix tbody th,.matrix thead th.corner,.matrix tfoot th{position:sticky;left:0;z-index:1;background:#eef1f5;min-width:13rem;max-width:19rem;white-space:normal;overflow-wrap:anywhere}
.matrix thead th{position:sticky;top:0;z-index:2;height:1.7rem}.matrix thead tr+tr th{top:1.7rem}.matrix thead th.corner{z-index:3}
.matrix th.plan{text-align:center;background:#dde6f0}.matrix tfoot td,.matrix tfoot th{position:sticky;bottom:0;background:#eef1f5}.matrix tfoot th{z-index:3}
button.mini{float:right;margin-left:.3rem;padding:0 .45rem;font-size:.8rem;background:#5a6470;line-height:1.5}li:has(button.mini)::after{content:"";display:table;clear:both}
.cards{list-style:none;padding:0;margin:.5rem 0 1rem;display:grid;grid-template-columns:repeat(auto-fill,minmax(17rem,1fr));gap:.7rem}.cards>.card{margin:0}
a.block{display:block;color:inherit;text-decoration:none}a.block:hover .title,a.block:focus .title{text-decoration:underline}
.card .code{font-weight:700}.card .title{display:-webkit-box;-webkit-line-clamp:3;-webkit-box-orient:vertical;overflow:hidden;margin:.2rem 0;overflow-wrap:anywhere}
.big{display:block;font-size:1.15rem;font-weight:700;margin:.3rem 0}p.big{margin:.5rem 0}.big .aside{font-size:.9rem;font-weight:400}
progress{width:100%;height:.8rem;accent-color:#1a7f37}.share progress{width:7rem;vertical-align:middle}
.deadline.is-late{border-left:4px solid #b42318}.late-text{color:#b42318;font-weight:600}.go{display:block;margin-top:.3rem;color:#0f5fa8}
ul.plain{padding-left:1.1rem}ul.plain li{margin:.25rem 0}.pager{display:flex;gap:1rem;align-items:center;margin:.8rem 0}
table.stack{width:100%}ul.items{margin:0;padding-left:1.1rem}ul.items li{margin:.05rem 0}.inbox-count{display:inline-block;min-width:1.3rem;padding:0 .3rem;margin-left:.2rem;border-radius:1rem;background:#f5c542;color:#111;font-size:.8rem;text-align:center;font-weight:700}
.field-error{color:#b42318;font-size:.9rem;font-weight:600}[aria-invalid=true]{border-color:#b42318;outline:1px solid #b42318}
summary{cursor:pointer;padding:.3rem 0}details.card>summary{font-weight:600}details.card[open]>summary{margin-bottom:.4rem}
label.block-label{display:block;margin:.3rem 0}fieldset.retire{max-width:60rem}
.menu-toggle{position:absolute;opacity:0;width:1px;height:1px}.menu-button{display:none}.phone-only{display:none}
.legend span{display:inline-block;border:1px solid #ccc;padding:.05rem .45rem;margin:.1rem .2rem .1rem 0;border-radius:.2rem}
.chart{margin:.5rem 0;overflow-x:auto}.chart svg{background:#fff;border:1px solid #ddd}.chart text{font-size:12px;fill:#333}.chart .axis{stroke:#999}
.bar-target{fill:#c9ced6}.bar-value{fill:#0f5fa8}.bar-met{fill:#2e8b57}.bar-miss{fill:#c0392b}
.key-target{background:#c9ced6}.key-met{background:#2e8b57;color:#fff}.key-miss{background:#c0392b;color:#fff}
@media (min-width:641px){table.stack td.short,table.stack td[class^="s-"]{white-space:nowrap}}
@media (max-width:640px){main{padding:.5rem}h1{font-size:1.2rem}header{padding:.4rem .6rem}
.menu-button{display:inline-block;border:1px solid #fff8;border-radius:.3rem;padding:.1rem .6rem;cursor:pointer}.menu-toggle:focus-visible+.menu-button{outline:2px solid #fff}
header nav{display:none;flex-direction:column;width:100%;order:5;padding:.3rem 0}header nav a{padding:.35rem 0}.menu-toggle:checked~nav{display:flex}
header{gap:.3rem .5rem}header .me{margin-left:auto;gap:.4rem;font-size:.85rem}header .me span{display:none}.wide-only{display:none}span.phone-only{display:inline}table.stack .phone-15>tr:nth-child(n+16),table.stack .phone-8>tr:nth-child(n+9){display:none}table.stack.log tr{display:flex;flex-wrap:wrap;align-items:baseline}table.stack.log td.when{order:1;width:auto}table.stack.log td.tech{order:2;width:auto;margin-left:auto}table.stack.log td.what{order:3}table.stack.log td.tech:has(details[open]){order:4;width:100%}table.stack.log summary{padding:0}table.stack td.duty br{display:none}table.stack td.duty .muted::before{content:" · "}table.stack .msg-body{display:-webkit-box;-webkit-line-clamp:4;-webkit-box-orient:vertical;overflow:hidden;max-height:none}
.matrix tbody th,.matrix thead th.corner,.matrix tfoot th{min-width:8.5rem;max-width:10rem;font-size:.8rem}
table.stack thead{display:none}.clamp{display:-webkit-box;-webkit-line-clamp:2;-webkit-box-orient:vertical;overflow:hidden}.few-on-phone>li:nth-child(n+4),.fewer-on-phone>li:nth-child(n+3){display:none}.card .title{-webkit-line-clamp:2}table.stack,table.stack tbody,table.stack tr,table.stack td{display:block;width:100%}
table.stack tr{border:1px solid #ddd;border-radius:.4rem;margin:0 0 .45rem;background:#fff;padding:.3rem .6rem;line-height:1.35}table.stack td{border:0;padding:.05rem 0}
table.stack td.half{display:inline-block;width:auto;margin-right:.9rem}table.stack td.wide-only{display:none}table.stack td[class^="s-"]{display:inline-block;width:auto;padding:0 .45rem;border-radius:.25rem}table.stack td.clamp{display:-webkit-box}table.stack td[data-label]:not([data-label=""])::before{content:attr(data-label) ": ";font-weight:600;color:#555}
.w22,.w24,.w28{width:100%}.row>label:has(>input.w22,>input.w24,>input.w28){flex:1 1 100%}}
`;

/** Where the pages' stylesheet is served; `?v=` changes with its text, so a day's cache is safe. */
export const STYLESHEET_PATH = '/static/dondoc.css';
const STYLE_VERSION = createHash('sha256').update(STYLE).digest('base64url').slice(0, 10);

export interface LayoutInput {
  title: string;
  lang: Lang;
  body: Html;
  /** The logged-in administrator: the menu and the logout button. */
  admin?: { name: string; csrfToken: string; operator?: boolean; inbox?: number | undefined } | undefined;
  /** The path of this page (the current menu item, and where the language switch returns). */
  path?: string;
  flash?: string | null | undefined;
  error?: string | null | undefined;
}

export function layout(p: LayoutInput): string {
  const t = webWords('layout', p.lang);
  const current = p.path ?? '';
  const other: Lang = p.lang === 'en' ? 'vi' : 'en';
  const back = encodeURIComponent(current || '/admin');
  const nav = p.admin
    ? html`<input type="checkbox" id="menu-toggle" class="menu-toggle"><label for="menu-toggle" class="menu-button">☰ ${t('menu')}${p.admin.inbox ? html` <span class="inbox-count">${p.admin.inbox}</span>` : ''}</label><nav>${NAV.filter(
        (n) => !n.operator || p.admin?.operator,
      ).map((n) => {
        const active =
          n.href === '/admin' ? current === '/admin' : current === n.href || current.startsWith(`${n.href}/`);
        const count = n.href === '/admin/inbox' ? p.admin?.inbox : undefined;
        return html`<a href="${n.href}"${active ? raw(' aria-current="page"') : ''}>${t(n.key)}${count ? html` <span class="inbox-count" aria-label="${t('countWaiting', { count })}">${count}</span>` : ''}</a>`;
      })}</nav>
      <div class="me"><span>${p.admin.name}</span>
      <form method="post" action="/logout"><input type="hidden" name="_csrf" value="${p.admin.csrfToken}"><button type="submit">${t('logOut')}</button></form>
      <a href="/lang/${other}?back=${raw(back)}">${t('otherLanguage')}</a></div>`
    : html`<div class="me"><a href="/lang/${other}?back=${raw(back)}">${t('otherLanguage')}</a></div>`;
  return html`<!doctype html>
<html lang="${p.lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${p.title} · dondoc</title><link rel="stylesheet" href="${STYLESHEET_PATH}?v=${STYLE_VERSION}"></head>
<body><header><a class="brand" href="/admin">dondoc</a>${nav}</header>
<main>${p.flash ? html`<div class="flash" role="status">${p.flash}</div>` : ''}${p.error ? html`<div class="error" role="alert">${p.error}</div>` : ''}${p.body}</main></body></html>`
    .value;
}
