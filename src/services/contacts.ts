import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '#root/db/client.js';
import {
  CHANNEL_NAMES,
  channelLabel,
  channelOfWord,
  channelWordsOf,
  channelSpec,
  DEFAULT_CHANNEL,
  isChannel,
  LINKED,
  reachable,
  TYPED,
} from '#root/channels/registry.js';
import type { AddressContext, ContactAddresses } from '#root/channels/spec.js';
import type { Lang } from '#root/domain/wording.js';
import type { Channel, ContactRole, Locale } from '#root/generated/prisma/client.js';
import { say } from '#root/messages/chat-words.js';
import { isUnreachable } from '#root/domain/contacts.js';
import { NotFoundError, UserError } from '#root/errors/index.js';
import { audit } from './audit.js';
import { findUnit, isUuid } from './units.js';
import { serviceWords } from '#root/messages/service-words.js';

const contactWords = serviceWords('contacts');

const ROLES: ContactRole[] = ['contact', 'head', 'supervisor', 'admin'];

export interface ContactInput {
  /** The unit by name (the command line)… */
  unit?: string;
  /** …or by id (the web page, which knows it): a unit of another organisation is not found. */
  unitId?: string;
  name: string;
  role?: string;
  locale?: string;
  /** Addresses typed by an administrator, by channel (`{ email: 'a@b.vn' }`): see the registry's typed channels. */
  addresses?: Partial<Record<string, string>>;
  channels?: string[];
}

/**
 * What setting a typed address may need (see {@link AddressContext}: the configuration, for a
 * channel that seals a secret or checks hosts), and the language of what is shown once.
 */
export interface AddressOptions {
  address?: AddressContext;
  lang?: Lang;
}

/**
 * The address columns of what an administrator typed, by channel, each checked by its channel's
 * spec (a UserError for the first that is not valid); a channel whose address is not typed is refused.
 */
function typedAddresses(
  input: Partial<Record<string, string>>,
  ctx: AddressContext | undefined,
): { values: ContactAddresses; channels: Channel[] } {
  const values: ContactAddresses = {};
  const channels: Channel[] = [];
  for (const [name, raw] of Object.entries(input)) {
    if (raw === undefined || raw.trim() === '') continue;
    const spec = TYPED.find((s) => s.name === name);
    if (!spec) throw new UserError(contactWords('channelNotTyped', { name: name.slice(0, 20) }));
    Object.assign(values, spec.address.parse(raw, ctx));
    channels.push(spec.name);
  }
  return { values, channels };
}

/**
 * Adds a person to a unit. Channels are the preference order; a channel whose address is typed
 * (email, …) needs that address. Without channels: the first channel given an address, else the
 * sandbox.
 */
export async function addContact(
  db: Db,
  orgId: string,
  input: ContactInput,
  actor: string,
  options: AddressOptions = {},
) {
  const name = input.name.trim();
  if (!name) throw new UserError(contactWords('nameRequired'));
  if ([...name].length > 200) throw new UserError(contactWords('nameTooLong'));
  const role = (input.role ?? 'contact') as ContactRole;
  if (!ROLES.includes(role)) throw new UserError(contactWords('unknownRole', { role, roles: ROLES.join(', ') }));
  const locale = (input.locale ?? 'vi') as Locale;
  if (locale !== 'vi' && locale !== 'en') throw new UserError(contactWords('unknownLanguage'));
  const typed = typedAddresses(input.addresses ?? {}, options.address);
  const channels = (input.channels ?? [typed.channels[0] ?? DEFAULT_CHANNEL]).map(
    (c) => channelOfWord(c) ?? c,
  ) as Channel[];
  const bad = channels.filter((c) => !isChannel(c));
  if (bad.length || channels.length === 0) {
    throw new UserError(
      contactWords('unknownChannel', {
        channels: bad.join(', ') || contactWords('noneGiven'),
        allowed: CHANNEL_NAMES.join(', '),
      }),
    );
  }
  const unset = [...new Set(channels)].filter(
    (c) => channelSpec(c).address?.entry === 'typed' && !reachable(c, typed.values),
  );
  if (unset.length)
    throw new UserError(contactWords('channelNeedsAddress', { channel: (lang) => channelLabel(unset[0]!, lang) }));
  return db.$transaction(async (tx) => {
    const unit =
      input.unitId !== undefined
        ? await unitById(tx, orgId, input.unitId)
        : await findUnit(tx, orgId, input.unit ?? '');
    const contact = await tx.contact.create({
      data: { orgId, unitId: unit.id, name, role, locale, ...typed.values, channels },
    });
    await audit(tx, {
      orgId,
      actor,
      action: 'contact.create',
      entity: 'contact',
      entityId: contact.id,
      data: { unit: unit.name, role, channels },
    });
    return { ...contact, unitName: unit.name, reveal: revealOf(typed.values, options) };
  });
}

