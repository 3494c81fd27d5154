import { defineChannel, plain } from '../spec.js';
import { WEBHOOK_URL_MAX, webhookSecretText } from './address.js';
import { webhookDeliveryError } from './index.js';
import type { WebhookLimiter } from './limiter.js';
import { openWebhookSecret } from './secret-box.js';
import { hasWebhookAddress, parseWebhookAddress, showWebhookAddress } from './store.js';

/**
 * A webhook: the message as JSON POSTed to a URL an administrator sets (a province's document
 * system), signed with HMAC-SHA256 and a timestamp (payload.ts, signature.ts), behind an SSRF
 * guard (transport.ts), paced per receiving host (limiter.ts). The address is the URL and a secret
 * dondoc makes, sealed with a key derived from SECRET_KEY, shown once. Built whenever the signing
 * key is known: it needs no credentials of its own; WEBHOOK_ALLOW_HOSTS and
 * WEBHOOK_TIMEOUT_SECONDS set its guard and its patience.
 */
export const webhookChannel = defineChannel<WebhookLimiter>({
  name: 'webhook',
  label: 'channel.webhook',
  inWords: 'channelWords.webhook',
  aliases: ['webhook', 'hook'],
  // The receiving system is the administrators' to connect: a contact does not choose it in chat.
  contactChoosable: false,
  address: {
    fields: ['webhookUrl', 'webhookSecret'],
    entry: 'typed',
    input: { type: 'url', maxLength: WEBHOOK_URL_MAX, example: 'https://vanban.tinh.gov.vn/api/dondoc' },
    parse(raw, ctx) {
      if (!ctx) throw new Error('a webhook address needs the configuration (its secret is sealed with SECRET_KEY)');
      return parseWebhookAddress(raw, {
        secretKey: ctx.config.SECRET_KEY,
        allow: ctx.config.WEBHOOK_ALLOW_HOSTS ?? [],
      }).columns;
    },
    has: hasWebhookAddress,
    show: showWebhookAddress,
    reveal(values, ctx, lang) {
      const secret = values.webhookSecret && openWebhookSecret(values.webhookSecret, ctx.config.SECRET_KEY);
      return secret ? webhookSecretText(lang, secret) : null;
    },
    missing: 'reach.webhook',
  },
  // The JSON's `text` (its subject is the text's first line); the receiver's system acts, no buttons.
  parts: [{ part: 'txt', role: 'text' }],
  escape: () => plain,
  buttons: false,
  shownItems: 50,
  maxLength: 100_000,
  deliveryError: webhookDeliveryError,
  async limiter() {
    const { createWebhookLimiter } = await import('./limiter.js');
    return createWebhookLimiter();
  },
  async transport({ config, logger }, limiter) {
    // Without the signing key the sealed secrets cannot be opened (the program always resolves it).
    if (!config.SECRET_KEY) return null;
    const { createWebhookChannel } = await import('./index.js');
    const { webhookAddressFromRecipient } = await import('./store.js');
    return createWebhookChannel({
      address: webhookAddressFromRecipient(config.SECRET_KEY),
      allow: config.WEBHOOK_ALLOW_HOSTS ?? [],
      timeoutMs: config.WEBHOOK_TIMEOUT_SECONDS * 1_000,
      logger: logger.child({ channel: 'webhook' }),
      limiter,
    });
  },
});
