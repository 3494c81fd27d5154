import nodemailer from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import { DEFAULT_SMTP_TIMEOUT_SECONDS, SMTP_CONNECT_TIMEOUTS_MS } from '../send-bounds.js';
import { DeliveryError, type ChannelAdapter, type OutgoingMessage, type Recipient } from '../types.js';
import { emailDeliveryError } from './errors.js';

export interface EmailOptions {
  url: string;
  from: string;
  /** Messages per minute to this SMTP server, shared by the pool's connections. */
  ratePerMinute: number;
  /** Seconds the server has to answer, each answer of a send (SMTP_TIMEOUT_SECONDS; default 30). */
  timeoutSeconds?: number;
}

/**
 * Email through one pooled nodemailer transporter (SMTP). SMTP 5xx answers are permanent (the
 * address is rejected: the contact's next channel is used); 4xx answers and network errors are
 * temporary and retried.
 */
export function createEmailChannel(
  options: EmailOptions,
): ChannelAdapter & { transactional: false; verify(): Promise<void> } {
  const transport = nodemailer.createTransport({
    url: options.url,
    pool: true,
    maxConnections: 5,
    maxMessages: 100,
    rateDelta: 60_000,
    rateLimit: options.ratePerMinute,
    connectionTimeout: SMTP_CONNECT_TIMEOUTS_MS.connection,
    greetingTimeout: SMTP_CONNECT_TIMEOUTS_MS.greeting,
    socketTimeout: (options.timeoutSeconds ?? DEFAULT_SMTP_TIMEOUT_SECONDS) * 1000,
  } as SMTPPool.Options & { url: string });
  return {
    name: 'email',
    transactional: false,
    // As many as the pool has connections: the rest wait before claiming (see delivery.ts).
    maxInFlight: 5,
    async send(to: Recipient, message: OutgoingMessage) {
      if (!to.email) throw new DeliveryError('contact has no email address', { permanent: true });
      try {
        const info = await transport.sendMail({
          from: options.from,
          to: { name: to.name, address: to.email },
          subject: message.subject,
          text: message.text,
          ...(message.html ? { html: message.html } : {}),
          headers:
            'reminderId' in message.ref
              ? {
                  'X-Dondoc-Reminder': message.ref.reminderId,
                  ...(message.ref.bundleId ? { 'X-Dondoc-Bundle': message.ref.bundleId } : {}),
                }
              : { 'X-Dondoc-Digest': message.ref.digestId },
        });
        if (info.rejected.length) throw new DeliveryError('address rejected', { permanent: true });
        return { externalId: info.messageId ?? null };
      } catch (error) {
        throw emailDeliveryError(error);
      }
    },
    async verify() {
      await transport.verify();
    },
    async close() {
      transport.close();
    },
  };
}
