import { writeZip } from './zip.js';

/**
 * A Word document (.docx, Office Open XML) written directly: paragraphs of runs, tables, and
 * sections (portrait or landscape A4). Only what an administrative document needs; everything is
 * text (no images), so Word and LibreOffice open it for editing. The default font and size are the
 * document's (Times New Roman 14 pt for Vietnamese administrative documents, Nghị định 30/2020).
 */

export interface Run {
  text: string;
  bold?: boolean;
  italic?: boolean;
  underline?: boolean;
  /** Points (13, 14); the document's default when absent. */
  size?: number;
}

export interface Paragraph {
  kind: 'p';
  runs: Run[];
  align?: 'left' | 'center' | 'right' | 'both';
  /** First-line indent, cm. */
  indent?: number;
  /** Space before and after, points. */
  before?: number;
  after?: number;
  /** Keep on one page with the next (headings). */
  keepNext?: boolean;
}

export interface Cell {
  content: Paragraph[];
  /** Width, cm. */
  width?: number;
  shade?: string;
  colSpan?: number;
}

export interface Table {
  kind: 'table';
  rows: Cell[][];
  /** Column widths, cm. */
  widths: number[];
  borders: boolean;
  /** The first row repeats on every page. */
  header?: boolean;
}

/**
 * A table of plain text cells in one size, written without an object per cell: the fast form for
 * a long table (a report's appendix of 50,000 rows). The first row is the header (bold, shaded,
 * repeated on every page); `align` is each column's.
 */
export interface TextTable {
  kind: 'text-table';
  header: string[];
  rows: string[][];
  /** Column widths, cm. */
  widths: number[];
  align: ('left' | 'center')[];
  /** Points. */
  size: number;
  headerShade: string;
}

export type Block = Paragraph | Table | TextTable;

export interface Section {
  blocks: Block[];
  landscape?: boolean;
}

export interface DocxOptions {
  font: string;
  /** Points. */
  size: number;
  title: string;
  /** Margins, cm: Nghị định 30/2020 asks top 2–2.5, bottom 2–2.5, left 3–3.5, right 1.5–2. */
  margins: { top: number; bottom: number; left: number; right: number };
}

