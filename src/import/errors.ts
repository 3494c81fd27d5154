import { UserError } from '#root/errors/index.js';

/**
 * A file that cannot be imported at all (empty, binary, no duty table). The message is Vietnamese
 * first, then English; `where` points at the line, row or sheet when known.
 */
export class ImportError extends UserError {
  override name = 'ImportError';
  constructor(
    message: string,
    readonly where?: string,
  ) {
    super(where ? `${message} (${where})` : message);
  }
}
