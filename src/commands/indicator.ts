import type { Db } from '#root/db/client.js';
import { zonedYear } from '#root/domain/zoned-day.js';
import { withUnit } from '#root/domain/indicators.js';
import { INDICATOR_WORDS, UNDO_WORDS, type Lang } from '#root/messages/indicators.js';
import type { ChatContact } from '#root/services/chat.js';
import {
  IndicatorInputError,
  refusalText,
  reportIndicatorValue,
  undoIndicatorValue,
  unitIndicators,
  valueText,
} from '#root/services/indicators.js';

/**
 * `/chitieu` (`/indicator`): a unit reports its value of one of the plan's indicators for this
 * year (in the organisation's zone), by chat.
 *
 * - `/chitieu` lists the unit's indicators of the year, reported or not;
 * - `/chitieu 1 45/50 hệ thống` records 45/50 with the note "hệ thống" (replacing a value reported before);
 * - `/chitieu 1 huy` (`undo`) withdraws it; the value it replaced stands again.
 *
 * Replies are in the contact's language. A refused value changes nothing.
 */
export async function indicatorCommand(
  input: { db: Db; now: Date; actor: string },
  contact: ChatContact,
  args: string[],
  rest: string,
): Promise<string> {
  const { db, now } = input;
  const row = await db.contact.findUnique({ where: { id: contact.id }, select: { locale: true } });
  const lang: Lang = row?.locale === 'en' ? 'en' : 'vi';
  const w = INDICATOR_WORDS[lang];
  const year = zonedYear(now, contact.org.timeZone);
  try {
    if (!args.length) {
      const mine = await unitIndicators(db, contact.orgId, contact.unitId, year);
      if (!mine.length) return w.none(contact.unit.name, year);
      return w.list(
        contact.unit.name,
        year,
        mine.map((i) => ({
          ref: i.ref,
          title: i.title,
          target: i.target ? withUnit(i.target.value, i.unit) : null,
          value: i.value ? valueText(i.value, i.unit) : null,
        })),
      );
    }
    const [code, value] = args as [string, string | undefined];
    if (!value) return w.usage;
    if (UNDO_WORDS.has(value.toLowerCase()) && args.length === 2) {
      const r = await undoIndicatorValue(db, {
        orgId: contact.orgId,
        unitId: contact.unitId,
        code,
        year,
        actor: input.actor,
        now,
      });
      return w.undone(r.indicator.ref, year, r.back);
    }
    const note = rest.replace(/^\S+\s+\S+\s*/, '').trim() || null;
    const r = await reportIndicatorValue(db, {
      orgId: contact.orgId,
      unitId: contact.unitId,
      contactId: contact.id,
      actor: input.actor,
      via: 'chat',
      code,
      year,
      value,
      note,
      now,
    });
    return w.saved(r.indicator.ref, r.indicator.title, r.text, year, r.replaced);
  } catch (error) {
    if (error instanceof IndicatorInputError) return refusalText(error.refusal, lang);
    throw error;
  }
}
