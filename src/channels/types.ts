import type { Lang } from '#root/domain/wording.js';
import type { Channel, Prisma } from '#root/generated/prisma/client.js';
import type { ContactAddresses } from './spec.js';

/** A channel's name: one of src/channels/registry.ts (the database's enum `Channel`). */
export type ChannelName = Channel;

/**
 * A delivery that failed. `permanent`: retrying this send cannot succeed, so it is not retried: the
 * reminder is marked failed and the contact's next channel is tried. `scope` says what is at fault:
 * `'address'` (the default) — the address will not work until someone fixes it (bot blocked, chat
 * gone, mailbox rejected), so the channel is disabled for that contact; `'message'` — this message
 * cannot be delivered (Telegram cannot parse it, a 400 about its content), the address is fine and
 * stays enabled for the next messages. `outcomeUnknown`: the request may have reached the channel,
 * which did not answer (a timeout, a connection cut mid-request), so the message may have gone
 * out: the retry is counted as a possible duplicate. `movedTo`: the chat has a new address (a
 * Telegram group upgraded to a supergroup): the contact is moved to it and the send tried there.
 */
export class DeliveryError extends Error {
  readonly permanent: boolean;
  readonly scope: 'address' | 'message';
  readonly outcomeUnknown: boolean;
  readonly movedTo: { telegramChatId: bigint } | undefined;
  constructor(
    message: string,
    options: {
      permanent: boolean;
      scope?: 'address' | 'message';
      outcomeUnknown?: boolean;
      movedTo?: { telegramChatId: bigint };
      cause?: unknown;
    },
  ) {
    super(message, { cause: options.cause });
    this.name = 'DeliveryError';
    this.permanent = options.permanent;
    this.scope = options.scope ?? 'address';
    this.outcomeUnknown = options.outcomeUnknown ?? false;
    this.movedTo = options.movedTo;
  }
}

/**
 * Who a message goes to, as a channel needs it: with every channel's address columns (each channel
 * reads its own). Addresses never reach the logs.
 */
export interface Recipient extends ContactAddresses {
  contactId: string;
  name: string;
  locale: Lang;
}

/** A rendered message: each channel takes the parts it needs. */
export interface OutgoingMessage {
  orgId: string;
  /**
   * The reminder or digest this message is, for the sandbox outbox and for the logs. A day's
   * message (a bundle) names its bundle and its first item.
   */
  ref: { reminderId: string; bundleId?: string } | { digestId: string };
  subject: string;
  text: string;
  html?: string;
  /** The obligation a reply confirms, when the message asks for confirmation. */
  obligationId?: string;
  /** What the recipient can answer with (chat buttons): `done` confirms the obligation for the unit. */
  actions?: 'done'[];
  /**
   * A message of several items (a bundle): each with its code and whether it takes ✅ / 📅 of its
   * own (chat buttons), in the order the text shows them.
   */
  items?: MessageItem[];
}

/** One item of a message of several: its obligation, its code ("4.2-2026Q4"), whether it has buttons. */
export interface MessageItem {
  obligationId: string;
  code: string;
  actions: boolean;
}

/** The id a channel keeps a message by (its bundle's, its reminder's or its digest's). */
export const messageRef = (m: OutgoingMessage): string =>
  'digestId' in m.ref ? m.ref.digestId : (m.ref.bundleId ?? m.ref.reminderId);

export interface SendResult {
  /** The channel's id for the message (SMTP message id, Telegram message id…). */
  externalId: string | null;
}

/**
 * A way to reach people. `transactional` channels write inside the caller's database transaction,
 * so that claiming, sending and recording are one atomic step (exactly once); the others are called
 * between the claim and the record (see the README on the window between them).
 */
export type ChannelAdapter =
  | {
      name: ChannelName;
      transactional: true;
      send(tx: Prisma.TransactionClient, to: Recipient, message: OutgoingMessage): Promise<SendResult>;
      /** Several messages in one go (one statement), in the caller's transaction; results in order. */
      sendMany?(
        tx: Prisma.TransactionClient,
        items: { to: Recipient; message: OutgoingMessage }[],
      ): Promise<SendResult[]>;
    }
  | {
      name: ChannelName;
      transactional: false;
      /** How many sends may be in flight at once (default 8); more wait before claiming. */
      maxInFlight?: number;
      /** Waits until the channel's own rate limits allow a message to this recipient (before the claim). */
      pace?(to: Recipient): Promise<void>;
      send(to: Recipient, message: OutgoingMessage): Promise<SendResult>;
      close?(): Promise<void>;
    };
