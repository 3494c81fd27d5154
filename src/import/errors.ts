import { UserError, type Words } from '#root/errors/index.js';
import { whereIn } from './where.js';
import { serviceWords } from '#root/messages/service-words.js';

const importWords = serviceWords('import');

/**
 * A file that cannot be imported at all (empty, binary, no duty table). The message is Vietnamese
 * given in each language; `where` points at the line, row or sheet when known.
 */
export class ImportError extends UserError {
  override name = 'ImportError';
  constructor(
    message: Words,
    readonly where?: string,
  ) {
    const at = (text: string, place: string) => `${text.replace(/\.$/, '')} (${place}).`;
    super(where ? { vi: at(message.vi, whereIn(where, 'vi')), en: at(message.en, whereIn(where, 'en')) } : message);
  }
}

/**
 * An import under review that is no longer there: it expired (or never belonged to this
 * organisation), or it was already imported. The administrator has to upload the plan again.
 */
export class ImportDraftGoneError extends UserError {
  override name = 'ImportDraftGoneError';
  constructor(readonly reason: 'expired' | 'imported') {
    super(reason === 'imported' ? importWords('reviewAlreadyImported') : importWords('reviewExpired'));
  }
}
