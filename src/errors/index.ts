/**
 * Errors that reach a person: each message is Vietnamese first, then English.
 */

/**
 * The locale key and values a message was made from (`src/messages/locales`): a chat answers in the
 * reader's language rather than with the "Vietnamese / English" message.
 */
export interface ErrorWords {
  key: string;
  params?: Record<string, string | number>;
}

/** Bad input from a person (CLI argument, form, chat command): shown as is, nothing changed. */
export class UserError extends Error {
  override name = 'UserError';
  constructor(
    message: string,
    readonly words?: ErrorWords,
  ) {
    super(message);
  }
}

/** Something named does not exist (organisation, unit, contact, duty…). */
export class NotFoundError extends UserError {
  override name = 'NotFoundError';
}
