import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '#root/db/client.js';
import type { Channel, ContactRole, Locale } from '#root/generated/prisma/client.js';
import { isUnreachable } from '#root/domain/contacts.js';
import { NotFoundError, UserError } from '#root/errors/index.js';
import { audit } from './audit.js';
import { findUnit, isUuid } from './units.js';

const CHANNELS: Channel[] = ['sandbox', 'email', 'telegram', 'zalo'];
const ROLES: ContactRole[] = ['contact', 'head', 'supervisor', 'admin'];
const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

export interface ContactInput {
  /** The unit by name (the command line)… */
  unit?: string;
  /** …or by id (the web page, which knows it): a unit of another organisation is not found. */
  unitId?: string;
  name: string;
  role?: string;
  locale?: string;
  email?: string;
  channels?: string[];
}

/** Adds a person to a unit. Channels are the preference order; email needs an address. */
export async function addContact(db: Db, orgId: string, input: ContactInput, actor: string) {
  const name = input.name.trim();
  if (!name) throw new UserError('Cần tên người liên hệ / a contact name is required');
  if ([...name].length > 200)
    throw new UserError(
      'Tên người liên hệ quá dài (tối đa 200 ký tự) / the contact name is too long (200 characters at most)',
    );
  const role = (input.role ?? 'contact') as ContactRole;
  if (!ROLES.includes(role))
    throw new UserError(`Vai trò «${input.role}» không hợp lệ (${ROLES.join(', ')}) / unknown role`);
  const locale = (input.locale ?? 'vi') as Locale;
  if (locale !== 'vi' && locale !== 'en') throw new UserError('Ngôn ngữ: vi hoặc en / locale: vi or en');
  if (input.email !== undefined && !EMAIL.test(input.email)) {
    throw new UserError(`Địa chỉ email «${input.email}» không hợp lệ / invalid email address`);
  }
  const channels = (input.channels ?? (input.email ? ['email'] : ['sandbox'])) as Channel[];
  const bad = channels.filter((c) => !CHANNELS.includes(c));
  if (bad.length || channels.length === 0) {
    throw new UserError(
      `Kênh không hợp lệ: ${bad.join(', ') || '(trống)'}; dùng ${CHANNELS.join(', ')} / unknown channel`,
    );
  }
  if (channels.includes('email') && !input.email)
    throw new UserError('Kênh email cần địa chỉ email / the email channel needs an address');
  return db.$transaction(async (tx) => {
    const unit =
      input.unitId !== undefined
        ? await unitById(tx, orgId, input.unitId)
        : await findUnit(tx, orgId, input.unit ?? '');
    const contact = await tx.contact.create({
      data: { orgId, unitId: unit.id, name, role, locale, email: input.email ?? null, channels },
    });
    await audit(tx, {
      orgId,
      actor,
      action: 'contact.create',
      entity: 'contact',
      entityId: contact.id,
      data: { unit: unit.name, role, channels },
    });
    return { ...contact, unitName: unit.name };
  });
}

async function unitById(tx: Pick<Db, 'unit'>, orgId: string, id: string) {
  const unit = isUuid(id) ? await tx.unit.findFirst({ where: { id, orgId } }) : null;
  if (!unit) throw new NotFoundError('Không tìm thấy đơn vị / no such unit');
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
  if (found.length === 0) throw new NotFoundError(`Không có người liên hệ «${ref}» / no contact «${ref}»`);
  if (found.length > 1) {
    throw new UserError(
      `Có ${found.length} người tên «${ref}»; dùng mã (id) / several contacts are named «${ref}»; use the id`,
    );
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

/** The channels a contact may choose with /kenh (the sandbox is the administrators' to assign). */
export const CONTACT_CHANNELS = ['telegram', 'zalo', 'email'] as const;

const CHANNEL_ALIASES: Record<string, Channel> = {
  telegram: 'telegram',
  tele: 'telegram',
  tg: 'telegram',
  zalo: 'zalo',
  zl: 'zalo',
  email: 'email',
  'e-mail': 'email',
  mail: 'email',
  thu: 'email',
  thư: 'email',
  sandbox: 'sandbox',
};

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
  const words = names
    .flatMap((n) => n.split(/[,\s>→]+/))
    .map((n) => n.normalize('NFC').trim().toLowerCase())
    .filter(Boolean);
  const unknown = words.filter((w) => !CHANNEL_ALIASES[w] || (options.byContact && CHANNEL_ALIASES[w] === 'sandbox'));
  const allowed = options.byContact ? CONTACT_CHANNELS.join(', ') : CHANNELS.join(', ');
  if (unknown.length || !words.length) {
    throw new UserError(
      `Kênh không hợp lệ: ${unknown.map((w) => `«${w.slice(0, 20)}»`).join(', ') || '(trống)'}; dùng ${allowed}. / Unknown channel: use ${allowed}.`,
    );
  }
  const channels = [...new Set(words.map((w) => CHANNEL_ALIASES[w]!))];
  const contact = await findContact(db, orgId, ref);
  const has: Record<Channel, boolean> = {
    telegram: contact.telegramChatId !== null,
    zalo: contact.zaloUserId !== null,
    email: contact.email !== null,
    sandbox: true,
    webhook: contact.webhookUrl !== null && contact.webhookSecret !== null,
  };
  const missing = channels.filter((c) => !has[c] && (options.byContact || c === 'email'));
  if (missing.length) {
    const how: Record<Channel, string> = {
      telegram: 'Telegram chưa liên kết (mở liên kết mời trong Telegram)',
      zalo: 'Zalo chưa liên kết (gửi /start <mã mời> cho bot Zalo)',
      email: 'chưa có địa chỉ email (nhờ quản trị viên thêm)',
      sandbox: '',
      webhook: 'chưa có địa chỉ webhook (nhờ quản trị viên đặt)',
    };
    throw new UserError(
      `Chưa dùng được: ${missing.map((c) => how[c]).join('; ')}. / Not reachable there yet: ${missing.join(', ')}.`,
    );
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
