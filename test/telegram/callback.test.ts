import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeButton, encodeButton, type ButtonAction } from '#root/channels/telegram/callback.js';
import { seededRandom } from '../helpers/random.js';

/** The encoding as it was first written: the uuid's 16 bytes through a Buffer, in base64url. */
const byBuffer = (id: string) => Buffer.from(id.replace(/-/g, ''), 'hex').toString('base64url');

describe('the data of an inline button', () => {
  it('is the action’s letter and the uuid’s 16 bytes in base64url, 24 bytes in all', () => {
    expect(encodeButton('done', '00000000-0000-4000-8000-000000000000')).toBe('x:AAAAAAAAQACAAAAAAAAAAA');
    expect(encodeButton('extend', 'ffffffff-ffff-ffff-ffff-ffffffffffff')).toBe('g:_____________________w');
    const random = seededRandom(14);
    const hex = () => Math.floor(random() * 16).toString(16);
    for (let n = 0; n < 2_000; n++) {
      // Random uuids, and uuids of mostly one digit (every value of each 12-bit group and of the last byte).
      const digit = hex();
      const id = (n % 2 ? randomUUID() : Array.from({ length: 32 }, () => (random() < 0.7 ? digit : hex())).join(''))
        .replace(/-/g, '')
        .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
      const action = (['done', 'list', 'extend', 'approve', 'refuse'] as ButtonAction[])[n % 5]!;
      const data = encodeButton(action, id);
      expect(data.slice(2)).toBe(byBuffer(id));
      expect(Buffer.byteLength(data)).toBe(24);
      expect(decodeButton(data)).toEqual({ action, id });
    }
  });

  it('refuses anything but a lower-case uuid', () => {
    const id = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
    for (const bad of [
      '',
      'not a uuid',
      id.toUpperCase(),
      id.replace(/-/g, ''),
      `${id}0`,
      id.slice(0, 35),
      `${id.slice(0, 35)}g`,
      `${id.slice(0, 8)}_${id.slice(9)}`,
      `${id.slice(0, 7)}-${id.slice(7, 8)}${id.slice(9)}`,
      `${id.slice(0, 20)}\u0661${id.slice(21)}`,
      `${id.slice(0, 20)}é${id.slice(21)}`,
    ])
      expect(() => encodeButton('done', bad), bad).toThrow(/not a uuid/);
  });
});
