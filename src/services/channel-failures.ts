import type { Db } from '#root/db/client.js';
import type { Channel } from '#root/generated/prisma/client.js';

/**
 * Why each disabled channel of these contacts failed: the reason of the latest
 * `contact.channel-disabled` audit event for that contact and channel (the channel's answer, for
 * `failureInWords`, src/messages/refusal-words.ts, to word; never shown as is). By contact id, then channel; a channel
 * disabled with no event left has none.
 */
export async function channelFailureReasons(
  db: Db,
  orgId: string,
  contacts: readonly { id: string; disabledChannels: readonly Channel[] }[],
): Promise<Map<string, Map<Channel, string>>> {
  const out = new Map<string, Map<Channel, string>>();
  const ids = contacts.filter((c) => c.disabledChannels.length).map((c) => c.id);
  if (!ids.length) return out;
  const events = await db.auditEvent.findMany({
    where: { orgId, action: 'contact.channel-disabled', entity: 'contact', entityId: { in: ids } },
    orderBy: { id: 'desc' },
    select: { entityId: true, data: true },
  });
  for (const e of events) {
    const data = (e.data ?? {}) as { channel?: Channel; reason?: unknown };
    if (!e.entityId || !data.channel || typeof data.reason !== 'string') continue;
    const byChannel = out.get(e.entityId) ?? new Map<Channel, string>();
    if (!byChannel.has(data.channel)) byChannel.set(data.channel, data.reason);
    out.set(e.entityId, byChannel);
  }
  return out;
}
