import type { Readable } from 'node:stream';
import nodemailer, { type SendMailOptions } from 'nodemailer';
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

/** What a send carries to the stream step, to learn whether its message's data went out. */
interface SendTrack {
  /** The whole message was read into the SMTP DATA stream (nodemailer reads it only after 354). */
  dataSent: boolean;
}
const TRACK = 'dondocTrack';

/**
 * Email through one pooled nodemailer transporter (SMTP). SMTP 5xx answers are permanent (the
 * address is rejected: the contact's next channel is used); 4xx answers and network errors are
 * temporary and retried — a network error after the message's data went out is of unknown outcome
 * (see {@link emailDeliveryError}).
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
  // nodemailer pipes the message into the DATA stream once the server said 354, and the DATA
  // stream's end writes the terminating ".". The message stream's 'end' comes when its reader took
  // the last byte: from then on the server may have the mail, whatever fails next.
  transport.use('stream', (mail, done) => {
    const track = (mail.data as { [TRACK]?: SendTrack })[TRACK];
    if (track)
      mail.message.processFunc((input: Readable) => {
        input.once('end', () => {
          track.dataSent = true;
        });
        return input;
      });
    done();
  });
  return {
    name: 'email',
    transactional: false,
    // As many as the pool has connections: the rest wait before claiming (see delivery.ts).
    maxInFlight: 5,
    async send(to: Recipient, message: OutgoingMessage) {
      if (!to.email) throw new DeliveryError('contact has no email address', { permanent: true });
      const track: SendTrack = { dataSent: false };
      const mail: SendMailOptions & { [TRACK]: SendTrack } = {
        [TRACK]: track,
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
      };
      try {
        const info = await transport.sendMail(mail);
        if (info.rejected.length) throw new DeliveryError('address rejected', { permanent: true });
        return { externalId: info.messageId ?? null };
      } catch (error) {
        throw emailDeliveryError(error, track);
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
