import { describe, expect, it } from 'vitest';
import { isUnreachable } from '#root/domain/contacts.js';

describe('whether reminders can reach a contact', () => {
  it('is reachable while one of its channels still works', () => {
    expect(
      isUnreachable({ channels: ['telegram', 'email'], disabledChannels: ['telegram'], unreachableSince: null }),
    ).toBe(false);
  });

  it('is unreachable when every channel it has failed permanently', () => {
    expect(
      isUnreachable({
        channels: ['telegram', 'email'],
        disabledChannels: ['email', 'telegram'],
        unreachableSince: null,
      }),
    ).toBe(true);
  });

  it('is unreachable once the administrators were told so, whatever its channels', () => {
    expect(
      isUnreachable({ channels: ['email'], disabledChannels: [], unreachableSince: new Date('2026-11-15T02:00:00Z') }),
    ).toBe(true);
  });
});
