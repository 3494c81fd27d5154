import type { Api } from 'grammy';
import type { Config, EnvConfig } from '#root/config.js';
import type { Lang } from '#root/domain/wording.js';
import type { Words } from '#root/errors/index.js';
import type { Channel, Contact } from '#root/generated/prisma/client.js';
import type { Logger } from '#root/logger.js';
import type { ChatKey } from '#root/messages/chat-words.js';
import type { TelegramLimiter } from './telegram/limiter.js';
import type { ChannelAdapter, DeliveryError } from './types.js';

/**
 * The columns of a contact that are not an address. Every other column of `contacts` holds some
 * channel's address (its spec names it in {@link AddressSpec.fields}; test/channels/registry.test.ts
 * checks that each is claimed by exactly one channel), so a channel's migration adding its columns
 * is all it takes for them to reach the channel.
 */
type ContactCore =
  | 'id'
  | 'orgId'
  | 'unitId'
  | 'name'
  | 'role'
  | 'locale'
  | 'channels'
  | 'disabledChannels'
  | 'unreachableSince'
  | 'active'
  | 'createdAt';

/** A contact column holding (part of) a channel's address. */
export type AddressField = Exclude<keyof Contact, ContactCore>;

/** A contact's addresses, by column. A column absent here is the same as an empty one. */
export type ContactAddresses = Partial<Pick<Contact, AddressField>>;

/** Mustache hands the escaper the value as it is in the view: numbers too. */
export type Escape = (value: unknown) => string;

/**
 * What parsing a typed address may need: the configuration, its signing key resolved (a channel
 * that makes a secret seals it with a key derived from SECRET_KEY, and checks hosts against its
 * own settings).
 */
export interface AddressContext {
  config: Config;
}

/**
 * Where a channel sends to and how people set it. `typed`: an administrator types it (a web form
 * field, a CLI flag: an email address, a URL); `linked`: the person links it themselves with an
 * invite (a chat). Addresses are never logged; {@link show} is how an administrator sees one.
 */
export interface AddressSpec {
  /** The contact's columns the address is kept in; the first holds the address itself. */
  readonly fields: readonly [AddressField, ...AddressField[]];
  readonly entry: 'typed' | 'linked';
  /** A typed address: the form field's type and longest input (its name is the channel's). */
  readonly input?: { type: 'email' | 'url' | 'text'; maxLength: number; example: string };
  /**
   * The columns' values from what was typed (a form, a flag) or linked (a chat's id); throws a
   * UserError (Vietnamese / English) saying what is wrong, nothing set. May add columns of its own
   * (a signing secret); a channel that needs `ctx` for that (its key, its settings) throws without it.
   */
  parse(raw: string, ctx?: AddressContext): ContactAddresses;
  /** Whether the contact has an address here. */
  has(c: ContactAddresses): boolean;
  /** The address as an administrator sees it (masked where it is a secret); null when none. */
  show(c: ContactAddresses): string | null;
  /**
   * What was set that is shown only once, right after it is set (a generated secret), in the
   * administrator's language; null when nothing.
   */
  reveal?(values: ContactAddresses, ctx: AddressContext, lang: Lang): string | null;
  /** Locale key: what to do before this channel can be used (told to the person and the administrator). */
  readonly missing: ChatKey;
}

/**
 * What the composition shares with the transports: the Telegram limiter and client it builds for
 * the bot too (a channel ignores what it does not use).
 */
export interface ChannelOptions {
  telegramLimiter?: TelegramLimiter;
  /** The reminders' Bot API client, built by src/composition.ts; without it, the channel builds its own. */
  telegramApi?: Api;
}

export interface TransportContext {
  config: EnvConfig;
  logger: Logger;
  options: ChannelOptions;
}

/** One part of a message: its template file's part and what it is in the message. */
export interface MessagePart {
  /** The template's part, as its file is named (`reminder-due.email.subject.txt` → `subject.txt`). */
  readonly part: string;
  readonly role: 'subject' | 'text' | 'html';
}

/**
 * A channel, as everything outside its folder knows it: src/channels/registry.ts lists one per
 * channel, and delivery, templates, contacts, the web pages and the CLI loop over that list.
 */
export interface ChannelSpec<L = unknown> {
  readonly name: Channel;
  /** Locale key of its name, as a heading or a list shows it ("Email"). */
  readonly label: ChatKey;
  /** Locale key of its name inside a sentence ("thư điện tử"). */
  readonly inWords: ChatKey;
  /** Words accepted for it where people type channels (lower case): "thư" for email. */
  readonly aliases: readonly string[];
  /** Whether a contact may choose it with /kenh (else only an administrator may). */
  readonly contactChoosable: boolean;
  /** Null: needs no address (the sandbox outbox). */
  readonly address: AddressSpec | null;
  /**
   * The template parts of each message, in the order the templates page lists them. Without a
   * `subject` part, the subject is the text's first line; without `html`, there is none.
   */
  readonly parts: readonly MessagePart[];
  /** How a value is escaped in one of its parts (HTML of its dialect, nothing for plain text). */
  escape(part: string): Escape;
  /**
   * What the channel would refuse in a rendered template (Telegram's HTML), and where in the
   * rendered text; null when nothing.
   */
  templateProblem?(part: string, rendered: string): { at: number; problem: Words } | null;
  /** Whether a message can carry buttons (✅ / 📅); without, it says what to type. */
  readonly buttons: boolean;
  /** How many items of a day's message are shown in full; the rest are counted, with /viec. */
  readonly shownItems: number;
  /** The longest text it takes as one message, in characters. */
  readonly maxLength: number;
  /**
   * Which errors are permanent: the channel's answer (an exception of its client) as a
   * DeliveryError, permanent for the address or for the message, or temporary; undefined when it
   * is none of the channel's.
   */
  deliveryError(error: unknown): DeliveryError | undefined;
  /** Its rate limiter, from the configuration (shared by its transport's sends); none when unpaced. */
  limiter?(ctx: TransportContext): Promise<L>;
  /**
   * Its transport from the configuration, or null when not configured (no credentials). Loaded on
   * demand: the command line does not load the channels' clients.
   */
  transport(ctx: TransportContext, limiter: L): Promise<ChannelAdapter | null>;
}

/** Declares a channel: checks the spec against {@link ChannelSpec} and keeps its limiter's type inside. */
export function defineChannel<L>(spec: ChannelSpec<L>): ChannelSpec<L> {
  return spec;
}

/** Plain text: nothing to escape. */
export const plain: Escape = (v) => String(v);

/** HTML (email): the five characters HTML gives a meaning to. */
export const htmlEscape: Escape = (v) =>
  String(v)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
