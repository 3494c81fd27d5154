import { defineChannel, plain } from '../spec.js';

/**
 * The sandbox outbox: messages are rows in PostgreSQL, read with `dondoc outbox` and on the web
 * page. Always there (the default with no credentials), needs no address; chosen by
 * administrators only.
 */
export const sandboxChannel = defineChannel({
  name: 'sandbox',
  label: 'channel.sandbox',
  inWords: 'channelWords.sandbox',
  aliases: ['sandbox', 'kênh thử'],
  contactChoosable: false,
  address: null,
  parts: [{ part: 'txt', role: 'text' }],
  escape: () => plain,
  buttons: false,
  shownItems: 50,
  maxLength: 100_000,
  // Written in the caller's transaction: it fails only with the database, which is retried.
  deliveryError: () => undefined,
  async transport() {
    const { createSandboxChannel } = await import('./index.js');
    return createSandboxChannel();
  },
});