async function unitById(tx: Pick<Db, 'unit'>, orgId: string, id: string) {
  const unit = isUuid(id) ? await tx.unit.findFirst({ where: { id, orgId } }) : null;
  if (!unit) throw new NotFoundError(contactWords('noSuchUnit'));
  return unit;
}

/**
 * The contacts of an organisation (of one unit), by unit then name. `unreachable`: only the active
 * ones with no working channel — the administrators' list of people to call.
 */
export async function listContacts(db: Db, orgId: string, unitName?: string, options: { unreachable?: boolean } = {}) {
  const unitId = unitName ? (await findUnit(db, orgId, unitName)).id : undefined;
  const rows = await db.contact.findMany({
    where: { orgId, ...(unitId ? { unitId } : {}), ...(options.unreachable ? { active: true } : {}) },
    include: { unit: true },
    orderBy: [{ unit: { name: 'asc' } }, { name: 'asc' }],
  });
  return options.unreachable ? rows.filter(isUnreachable) : rows;
}

/** A contact by id, or by name (unique within the organisation). */
export async function findContact(db: Db, orgId: string, ref: string) {
  const isId = /^[0-9a-f-]{36}$/i.test(ref);
  const found = await db.contact.findMany({
    where: { orgId, ...(isId ? { id: ref } : { name: { equals: ref, mode: 'insensitive' } }) },
    include: { unit: true },
  });
  if (found.length === 0) throw new NotFoundError(contactWords('noSuchContact', { ref }));
  if (found.length > 1) {
    throw new UserError(contactWords('nameAmbiguous', { count: found.length, ref }));
  }
  return found[0]!;
}

/** The stored form of an invite code: codes are bearer secrets, so only their hash is kept. */
export const hashInviteCode = (code: string) => createHash('sha256').update(code).digest('base64url');

export interface InviteResult {
  code: string;
  expiresAt: Date;
  /** `https://t.me/<bot>?start=<code>` when the bot's username is known. */
  telegramLink: string | null;
  /** `https://t.me/<bot>?startgroup=<code>`: links a group chat of the unit instead of a person's chat. */
  telegramGroupLink: string | null;
  contact: { id: string; name: string; unit: string };
}

/**
 * Creates a single-use invite for a contact: a 22-character code (Telegram deep-link payloads allow
 * 64 of `[A-Za-z0-9_-]`), valid for `ttlHours`. Only the code's hash is stored.
 */
export async function createInvite(
  db: Db,
  orgId: string,
  contactRef: string,
  options: { ttlHours: number; now: Date; botUsername?: string | undefined },
  actor: string,
): Promise<InviteResult> {
  const contact = await findContact(db, orgId, contactRef);
  const code = randomBytes(16).toString('base64url');
  const expiresAt = new Date(options.now.getTime() + options.ttlHours * 3_600_000);
  await db.$transaction(async (tx) => {
    const invite = await tx.invite.create({
      data: { orgId, contactId: contact.id, code: hashInviteCode(code), expiresAt },
    });
    await audit(tx, {
      orgId,
      actor,
      action: 'invite.create',
      entity: 'invite',
      entityId: invite.id,
      data: { contact: contact.id, expiresAt: expiresAt.toISOString() },
    });
  });
  return {
    code,
    expiresAt,
    telegramLink: options.botUsername ? `https://t.me/${options.botUsername}?start=${code}` : null,
    telegramGroupLink: options.botUsername ? `https://t.me/${options.botUsername}?startgroup=${code}` : null,
    contact: { id: contact.id, name: contact.name, unit: contact.unit.name },
  };
}

/**
 * The channels a contact may choose with /kenh (the others are the administrators' to assign):
 * the chats first (where /kenh is typed), then those with a typed address.
 */
export const CONTACT_CHANNELS: readonly Channel[] = [...LINKED, ...TYPED]
  .filter((s) => s.contactChoosable)
  .map((s) => s.name);

