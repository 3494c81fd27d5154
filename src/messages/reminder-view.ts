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

/** The two commands' words by language, looked up once: every item of every message says them. */
const COMMAND_WORDS: Record<Lang, { done: string; extend: string }> = {
  vi: { done: say('vi', 'cmd.done'), extend: say('vi', 'cmd.extend') },
  en: { done: say('en', 'cmd.done'), extend: say('en', 'cmd.extend') },
};

/**
 * The commands a message shows for one obligation, in the reader's language ("/xong 4.2-2026Q4",
 * "/done 4.2-2026Q4"): to confirm it and to ask for more time.
 */
export function commandsFor(code: string, lang: Lang): { confirmCommand: string; extendCommand: string } {
  const words = COMMAND_WORDS[lang];
  return { confirmCommand: `${words.done} ${code}`, extendCommand: `${words.extend} ${code}` };
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
    ...commandsFor(code, f.lang),
    confirmUrl: f.confirmUrl,
  };
}
