import { inflateRawSync } from 'node:zlib';

/** The files of a zip, read from its central directory (a test's own reader, independent of the writer). */
export function unzip(buf: Buffer): Map<string, Buffer> {
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error('not a zip');
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const files = new Map<string, Buffer>();
  for (let k = 0; k < count; k++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error('bad central directory');
    const method = buf.readUInt16LE(at + 10);
    const compressed = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const offset = buf.readUInt32LE(at + 42);
    const name = buf.toString('utf8', at + 46, at + 46 + nameLen);
    const localName = buf.readUInt16LE(offset + 26);
    const localExtra = buf.readUInt16LE(offset + 28);
    const data = buf.subarray(offset + 30 + localName + localExtra, offset + 30 + localName + localExtra + compressed);
    files.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    at += 46 + nameLen + extraLen + commentLen;
  }
  return files;
}

const unescape = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');

/** The text of an XML fragment of WordprocessingML: its <w:t> texts, <w:br/> as a line break. */
export function textOf(xml: string): string {
  let out = '';
  for (const m of xml.matchAll(/<w:t(?: [^>]*)?>([^<]*)<\/w:t>|<w:br\/>/g))
    out += m[1] === undefined ? '\n' : unescape(m[1]);
  return out;
}

export interface DocxContent {
  xml: string;
  /** The body's paragraphs outside tables, in order. */
  paragraphs: string[];
  /** Each table: rows of cell texts (a cell's paragraphs joined by a line break). */
  tables: string[][][];
}

/** The document.xml of a .docx, its paragraphs outside tables and its tables. */
export function readDocx(buf: Buffer): DocxContent {
  const xml = unzip(buf).get('word/document.xml')!.toString('utf8');
  const body = xml.slice(xml.indexOf('<w:body>') + 8, xml.lastIndexOf('</w:body>'));
  const paragraphs: string[] = [];
  const tables: string[][][] = [];
  // Tables are not nested here: a flat walk over top-level <w:tbl> and <w:p>.
  const re = /<w:tbl>([\s\S]*?)<\/w:tbl>|<w:p>([\s\S]*?)<\/w:p>|<w:p\/>/g;
  for (const m of body.matchAll(re)) {
    if (m[1] !== undefined) {
      const rows = [...m[1].matchAll(/<w:tr>([\s\S]*?)<\/w:tr>/g)].map((r) =>
        [...r[1]!.matchAll(/<w:tc>([\s\S]*?)<\/w:tc>/g)].map((c) =>
          [...c[1]!.matchAll(/<w:p>([\s\S]*?)<\/w:p>/g)].map((pp) => textOf(pp[1]!)).join('\n'),
        ),
      );
      tables.push(rows);
    } else if (m[2] !== undefined) paragraphs.push(textOf(m[2]));
  }
  return { xml, paragraphs, tables };
}