/** What a channel's spec shows once after an address is set (a generated secret); null when nothing. */
function revealOf(values: ContactAddresses, options: AddressOptions): string | null {
  const ctx = options.address;
  if (!ctx) return null;
  const shown = TYPED.flatMap((s) => {
    const r = s.address.fields.some((f) => values[f] != null)
      ? s.address.reveal?.(values, ctx, options.lang ?? 'vi')
      : null;
    return r ? [r] : [];
  });
  return shown.length ? shown.join('\n') : null;
}

/**
 * Sets a contact's channels, first first (a reminder goes out once, on the first that accepts it;
 * the next only when it fails). Choosing a channel again re-enables it after a failure. A contact
 * choosing for themselves (`byContact`) may name only channels they can be reached on (a linked
 * chat, an email address); an administrator may name a chat channel before it is linked.
 */
export async function setContactChannels(
  db: Db,
  orgId: string,
  ref: string,
  names: string[],
  actor: string,
  options: { byContact?: boolean } = {},
) {
  // NFC: a phone keyboard may send «thư» decomposed, which would not match its alias.
  const words = channelWordsOf(names);
  const unknown = words.filter((w) => {
    const c = channelOfWord(w);
    return !c || (options.byContact && !CONTACT_CHANNELS.includes(c));
  });
  const allowed = (options.byContact ? CONTACT_CHANNELS : CHANNEL_NAMES).join(', ');
  if (unknown.length || !words.length) {
    const named = unknown.map((w) => `«${w.slice(0, 20)}»`).join(', ');
    throw new UserError(contactWords('unknownChannel', { channels: named || contactWords('noneGiven'), allowed }));
  }
  const channels = [...new Set(words.map((w) => channelOfWord(w)!))];
  const contact = await findContact(db, orgId, ref);
  // A contact may choose only where they can be reached; an administrator may name a chat before
  // it is linked, but not a channel whose address they have not typed.
  const missing = channels.filter(
    (c) => !reachable(c, contact) && (options.byContact || channelSpec(c).address?.entry === 'typed'),
  );
  if (missing.length) {
    const how = (lang: Lang) => missing.map((c) => say(lang, channelSpec(c).address!.missing)).join('; ');
    throw new UserError(contactWords('notReachableYet', { how }));
  }
  return db.$transaction(async (tx) => {
    const updated = await tx.contact.update({
      where: { id: contact.id },
      data: {
        channels,
        disabledChannels: contact.disabledChannels.filter((c) => !channels.includes(c)),
        unreachableSince: null,
      },
    });
    await audit(tx, {
      orgId,
      actor,
      action: 'contact.channels',
      entity: 'contact',
      entityId: contact.id,
      data: { channels },
    });
    return updated;
  });
}

/**
 * Sets (or, with an empty text, clears) a contact's typed address on one channel (an email
 * address, a URL…), checked by the channel's spec; a new address re-enables the channel after a
 * failure. Returns the contact and what the spec shows only once (a generated secret). Audited
 * with the channel and the address as the spec shows it (masked), never the address itself.
 */
export async function setContactAddress(
  db: Db,
  orgId: string,
  ref: string,
  channelWord: string,
  raw: string,
  actor: string,
  options: AddressOptions = {},
) {
  const channel = channelOfWord(channelWord);
  const spec = TYPED.find((s) => s.name === channel);
  if (!spec) {
    const typed = TYPED.map((s) => s.name).join(', ');
    const word = channelWord.slice(0, 20);
    throw new UserError(contactWords('channelNotTypedUse', { word, typed }));
  }
  const values: ContactAddresses = raw.trim()
    ? spec.address.parse(raw, options.address)
    : Object.fromEntries(spec.address.fields.map((f) => [f, null]));
  const contact = await findContact(db, orgId, ref);
  return db.$transaction(async (tx) => {
    const updated = await tx.contact.update({
      where: { id: contact.id },
      data: {
        ...values,
        ...(raw.trim()
          ? { disabledChannels: contact.disabledChannels.filter((c) => c !== spec.name), unreachableSince: null }
          : {}),
      },
    });
    await audit(tx, {
      orgId,
      actor,
      action: 'contact.address',
      entity: 'contact',
      entityId: contact.id,
      data: { channel: spec.name, address: spec.address.show(values) },
    });
    return { contact: updated, channel: spec.name, reveal: raw.trim() ? revealOf(values, options) : null };
  });
}
