import type { Lang } from '#root/domain/wording.js';
import { messageRef, type OutgoingMessage, type Recipient } from '../types.js';

/**
 * The JSON a webhook receives (version 1). Fields are only ever added within a version; a change
 * of meaning is a new `version`. Example:
 *
 * ```json
 * {
 *   "type": "dondoc.reminder_bundle",
 *   "version": 1,
 *   "id": "0f8a2c7e-…",
 *   "org": "6b1d…",
 *   "contact": { "id": "c2a9…", "name": "Nguyễn Văn A" },
 *   "language": "vi",
 *   "sentAt": "2026-12-07T01:30:00.000Z",
 *   "subject": "Kính gửi Nguyễn Văn A (Sở Y tế), hôm nay 07/12/2026 có 3 việc cần anh/chị:",
 *   "text": "Kính gửi …",
 *   "items": [{ "obligationId": "9d3e…", "code": "4.2-2026Q4", "actions": true }]
 * }
 * ```
 *
 * - `type`: `dondoc.reminder_bundle` (a contact's message of the day: one item or several) or
 *   `dondoc.digest` (an administrator's daily summary, `items` empty).
 * - `id`: the bundle's (or digest's) id — the same on every retry of this message: the receiver's
 *   idempotency key (also in the `Dondoc-Event-Id` and `Idempotency-Key` headers).
 * - `sentAt`: this attempt's time (ISO 8601, UTC); the signature's `t` is the same instant.
 * - `subject`, `text`: the message as people read it, in the contact's `language`.
 * - `items`: the obligations the message is about, in the order the text lists them: `code` is what
 *   people type to confirm (`null` for a message of one reminder, whose text names it), `actions`
 *   whether the item asks for a confirmation (late units and items for cooperation do not).
 */
export const PAYLOAD_VERSION = 1;

export type WebhookEventType = 'dondoc.reminder_bundle' | 'dondoc.digest';

export interface WebhookPayload {
  type: WebhookEventType;
  version: typeof PAYLOAD_VERSION;
  id: string;
  org: string;
  contact: { id: string; name: string };
  language: Lang;
  sentAt: string;
  subject: string;
  text: string;
  items: { obligationId: string; code: string | null; actions: boolean }[];
}

/** The payload of one message to one contact, sent at `now`. */
export function webhookPayload(to: Recipient, message: OutgoingMessage, now: Date): WebhookPayload {
  const digest = 'digestId' in message.ref;
  const items: WebhookPayload['items'] = digest
    ? []
    : message.items
      ? message.items.map((i) => ({ obligationId: i.obligationId, code: i.code, actions: i.actions }))
      : message.obligationId
        ? [{ obligationId: message.obligationId, code: null, actions: Boolean(message.actions?.includes('done')) }]
        : [];
  return {
    type: digest ? 'dondoc.digest' : 'dondoc.reminder_bundle',
    version: PAYLOAD_VERSION,
    id: messageRef(message),
    org: message.orgId,
    contact: { id: to.contactId, name: to.name },
    language: to.locale,
    sentAt: now.toISOString(),
    subject: message.subject,
    text: message.text,
    items,
  };
}
