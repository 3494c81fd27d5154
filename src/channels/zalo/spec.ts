import { UserError } from '#root/errors/index.js';
import { defineChannel, plain } from '../spec.js';
import { zaloDeliveryError } from './index.js';
import type { ZaloLimiter } from './limiter.js';
import { ZALO_TEXT_MAX } from './split.js';
import { serviceWords } from '#root/messages/service-words.js';

const contactWords = serviceWords('contacts');

/**
 * Zalo (ZALO_BOT_TOKEN): plain text, no buttons (the text says what to type), at most 2,000
 * characters, paced by the Zalo limiter (ZALO_RATE_PER_SECOND). The address is the Zalo user's id,
 * linked by the person with an invite.
 */
export const zaloChannel = defineChannel<ZaloLimiter>({
  name: 'zalo',
  label: 'channel.zalo',
  inWords: 'channelWords.zalo',
  aliases: ['zalo', 'zl'],
  contactChoosable: true,
  address: {
    fields: ['zaloUserId'],
    entry: 'linked',
    parse(raw) {
      const id = raw.trim();
      if (!id || id.length > 100 || /\s/.test(id))
        throw new UserError(contactWords('invalidZaloId', { id: id.slice(0, 30) }));
      return { zaloUserId: id };
    },
    has: (c) => c.zaloUserId != null && c.zaloUserId !== '',
    show: (c) => (c.zaloUserId ? `…${c.zaloUserId.slice(-3)}` : null),
    missing: 'reach.zalo',
  },
  parts: [{ part: 'txt', role: 'text' }],
  escape: () => plain,
  buttons: false,
  shownItems: 5,
  maxLength: ZALO_TEXT_MAX,
  deliveryError: zaloDeliveryError,
  async limiter({ config }) {
    const { processZaloLimiter } = await import('./limiter.js');
    return processZaloLimiter(config.ZALO_RATE_PER_SECOND);
  },
  async transport({ config }, limiter) {
    if (!config.ZALO_BOT_TOKEN) return null;
    const { createZaloChannel } = await import('./index.js');
    return createZaloChannel({
      token: config.ZALO_BOT_TOKEN,
      apiRoot: config.ZALO_API_ROOT,
      limiter,
      timeoutMs: config.ZALO_TIMEOUT_SECONDS * 1000,
    });
  },
});
