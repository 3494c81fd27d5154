/**
 * Plan files as agencies publish them — Word (.docx, .doc) and PDF — told apart by their bytes,
 * whatever their name says, and read into the one document model (src/import/document-model.ts).
 */
import type { SourceDocument } from './document-model.js';
import { readDocx } from './docx.js';
import { corruptDoc, corruptPdf, corruptWorkbook } from './limits.js';
import { isPdf, readPdf } from './pdf.js';
import { isOle, isWord97, readDoc } from './word97.js';
import { isZip } from './zip-guard.js';
import { ImportError } from './errors.js';
import { serviceWords } from '#root/messages/service-words.js';

const importWords = serviceWords('import');

export type DocumentKind = 'docx' | 'doc' | 'pdf';

/** Whether a zip's directory names a Word document part. */
const isDocxZip = (buf: Buffer) => isZip(buf) && buf.includes('word/document');

/**
 * Which document reader a file needs, by its bytes first: a PDF signature, an OLE file holding a
 * `WordDocument` stream, a zip holding `word/document.xml`. A file named .pdf/.doc/.docx whose
 * bytes are none of these is refused as damaged; any other file is not a document (null), and
 * goes to the spreadsheet and text readers.
 *
 * @throws ImportError for a file named as a document that is not one (an RTF saved as .doc…).
 */
export function documentKind(ext: string, buf: Buffer): DocumentKind | null {
  if (isPdf(buf)) return 'pdf';
  if (isWord97(buf)) return 'doc';
  if (isDocxZip(buf)) return 'docx';
  if (ext === '.pdf') throw corruptPdf();
  if (ext === '.odt' || ext === '.rtf') throw new ImportError(importWords('odtRtfUnsupported'));
  if (ext === '.doc' || ext === '.docx') {
    if (buf.subarray(0, 5).toString('latin1') === '{\\rtf') throw new ImportError(importWords('rtfNamedDoc'));
    if (isOle(buf) || ext === '.doc') throw corruptDoc();
    throw corruptWorkbook('docx');
  }
  return null;
}

/** Reads a document of a kind {@link documentKind} chose. */
export async function readDocument(kind: DocumentKind, buf: Buffer): Promise<SourceDocument> {
  switch (kind) {
    case 'pdf':
      return readPdf(buf);
    case 'doc':
      return readDoc(buf);
    case 'docx':
      return readDocx(buf);
  }
}