/** Text for XML, without the characters XML 1.0 forbids (control characters a note may hold). */
export function xmlText(s: string): string {
  // Most texts hold none of these: tested once, rather than five replacements each (50,000 cells).
  // eslint-disable-next-line no-control-regex
  if (!/[&<>"\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(s)) return s;
  return (
    s
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
  );
}

const twips = (cm: number) => Math.round((cm / 2.54) * 1440);

export const p = (text: string | Run[], o: Omit<Paragraph, 'kind' | 'runs'> = {}): Paragraph => ({
  kind: 'p',
  runs: typeof text === 'string' ? [{ text }] : text,
  ...o,
});

function runXml(r: Run): string {
  const props =
    (r.bold ? '<w:b/>' : '') +
    (r.italic ? '<w:i/>' : '') +
    (r.underline ? '<w:u w:val="single"/>' : '') +
    (r.size ? `<w:sz w:val="${r.size * 2}"/><w:szCs w:val="${r.size * 2}"/>` : '');
  // A line break inside a run's text becomes <w:br/>.
  const parts = r.text.split('\n').map((t) => `<w:t xml:space="preserve">${xmlText(t)}</w:t>`);
  return `<w:r>${props ? `<w:rPr>${props}</w:rPr>` : ''}${parts.join('<w:br/>')}</w:r>`;
}

function paragraphXml(para: Paragraph): string {
  const props =
    (para.keepNext ? '<w:keepNext/>' : '') +
    (para.before !== undefined || para.after !== undefined
      ? `<w:spacing w:before="${(para.before ?? 0) * 20}" w:after="${(para.after ?? 0) * 20}"/>`
      : '') +
    (para.indent ? `<w:ind w:firstLine="${twips(para.indent)}"/>` : '') +
    (para.align ? `<w:jc w:val="${para.align}"/>` : '');
  return `<w:p>${props ? `<w:pPr>${props}</w:pPr>` : ''}${para.runs.map(runXml).join('')}</w:p>`;
}

function tableXml(t: Table, out: string[]): void {
  const border = t.borders
    ? '<w:tblBorders><w:top w:val="single" w:sz="4"/><w:left w:val="single" w:sz="4"/><w:bottom w:val="single" w:sz="4"/><w:right w:val="single" w:sz="4"/><w:insideH w:val="single" w:sz="4"/><w:insideV w:val="single" w:sz="4"/></w:tblBorders>'
    : '<w:tblBorders><w:top w:val="nil"/><w:left w:val="nil"/><w:bottom w:val="nil"/><w:right w:val="nil"/><w:insideH w:val="nil"/><w:insideV w:val="nil"/></w:tblBorders>';
  const grid = t.widths.map((w) => `<w:gridCol w:w="${twips(w)}"/>`).join('');
  out.push(
    `<w:tbl><w:tblPr><w:tblW w:w="${twips(t.widths.reduce((a, b) => a + b, 0))}" w:type="dxa"/>${border}<w:tblLayout w:type="fixed"/><w:tblCellMar><w:left w:w="80" w:type="dxa"/><w:right w:w="80" w:type="dxa"/></w:tblCellMar></w:tblPr><w:tblGrid>${grid}</w:tblGrid>`,
  );
  t.rows.forEach((row, i) => {
    out.push(`<w:tr>${i === 0 && t.header ? '<w:trPr><w:tblHeader/><w:cantSplit/></w:trPr>' : ''}`);
    let col = 0;
    for (const cell of row) {
      const span = cell.colSpan ?? 1;
      const width = cell.width ?? t.widths.slice(col, col + span).reduce((a, b) => a + b, 0);
      col += span;
      const props =
        `<w:tcW w:w="${twips(width)}" w:type="dxa"/>` +
        (span > 1 ? `<w:gridSpan w:val="${span}"/>` : '') +
        (cell.shade ? `<w:shd w:val="clear" w:color="auto" w:fill="${cell.shade}"/>` : '');
      out.push('<w:tc><w:tcPr>', props, '</w:tcPr>');
      if (cell.content.length) for (const para of cell.content) out.push(paragraphXml(para));
      else out.push('<w:p/>');
      out.push('</w:tc>');
    }
    out.push('</w:tr>');
  });
  out.push('</w:tbl>');
}

const BORDERS =
  '<w:tblBorders><w:top w:val="single" w:sz="4"/><w:left w:val="single" w:sz="4"/><w:bottom w:val="single" w:sz="4"/><w:right w:val="single" w:sz="4"/><w:insideH w:val="single" w:sz="4"/><w:insideV w:val="single" w:sz="4"/></w:tblBorders>';

function textTableXml(t: TextTable, out: string[]): void {
  const sz = `<w:sz w:val="${t.size * 2}"/><w:szCs w:val="${t.size * 2}"/>`;
  const grid = t.widths.map((w) => `<w:gridCol w:w="${twips(w)}"/>`).join('');
  out.push(
    `<w:tbl><w:tblPr><w:tblW w:w="${twips(t.widths.reduce((a, b) => a + b, 0))}" w:type="dxa"/>${BORDERS}<w:tblLayout w:type="fixed"/><w:tblCellMar><w:left w:w="80" w:type="dxa"/><w:right w:w="80" w:type="dxa"/></w:tblCellMar></w:tblPr><w:tblGrid>${grid}</w:tblGrid>`,
  );
  // Per column, the markup around a cell's text, made once.
  const open = t.widths.map(
    (w, i) =>
      `<w:tc><w:tcPr><w:tcW w:w="${twips(w)}" w:type="dxa"/></w:tcPr><w:p>${t.align[i] === 'center' ? '<w:pPr><w:jc w:val="center"/></w:pPr>' : ''}<w:r><w:rPr>${sz}</w:rPr><w:t xml:space="preserve">`,
  );
  const nextLine = (i: number) =>
    `</w:t></w:r></w:p><w:p>${t.align[i] === 'center' ? '<w:pPr><w:jc w:val="center"/></w:pPr>' : ''}<w:r><w:rPr>${sz}</w:rPr><w:t xml:space="preserve">`;
  const close = '</w:t></w:r></w:p></w:tc>';
  out.push('<w:tr><w:trPr><w:tblHeader/><w:cantSplit/></w:trPr>');
  t.header.forEach((h, i) =>
    out.push(
      `<w:tc><w:tcPr><w:tcW w:w="${twips(t.widths[i]!)}" w:type="dxa"/><w:shd w:val="clear" w:color="auto" w:fill="${t.headerShade}"/></w:tcPr><w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:rPr><w:b/>${sz}</w:rPr><w:t xml:space="preserve">${xmlText(h)}</w:t></w:r></w:p></w:tc>`,
    ),
  );
  out.push('</w:tr>');
  for (const row of t.rows) {
    out.push('<w:tr>');
    for (let i = 0; i < t.widths.length; i++) {
      const text = row[i] ?? '';
      out.push(open[i]!, text.includes('\n') ? text.split('\n').map(xmlText).join(nextLine(i)) : xmlText(text), close);
    }
    out.push('</w:tr>');
  }
  out.push('</w:tbl>');
}

function sectionProps(s: Section, o: DocxOptions): string {
  // A4: 21 × 29.7 cm.
  const [w, h] = s.landscape ? [twips(29.7), twips(21)] : [twips(21), twips(29.7)];
  const m = o.margins;
  return `<w:sectPr><w:pgSz w:w="${w}" w:h="${h}"${s.landscape ? ' w:orient="landscape"' : ''}/><w:pgMar w:top="${twips(m.top)}" w:right="${twips(m.right)}" w:bottom="${twips(m.bottom)}" w:left="${twips(m.left)}" w:header="720" w:footer="720" w:gutter="0"/></w:sectPr>`;
}

const NS =
  'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"';

/** The .docx file of the sections, in order (each section starts on a new page). */
export function writeDocx(sections: Section[], o: DocxOptions): Buffer {
  const body: string[] = [];
  sections.forEach((s, i) => {
    for (const b of s.blocks) {
      if (b.kind === 'p') body.push(paragraphXml(b));
      else if (b.kind === 'text-table') textTableXml(b, body);
      else tableXml(b, body);
    }
    // A section's properties go in the last paragraph of the section, except the last section's.
    if (i < sections.length - 1) body.push(`<w:p><w:pPr>${sectionProps(s, o)}</w:pPr></w:p>`);
  });
  const last = sections[sections.length - 1] ?? { blocks: [] };
  const document = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document ${NS}><w:body>${body.join('')}${sectionProps(last, o)}</w:body></w:document>`;
  const size = o.size * 2;
  const styles = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:styles ${NS}><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="${xmlText(o.font)}" w:hAnsi="${xmlText(o.font)}" w:cs="${xmlText(o.font)}" w:eastAsia="${xmlText(o.font)}"/><w:sz w:val="${size}"/><w:szCs w:val="${size}"/><w:lang w:val="vi-VN"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:before="0" w:after="60" w:line="264" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style><w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/><w:tblPr><w:tblCellMar><w:left w:w="108" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style></w:styles>`;
  const core = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>${xmlText(o.title)}</dc:title><dc:creator>dondoc</dc:creator><dc:language>vi-VN</dc:language></cp:coreProperties>`;
  return writeZip([
    {
      name: '[Content_Types].xml',
      data: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>`,
    },
    {
      name: '_rels/.rels',
      data: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>`,
    },
    {
      name: 'word/_rels/document.xml.rels',
      data: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`,
    },
    { name: 'word/document.xml', data: document },
    { name: 'word/styles.xml', data: styles },
    { name: 'docProps/core.xml', data: core },
  ]);
}
