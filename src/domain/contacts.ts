/** Rules about a contact that need no storage: whether reminders can still reach it. */

/**
 * True when no channel of a contact can carry a reminder: the administrators were told so
 * (`unreachableSince`), or every channel it has failed permanently.
 */
export function isUnreachable<C extends string>(c: {
  channels: C[];
  disabledChannels: C[];
  unreachableSince: Date | null;
}): boolean {
  return c.unreachableSince !== null || c.channels.every((ch) => c.disabledChannels.includes(ch));
}
