import { readFileSync } from 'node:fs';
import type { SourceBlock, SourceDocument } from '#root/import/document-model.js';

/**
 * A shared fixture's text as a document: each line with a `|` a row of a table (consecutive such
 * lines one table), every other line a paragraph. Enough for the pipe tables of the fixtures.
 */
export function fixtureDocument(name: string): SourceDocument {
  const text = readFileSync(new URL(`../../../shared/fixtures/${name}`, import.meta.url), 'utf8');
  const blocks: SourceBlock[] = [];
  let table: Extract<SourceBlock, { kind: 'table' }> | null = null;
  text.split(/\r?\n/).forEach((line, i) => {
    const where = `dòng ${i + 1}`;
    if (line.includes('|')) {
      const cells = line
        .replace(/^\s*\|/, '')
        .replace(/\|\s*$/, '')
        .split('|')
        .map((c) => ({ text: c.trim() }));
      if (!table) blocks.push((table = { kind: 'table', rows: [], where }));
      table.rows.push({ cells, where });
    } else {
      table = null;
      if (line.trim()) blocks.push({ kind: 'paragraph', text: line.trim(), where });
    }
  });
  return { format: 'plan-text', blocks };
}
