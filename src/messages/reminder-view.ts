import { obligationCode } from '#root/domain/obligation-code.js';
import type { IsoDate } from '#root/domain/types.js';
import { reminderWords, type Lang } from '#root/domain/wording.js';
import { say } from './chat-words.js';
import type { View } from './templates.js';

/** What a reminder message says, before it is put in words (see {@link reminderView}). */
export interface ReminderFacts {
  contactName: string;
  /** The unit the message speaks to (a cooperating unit's own name for a cooperating reminder). */
  unitName: string;
  /** The unit responsible for the duty. */
  responsibleUnit: string;
  dutyCode: string;
  dutyTitle: string;
  planCode: string;
  planTitle: string;
  periodKey: string;
  dueDate: IsoDate;
  /** The day the message is sent: "today is the due date" only when it is. */
  sendDay: IsoDate;
  /** Working days to the due date (negative: past it). */
  workingDaysLeft: number;
  confirmUrl: string;
  lang: Lang;
}

/**
 * The view of a reminder template (`reminderFields` of templates.ts): every value in words for the
 * contact's language — the period as "Quý IV/2026", dates as "ngày 31 tháng 12 năm 2026" and
 * "thứ Năm" — and the commands to type with the obligation's code ("/xong 4.2-2026Q4"). The
 * worker's messages, the template preview and the leak test build it here.
 */
export function reminderView(f: ReminderFacts): View {
  const code = obligationCode(f.dutyCode, f.periodKey);
  return {
    contactName: f.contactName,
    unitName: f.unitName,
    responsibleUnit: f.responsibleUnit,
    dutyCode: f.dutyCode,
    dutyTitle: f.dutyTitle,
    planCode: f.planCode,
    planTitle: f.planTitle,
    ...reminderWords({ periodKey: f.periodKey, dueDate: f.dueDate, workingDaysLeft: f.workingDaysLeft, lang: f.lang }),
    dueToday: f.sendDay === f.dueDate ? 'yes' : '',
    confirmCommand: `${say(f.lang, 'cmd.done')} ${code}`,
    extendCommand: `${say(f.lang, 'cmd.extend')} ${code}`,
    confirmUrl: f.confirmUrl,
  };
}
