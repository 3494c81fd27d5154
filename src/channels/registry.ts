import type { Lang } from '#root/domain/wording.js';
import type { Channel } from '#root/generated/prisma/client.js';
import { say } from '#root/messages/chat-words.js';
import { emailChannel } from './email/spec.js';
import { sandboxChannel } from './sandbox/spec.js';
import type { AddressField, AddressSpec, ChannelSpec, ContactAddresses, Escape, TransportContext } from './spec.js';
import { telegramChannel } from './telegram/spec.js';
import type { ChannelAdapter } from './types.js';
import { webhookChannel } from './webhook/spec.js';
import { zaloChannel } from './zalo/spec.js';

/**
 * The channels, one line each, in the order pages and lists show them. Everything outside a
 * channel's folder — delivery, templates, contacts, the web pages, the CLI — loops over this list
 * (see {@link ChannelSpec}); a new channel is its folder, its templates and one line here.
 */
// One line per channel, so that adding one is one line of this file.
// prettier-ignore
export const CHANNEL_SPECS: readonly ChannelSpec[] = [
  sandboxChannel,
  emailChannel,
  telegramChannel,
  zaloChannel,
  webhookChannel,
];

const BY_NAME = new Map<string, ChannelSpec>(CHANNEL_SPECS.map((s) => [s.name, s]));

/** Every channel's name, in the registry's order. */
export const CHANNEL_NAMES: readonly Channel[] = CHANNEL_SPECS.map((s) => s.name);

/** Whether a word is a channel's name. */
export const isChannel = (name: string): name is Channel => BY_NAME.has(name);

/** A channel's spec; throws for a name no channel has (a bug: names come from the database or {@link isChannel}). */
export function channelSpec(name: string): ChannelSpec {
  const spec = BY_NAME.get(name);
  if (!spec) throw new Error(`unknown channel: ${name}`);
  return spec;
}

/** The channels with an address of their own, and that address's spec. */
export const ADDRESSED: readonly (ChannelSpec & { address: AddressSpec })[] = CHANNEL_SPECS.filter(
  (s): s is ChannelSpec & { address: AddressSpec } => s.address !== null,
);

/** The channels whose address an administrator types (a form field, a CLI flag named after the channel). */
export const TYPED: readonly (ChannelSpec & { address: AddressSpec })[] = ADDRESSED.filter(
  (s) => s.address.entry === 'typed',
);

/** The channel a contact gets when nothing else is given: the first that needs no address (the sandbox outbox). */
export const DEFAULT_CHANNEL: Channel = CHANNEL_SPECS.find((s) => s.address === null)!.name;

/** The channels whose address the person links with an invite (a chat). */
export const LINKED: readonly (ChannelSpec & { address: AddressSpec })[] = ADDRESSED.filter(
  (s) => s.address.entry === 'linked',
);

/** Every contact column that holds an address, in the registry's order. */
export const ADDRESS_FIELDS: readonly AddressField[] = ADDRESSED.flatMap((s) => s.address.fields);

/** The database column of an address field (`telegramChatId` → `telegram_chat_id`, as the schema maps them). */
export const addressColumn = (field: AddressField): string => field.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`);

/** The address columns of a contact (or of any row that has them), an absent one as null. */
export function addressesOf(c: ContactAddresses): ContactAddresses {
  // A loop rather than Object.fromEntries: twice per message sent (loaded, then its recipient).
  const out: Record<string, unknown> = {};
  for (const f of ADDRESS_FIELDS) out[f] = c[f] ?? null;
  return out as ContactAddresses;
}

/** Whether a contact can be reached on a channel: it needs no address, or the contact has one. */
export const reachable = (channel: string, c: ContactAddresses): boolean => {
  const spec = BY_NAME.get(channel);
  return spec !== undefined && (spec.address === null || spec.address.has(c));
};

/** The channel a word names (its name, an alias or its label in either language, any case, NFC); undefined for none. */
export function channelOfWord(word: string): Channel | undefined {
  const w = word.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase();
  return CHANNEL_SPECS.find(
    (s) =>
      s.name === w ||
      s.aliases.includes(w) ||
      (['vi', 'en'] as const).some((lang) => say(lang, s.label).normalize('NFC').toLowerCase() === w),
  )?.name;
}

/**
 * The channel words of a typed list ("Hộp thư thử, Telegram", "zalo email", "tg → thư"): split on
 * commas, semicolons and arrows; a piece that is not a channel's name or label as a whole (a label
 * may have spaces) is split on spaces too. Lower case, NFC; unknown words are kept for the caller
 * to refuse.
 */
export function channelWordsOf(texts: readonly string[]): string[] {
  return texts
    .flatMap((t) => t.normalize('NFC').split(/[,;>→]+/))
    .map((piece) => piece.trim().replace(/\s+/g, ' ').toLowerCase())
    .filter(Boolean)
    .flatMap((piece) => (channelOfWord(piece) ? [piece] : piece.split(' ')));
}

/** A channel's name for people, as a heading shows it ("Email"); an unknown one as it is. */
export const channelLabel = (channel: string, lang: Lang): string => {
  const spec = BY_NAME.get(channel);
  return spec ? say(lang, spec.label) : channel;
};

/** A channel's name inside a sentence ("thư điện tử"); an unknown one as "kênh khác" / "another channel". */
export const channelWords = (channel: string, lang: Lang): string => {
  const spec = BY_NAME.get(channel);
  return say(lang, spec ? spec.inWords : 'channelWords.other');
};

/** The template parts of a channel (`txt`; `subject.txt`, `text.txt`, `html`…). */
export const partsOf = (channel: string): string[] => channelSpec(channel).parts.map((p) => p.part);

/** How a value is escaped in one part of a channel's template. */
export const escaperFor = (channel: string, part: string): Escape => channelSpec(channel).escape(part);

/**
 * A channel's transport from the configuration (its limiter first), or null when it is not
 * configured.
 */
export async function createTransport(spec: ChannelSpec, ctx: TransportContext): Promise<ChannelAdapter | null> {
  const limiter = spec.limiter ? await spec.limiter(ctx) : undefined;
  return spec.transport(ctx, limiter);
}
