import type { Db } from '#root/db/client.js';
import { UserError } from '#root/errors/index.js';
import { audit } from './audit.js';
import { hashInviteCode } from './contacts.js';

/** The person behind a linked chat, with their unit and organisation. */
export async function contactByTelegramChat(db: Db, chatId: bigint) {
  return db.contact.findFirst({ where: { telegramChatId: chatId, active: true }, include: { unit: true, org: true } });
}

/**
 * Links a Telegram chat to the contact an invite was made for. The code is single-use (a
 * conditional update on `used_at IS NULL`) and expires; the chat becomes the contact's first
 * channel. A chat linked before to someone else in the organisation is moved, not duplicated.
 */
export async function redeemTelegramInvite(db: Db, input: { code: string; chatId: bigint; now: Date }) {
  if (!/^[A-Za-z0-9_-]{10,64}$/.test(input.code)) {
    throw new UserError('Mã mời không hợp lệ. Hãy mở lại liên kết mời anh/chị nhận được. / Invalid invite code.');
  }
  return db.$transaction(async (tx) => {
    const invite = await tx.invite.findUnique({ where: { code: hashInviteCode(input.code) }, include: { contact: { include: { unit: true } } } });
    if (!invite) throw new UserError('Mã mời không đúng. Hãy mở lại liên kết mời anh/chị nhận được. / Unknown invite code.');
    if (invite.usedAt) throw new UserError('Mã mời này đã được dùng. Xin quản trị viên một mã mới. / This invite was already used.');
    if (invite.expiresAt <= input.now) throw new UserError('Mã mời đã hết hạn. Xin quản trị viên một mã mới. / This invite has expired.');
    const { count } = await tx.invite.updateMany({ where: { id: invite.id, usedAt: null }, data: { usedAt: input.now, usedBy: `telegram:${input.chatId}` } });
    if (count === 0) throw new UserError('Mã mời này đã được dùng. / This invite was already used.');
    await tx.contact.updateMany({ where: { orgId: invite.orgId, telegramChatId: input.chatId, id: { not: invite.contactId } }, data: { telegramChatId: null } });
    const c = invite.contact;
    const channels = ['telegram' as const, ...c.channels.filter((ch) => ch !== 'telegram')];
    const contact = await tx.contact.update({
      where: { id: c.id },
      data: { telegramChatId: input.chatId, channels, disabledChannels: c.disabledChannels.filter((ch) => ch !== 'telegram'), unreachableSince: null },
      include: { unit: true, org: true },
    });
    await audit(tx, { orgId: invite.orgId, actor: `telegram:${input.chatId}`, action: 'contact.link-telegram', entity: 'contact', entityId: c.id });
    return contact;
  });
}

/** The unit's open obligations, nearest due first. */
export async function openObligationsOfUnit(db: Db, unitId: string, limit = 20) {
  return db.obligation.findMany({
    where: { unitId, status: 'open', current: true, duty: { active: true } },
    include: { duty: { include: { plan: true } } },
    orderBy: [{ dueAt: 'asc' }],
    take: limit,
  });
}

/** The Telegram messages that carried reminders of an obligation (chat and message ids). */
export async function telegramMessagesOf(db: Db, obligationId: string): Promise<{ chatId: number; messageId: number }[]> {
  const rows = await db.reminder.findMany({ where: { obligationId, channel: 'telegram', status: 'sent', externalId: { not: null } }, select: { externalId: true } });
  return rows.flatMap((r) => {
    const m = /^(-?\d+):(\d+)$/.exec(r.externalId ?? '');
    return m ? [{ chatId: Number(m[1]), messageId: Number(m[2]) }] : [];
  });
}
