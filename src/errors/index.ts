/**
 * Errors that reach a person: each message is Vietnamese first, then English.
 */

/** Bad input from a person (CLI argument, form, chat command): shown as is, nothing changed. */
export class UserError extends Error {
  override name = 'UserError';
}

/** Something named does not exist (organisation, unit, contact, duty…). */
export class NotFoundError extends UserError {
  override name = 'NotFoundError';
}
