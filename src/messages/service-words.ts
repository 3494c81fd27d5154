import type { Lang } from '#root/domain/wording.js';
import type { Words } from '#root/errors/index.js';
import { fillPlaceholders } from '#root/lib/placeholders.js';
import adminsVi from './locales/vi/admins.json' with { type: 'json' };
import adminsEn from './locales/en/admins.json' with { type: 'json' };
import auditVi from './locales/vi/audit.json' with { type: 'json' };
import auditEn from './locales/en/audit.json' with { type: 'json' };
import calendarVi from './locales/vi/calendar.json' with { type: 'json' };
import calendarEn from './locales/en/calendar.json' with { type: 'json' };
import cliVi from './locales/vi/cli.json' with { type: 'json' };
import cliEn from './locales/en/cli.json' with { type: 'json' };
import configVi from './locales/vi/config.json' with { type: 'json' };
import configEn from './locales/en/config.json' with { type: 'json' };
import contactsVi from './locales/vi/contacts.json' with { type: 'json' };
import contactsEn from './locales/en/contacts.json' with { type: 'json' };
import importVi from './locales/vi/import.json' with { type: 'json' };
import importEn from './locales/en/import.json' with { type: 'json' };
import langVi from './locales/vi/lang.json' with { type: 'json' };
import langEn from './locales/en/lang.json' with { type: 'json' };
import indicatorsVi from './locales/vi/indicators.json' with { type: 'json' };
import indicatorsEn from './locales/en/indicators.json' with { type: 'json' };
import obligationsVi from './locales/vi/obligations.json' with { type: 'json' };
import obligationsEn from './locales/en/obligations.json' with { type: 'json' };
import orgsVi from './locales/vi/orgs.json' with { type: 'json' };
import orgsEn from './locales/en/orgs.json' with { type: 'json' };
import outboxVi from './locales/vi/outbox.json' with { type: 'json' };
import outboxEn from './locales/en/outbox.json' with { type: 'json' };
import plansVi from './locales/vi/plans.json' with { type: 'json' };
import plansEn from './locales/en/plans.json' with { type: 'json' };
import policiesVi from './locales/vi/policies.json' with { type: 'json' };
import policiesEn from './locales/en/policies.json' with { type: 'json' };
import previewVi from './locales/vi/preview.json' with { type: 'json' };
import previewEn from './locales/en/preview.json' with { type: 'json' };
import templatesVi from './locales/vi/templates.json' with { type: 'json' };
import templatesEn from './locales/en/templates.json' with { type: 'json' };
import timeframeVi from './locales/vi/timeframe.json' with { type: 'json' };
import timeframeEn from './locales/en/timeframe.json' with { type: 'json' };
import unitsVi from './locales/vi/units.json' with { type: 'json' };
import unitsEn from './locales/en/units.json' with { type: 'json' };

/**
 * What the services, the importer, the command line and the domain say to people — errors they
 * throw (`UserError`, `NotFoundError`, `ImportError`), an import's flags and notes — in both
 * languages at once: a {@link Words}, which the web, the chats and the command line show in the
 * person's language ({@link serviceWordsIn}: one language's words, for the command line's own).
 * One namespace per module, as the web's (`locales/vi/<module>.json`, `locales/en/<module>.json`),
 * flat keys, `{{name}}` for a value.
 *
 * A module takes `const unitWords = serviceWords('units')` and throws in one line:
 * `throw new NotFoundError(unitWords('notFound', { name }))`. The key is typed from the Vietnamese
 * file, so `tsc` refuses one that does not exist; test/domain/service-words.test.ts checks both
 * languages have the same keys and placeholders and that every key is used.
 */
const NAMESPACES = {
  admins: { vi: adminsVi, en: adminsEn },
  audit: { vi: auditVi, en: auditEn },
  calendar: { vi: calendarVi, en: calendarEn },
  cli: { vi: cliVi, en: cliEn },
  config: { vi: configVi, en: configEn },
  contacts: { vi: contactsVi, en: contactsEn },
  import: { vi: importVi, en: importEn },
  lang: { vi: langVi, en: langEn },
  indicators: { vi: indicatorsVi, en: indicatorsEn },
  obligations: { vi: obligationsVi, en: obligationsEn },
  orgs: { vi: orgsVi, en: orgsEn },
  outbox: { vi: outboxVi, en: outboxEn },
  plans: { vi: plansVi, en: plansEn },
  policies: { vi: policiesVi, en: policiesEn },
  preview: { vi: previewVi, en: previewEn },
  templates: { vi: templatesVi, en: templatesEn },
  timeframe: { vi: timeframeVi, en: timeframeEn },
  units: { vi: unitsVi, en: unitsEn },
};

export type ServiceNamespace = keyof typeof NAMESPACES;
export type ServiceKey<N extends ServiceNamespace> = keyof (typeof NAMESPACES)[N]['vi'] & string;
/**
 * A value put in a text: the same in both languages (a name, a number), or said in each — a
 * {@link Words}, or a function of the language (`(lang) => channelLabel(channel, lang)`).
 */
export type ServiceValue = string | number | bigint | Words | ((lang: Lang) => string);
export type ServiceParams = Readonly<Record<string, ServiceValue>>;
export type ServiceT<N extends ServiceNamespace> = (key: ServiceKey<N>, params?: ServiceParams) => Words;

/** The locale files, by namespace and language (for the tests). */
export const SERVICE_WORDS: Readonly<
  Record<ServiceNamespace, Readonly<Record<Lang, Readonly<Record<string, string>>>>>
> = NAMESPACES;

export { placeholdersOf } from '#root/lib/placeholders.js';

function valueIn(v: ServiceValue | undefined, lang: Lang): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'function') return v(lang);
  if (typeof v === 'object') return v[lang];
  return String(v);
}

/**
 * One text in a language, its placeholders filled in one pass (a value's own braces — a template's
 * `{{tên}}` — are not filled again; a value the caller forgot reads "…", never "undefined").
 */
function fill(text: string, params: ServiceParams | undefined, lang: Lang): string {
  return fillPlaceholders(text, (name) => valueIn(params?.[name], lang));
}

/** The words of one namespace in one language: a key and its values give the text. */
export type ServiceTIn<N extends ServiceNamespace> = (key: ServiceKey<N>, params?: ServiceParams) => string;

/** The words of one namespace: a key and its values give the text in both languages. */
export function serviceWords<N extends ServiceNamespace>(ns: N): ServiceT<N> {
  const { vi, en }: { vi: Readonly<Record<string, string>>; en: Readonly<Record<string, string>> } = NAMESPACES[ns];
  return (key, params) => ({ vi: fill(vi[key]!, params, 'vi'), en: fill(en[key]!, params, 'en') });
}

/**
 * The words of one namespace in one language, for who speaks to one person: the command line and
 * the configuration's check at start-up, in the language chosen for the run
 * (src/messages/lang-choice.ts). `const t = serviceWordsIn('cli', lang)`, then `t('written', { file })`.
 */
export function serviceWordsIn<N extends ServiceNamespace>(ns: N, lang: Lang): ServiceTIn<N> {
  const table: Readonly<Record<string, string>> = NAMESPACES[ns][lang];
  return (key, params) => fill(table[key]!, params, lang);
}
