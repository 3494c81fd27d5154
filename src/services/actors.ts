import type { Db } from '#root/db/client.js';
import type { Lang } from '#root/domain/wording.js';

/**
 * How the actor of a confirmation or an audit row reads for people: "web:<email>" → the
 * administrator's name, "cli:<user>" → the user, "contact:<id>" (a contact removed since: the
 * confirmation keeps only the actor) → a removed contact, "system:<part>" → the system; anything
 * else as written. In the reader's
 * language (Vietnamese unless told).
 */
export async function actorNamer(db: Db, orgId: string, lang: Lang = 'vi'): Promise<(actor: string) => string> {
  const en = lang === 'en';
  const admins = await db.adminAccount.findMany({ where: { orgId }, select: { email: true, name: true } });
  const adminNames = new Map(admins.map((a) => [a.email, a.name]));
  return (actor) => {
    const [kind, rest = ''] = actor.split(/:(.*)/s);
    if (kind === 'web') return `${adminNames.get(rest) ?? rest} (${en ? 'administrator' : 'quản trị viên'})`;
    if (kind === 'cli') return `${rest} (${en ? 'command line' : 'dòng lệnh'})`;
    if (kind === 'contact') return en ? 'contact (removed)' : 'đầu mối (đã xoá)';
    // The program itself ("system:demo" seeds the demo): the technical details keep which part.
    if (kind === 'system') return en ? 'the system' : 'hệ thống';
    return actor;
  };
}
