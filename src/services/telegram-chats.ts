import type { Db } from '#root/db/client.js';
import { audit } from './audit.js';

/**
 * Follows a Telegram group upgraded to a supergroup: the group's chat id stops working (Telegram
 * answers 400 "group chat was upgraded to a supergroup chat" with `migrate_to_chat_id`, and posts a
 * service message with it), so every contact linked to the old id, in any organisation, is moved
 * to the new one, each with its audit row, in one transaction. A contact whose organisation already
 * has another contact on the new id is left as it is (the unique address per organisation).
 * Returns how many contacts moved; running it again moves none.
 */
export async function migrateTelegramChat(db: Db, from: bigint, to: bigint, actor: string): Promise<number> {
  if (from === to) return 0;
  return db.$transaction(async (tx) => {
    const contacts = await tx.contact.findMany({ where: { telegramChatId: from }, select: { id: true, orgId: true } });
    let moved = 0;
    for (const c of contacts) {
      const taken = await tx.contact.count({ where: { orgId: c.orgId, telegramChatId: to } });
      if (taken) continue;
      const { count } = await tx.contact.updateMany({
        where: { id: c.id, telegramChatId: from },
        data: { telegramChatId: to },
      });
      if (!count) continue;
      moved++;
      await audit(tx, {
        orgId: c.orgId,
        actor,
        action: 'contact.telegram-migrated',
        entity: 'contact',
        entityId: c.id,
        data: { from: String(from), to: String(to), why: 'group upgraded to a supergroup' },
      });
    }
    return moved;
  });
}
