import type { Words } from '#root/errors/index.js';
import { fillPlaceholders } from '#root/lib/placeholders.js';
import type { Lang } from './html.js';
import askVi from './locales/vi/ask.json' with { type: 'json' };
import askEn from './locales/en/ask.json' with { type: 'json' };
import auditVi from './locales/vi/audit.json' with { type: 'json' };
import auditEn from './locales/en/audit.json' with { type: 'json' };
import commonVi from './locales/vi/common.json' with { type: 'json' };
import commonEn from './locales/en/common.json' with { type: 'json' };
import dutiesVi from './locales/vi/duties.json' with { type: 'json' };
import dutiesEn from './locales/en/duties.json' with { type: 'json' };
import exportsVi from './locales/vi/exports.json' with { type: 'json' };
import exportsEn from './locales/en/exports.json' with { type: 'json' };
import groupsVi from './locales/vi/groups.json' with { type: 'json' };
import groupsEn from './locales/en/groups.json' with { type: 'json' };
import historyVi from './locales/vi/history.json' with { type: 'json' };
import historyEn from './locales/en/history.json' with { type: 'json' };
import importVi from './locales/vi/import.json' with { type: 'json' };
import importEn from './locales/en/import.json' with { type: 'json' };
import inboxVi from './locales/vi/inbox.json' with { type: 'json' };
import inboxEn from './locales/en/inbox.json' with { type: 'json' };
import indicatorsVi from './locales/vi/indicators.json' with { type: 'json' };
import indicatorsEn from './locales/en/indicators.json' with { type: 'json' };
import layoutVi from './locales/vi/layout.json' with { type: 'json' };
import layoutEn from './locales/en/layout.json' with { type: 'json' };
import outboxVi from './locales/vi/outbox.json' with { type: 'json' };
import outboxEn from './locales/en/outbox.json' with { type: 'json' };
import periodsVi from './locales/vi/periods.json' with { type: 'json' };
import periodsEn from './locales/en/periods.json' with { type: 'json' };
import policiesVi from './locales/vi/policies.json' with { type: 'json' };
import policiesEn from './locales/en/policies.json' with { type: 'json' };
import previewVi from './locales/vi/preview.json' with { type: 'json' };
import previewEn from './locales/en/preview.json' with { type: 'json' };
import queuesVi from './locales/vi/queues.json' with { type: 'json' };
import queuesEn from './locales/en/queues.json' with { type: 'json' };
import statusVi from './locales/vi/status.json' with { type: 'json' };
import statusEn from './locales/en/status.json' with { type: 'json' };
import summaryVi from './locales/vi/summary.json' with { type: 'json' };
import summaryEn from './locales/en/summary.json' with { type: 'json' };
import templatesVi from './locales/vi/templates.json' with { type: 'json' };
import templatesEn from './locales/en/templates.json' with { type: 'json' };
import unitsVi from './locales/vi/units.json' with { type: 'json' };
import unitsEn from './locales/en/units.json' with { type: 'json' };

/**
 * What the administrators' pages say, in the administrator's language: one namespace per page
 * (`locales/vi/<page>.json`, `locales/en/<page>.json`, as i18next lays them out), flat keys, `{{name}}`
 * for a value. A page takes `const t = webWords('units', a.lang)` and says `t('addContact')` or
 * `t('removed', { name: c.name })`; the key is typed from the Vietnamese file, so `tsc` refuses
 * one that does not exist. test/web/web-words.test.ts checks both languages have the same keys and
 * placeholders.
 *
 * The text is trusted (it is ours); the values are not: `t()` returns a plain string, which the
 * `html` tag escapes like any other value.
 */
const NAMESPACES = {
  ask: { vi: askVi, en: askEn },
  audit: { vi: auditVi, en: auditEn },
  common: { vi: commonVi, en: commonEn },
  duties: { vi: dutiesVi, en: dutiesEn },
  exports: { vi: exportsVi, en: exportsEn },
  groups: { vi: groupsVi, en: groupsEn },
  history: { vi: historyVi, en: historyEn },
  import: { vi: importVi, en: importEn },
  inbox: { vi: inboxVi, en: inboxEn },
  indicators: { vi: indicatorsVi, en: indicatorsEn },
  layout: { vi: layoutVi, en: layoutEn },
  outbox: { vi: outboxVi, en: outboxEn },
  periods: { vi: periodsVi, en: periodsEn },
  policies: { vi: policiesVi, en: policiesEn },
  preview: { vi: previewVi, en: previewEn },
  queues: { vi: queuesVi, en: queuesEn },
  status: { vi: statusVi, en: statusEn },
  summary: { vi: summaryVi, en: summaryEn },
  templates: { vi: templatesVi, en: templatesEn },
  units: { vi: unitsVi, en: unitsEn },
};

export type Namespace = keyof typeof NAMESPACES;
export type WebKey<N extends Namespace> = keyof (typeof NAMESPACES)[N]['vi'] & string;
export type WebParams = Readonly<Record<string, string | number | bigint>>;
/** A text said by a count: `<base>_one` and `<base>_other` in both files (i18next's plural keys). */
export type CountKey<N extends Namespace> =
  WebKey<N> extends infer K ? (K extends `${infer Base}_one` ? Base : never) : never;

/** A page's words in one language; `lang` for what it hands to a helper of another page. */
export interface WebT<N extends Namespace> {
  (key: WebKey<N>, params?: WebParams): string;
  /** The text for `count` (`{{count}}` in it): `<key>_one` for 1, `<key>_other` otherwise. */
  count(key: CountKey<N>, count: number, params?: WebParams): string;
  readonly lang: Lang;
}

/** The locale files, by namespace and language (for the tests). */
export const WEB_WORDS: Readonly<Record<Namespace, Readonly<Record<Lang, Readonly<Record<string, string>>>>>> =
  NAMESPACES;

export { placeholdersOf } from '#root/lib/placeholders.js';

/**
 * The words of one namespace in one language. The table is picked once; a call is a lookup, and a
 * text with values one regex replace (a value the caller forgot reads "…", never "undefined").
 */
export function webWords<N extends Namespace>(ns: N, lang: Lang): WebT<N> {
  const table: Readonly<Record<string, string>> = NAMESPACES[ns][lang];
  const t = (key: WebKey<N>, params?: WebParams): string => {
    return fillPlaceholders(table[key]!, (name) => {
      const v = params?.[name];
      return v === undefined ? undefined : String(v);
    });
  };
  const count = (key: CountKey<N>, n: number, params?: WebParams) =>
    t(`${key}_${n === 1 ? 'one' : 'other'}` as WebKey<N>, { ...params, count: n });
  return Object.assign(t, { count, lang });
}

/** Whether a key built at run time (`verb.${action}`) is one of the namespace's. */
export const isWebKey = <N extends Namespace>(ns: N, key: string): key is WebKey<N> =>
  Object.hasOwn(NAMESPACES[ns].vi, key);

/**
 * One text in both languages, for an error a page throws: the page shows the administrator's
 * language, as it does a service's {@link Words}.
 */
export const inBoth = <N extends Namespace>(ns: N, key: WebKey<N>, params?: WebParams): Words => ({
  vi: webWords(ns, 'vi')(key, params),
  en: webWords(ns, 'en')(key, params),
});
