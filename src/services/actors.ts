import type { Db } from '#root/db/client.js';

/**
 * How the actor of a confirmation or an audit row reads for people: "web:<email>" → the
 * administrator's name, "cli:<user>" → the user, "contact:<id>" (a contact removed since: the
 * confirmation keeps only the actor) → a removed contact; anything else as written.
 */
export async function actorNamer(db: Db, orgId: string): Promise<(actor: string) => string> {
  const admins = await db.adminAccount.findMany({ where: { orgId }, select: { email: true, name: true } });
  const adminNames = new Map(admins.map((a) => [a.email, a.name]));
  return (actor) => {
    const [kind, rest = ''] = actor.split(/:(.*)/s);
    if (kind === 'web') return `${adminNames.get(rest) ?? rest} (quản trị viên)`;
    if (kind === 'cli') return `${rest} (dòng lệnh)`;
    if (kind === 'contact') return 'đầu mối (đã xoá)';
    return actor;
  };
}
