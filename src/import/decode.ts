import iconv from 'iconv-lite';
import { ImportError } from './errors.js';
import { serviceWords } from '#root/messages/service-words.js';

const importWords = serviceWords('import');

const NOT_TEXT = importWords('notTextBinary');

/** Signatures of files that are never plain text, whatever their name says. */
const BINARY_SIGNATURES: number[][] = [
  [0x50, 0x4b, 0x03, 0x04], // zip (xlsx, docx…)
  [0x25, 0x50, 0x44, 0x46], // %PDF
  [0xd0, 0xcf, 0x11, 0xe0], // OLE (xls, doc)
  [0x1f, 0x8b], // gzip
  [0x89, 0x50, 0x4e, 0x47], // PNG
  [0xff, 0xd8, 0xff], // JPEG
];

/**
 * Whether the bytes are a password-protected Office file: an encrypted .xlsx/.docx is not a zip but
 * an OLE compound file holding an `EncryptedPackage` stream (named in UTF-16LE in its directory).
 */
export function isEncryptedOffice(buf: Buffer): boolean {
  const ole = buf.length >= 8 && buf[0] === 0xd0 && buf[1] === 0xcf && buf[2] === 0x11 && buf[3] === 0xe0;
  return ole && buf.includes(Buffer.from('EncryptedPackage', 'utf16le'));
}

/** Whether the buffer starts with the signature of a binary format (zip, PDF, OLE, gzip, images). */
export function hasBinarySignature(buf: Buffer): boolean {
  return BINARY_SIGNATURES.some((sig) => sig.every((b, i) => buf[i] === b));
}

function finish(text: string): string {
  return text
    .replace(/^\uFEFF/u, '')
    .replace(/\r\n?/g, '\n')
    .normalize('NFC');
}

function decodeUtf16(buf: Buffer, bigEndian: boolean): string {
  const even = buf.subarray(0, buf.length - (buf.length % 2));
  if (!bigEndian) return even.toString('utf16le');
  return Buffer.from(even).swap16().toString('utf16le');
}

/**
 * Decodes an uploaded text file to a string: UTF-8 (with or without BOM), UTF-16 LE/BE (with a BOM,
 * or without one when every other byte is NUL), else Windows-1258 (Vietnamese Windows).
 * The result is NFC-normalized with `\n` line ends.
 *
 * @throws ImportError when the bytes are not text (NULs outside UTF-16, a zip/PDF/OLE signature).
 */
export function decodeText(buf: Buffer): string {
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf)
    return finish(buf.subarray(3).toString('utf8'));
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return finish(decodeUtf16(buf.subarray(2), false));
  if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) return finish(decodeUtf16(buf.subarray(2), true));
  if (hasBinarySignature(buf)) throw new ImportError(NOT_TEXT);

  // UTF-16 without a BOM: mostly-ASCII text has a NUL in every other byte.
  const sample = buf.subarray(0, Math.min(buf.length, 8192));
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < sample.length; i++) {
    if (sample[i] === 0) {
      if (i % 2 === 0) evenNul++;
      else oddNul++;
    }
  }
  const half = sample.length / 2;
  if (half >= 1 && oddNul >= half * 0.3 && evenNul <= half * 0.05) return finish(decodeUtf16(buf, false));
  if (half >= 1 && evenNul >= half * 0.3 && oddNul <= half * 0.05) return finish(decodeUtf16(buf, true));
  if (evenNul + oddNul > 0) throw new ImportError(NOT_TEXT);

  // Control characters other than tab, newline, carriage return, form feed: binary.
  let control = 0;
  for (const b of sample) if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c && b !== 0x1a) control++;
  if (control > Math.max(2, sample.length * 0.01)) throw new ImportError(NOT_TEXT);

  try {
    return finish(new TextDecoder('utf-8', { fatal: true }).decode(buf));
  } catch {
    return finish(iconv.decode(buf, 'windows1258'));
  }
}
