/**
 * Chat commands as people type them: `/xong 4.2 đã gửi`, `/done@dondoc_bot 4.2`, `/Xong 4.2`, or
 * `/việc` when a phone keyboard adds the diacritics. Vietnamese names first (SPEC §5), English
 * aliases, one table for every channel.
 */
export type CommandName =
  | 'start'
  | 'tasks'
  | 'done'
  | 'extend'
  | 'undo'
  | 'status'
  | 'nudge'
  | 'help'
  | 'channels'
  | 'approve'
  | 'refuse'
  | 'indicator';

export const COMMAND_NAMES: Record<string, CommandName> = {
  start: 'start',
  batdau: 'start',
  viec: 'tasks',
  tasks: 'tasks',
  xong: 'done',
  done: 'done',
  giahan: 'extend',
  extend: 'extend',
  hoantac: 'undo',
  undo: 'undo',
  tonghop: 'status',
  status: 'status',
  nhac: 'nudge',
  nudge: 'nudge',
  trogiup: 'help',
  help: 'help',
  kenh: 'channels',
  channels: 'channels',
  duyet: 'approve',
  approve: 'approve',
  tuchoi: 'refuse',
  refuse: 'refuse',
  chitieu: 'indicator',
  indicator: 'indicator',
};

export interface ParsedCommand {
  name: CommandName | 'unknown';
  /** The arguments, split on white space. */
  args: string[];
  /** Everything after the command word, trimmed (a unit name, a note). */
  rest: string;
}

/** Folds a command word: lower case, no diacritics (đ → d). */
const fold = (word: string) =>
  word.normalize('NFD').replace(/\p{M}/gu, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase();

/** The command of a message, or null when the message is not a command. */
export function parseCommand(text: string): ParsedCommand | null {
  const m = /^\s*\/([^\s@]{1,64})(?:@\S*)?(?:\s+([\s\S]*))?$/u.exec(text);
  if (!m) return null;
  const rest = (m[2] ?? '').trim();
  return { name: COMMAND_NAMES[fold(m[1]!)] ?? 'unknown', args: rest ? rest.split(/\s+/) : [], rest };
}
