import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Issue 14, "Languages": no person-facing text in code joins Vietnamese and English as one string
 * ("vi / en"); each language gets its own words (`UserError({ vi, en })`, locale files, `t(vi, en)`)
 * and the reader's language picks one. This reads every source file (not the generated client) and
 * fails on:
 *
 * 1. an error class of ours (`UserError` and its kin) constructed with a text — a string, a template
 *    or a `+` of them — holding " / " between two words or values, or written in Vietnamese only
 *    (an English page would show it as is: such a message needs `{ vi, en }`);
 * 2. any string or template whose text has a Vietnamese letter before " / " and an English word after
 *    it, wherever it is, unless the file is in {@link NOT_PERSON_FACING} below.
 */

const root = fileURLToPath(new URL('../../', import.meta.url));
const srcDir = join(root, 'src');

/** Files whose combined strings reach no person who has a language of their own, with the reason. */
const NOT_PERSON_FACING: Record<string, string> = {
  'src/composition.ts': 'log lines (pino) for operators: watchdog texts for Redis and PostgreSQL outages',
  'src/db/migrate.ts': 'migration failures, printed to the operator’s terminal by `npm run db:migrate`',
  'src/app.ts': 'log lines (pino) at start-up',
  'src/services/secret-key.ts': 'log lines (pino) at start-up',
  'src/metrics.ts': 'plain-text answers of the /metrics endpoint to a monitoring system',
  'src/errors/index.ts': 'the doc comment and the split of older "vi / en" texts themselves',
};

/** Our errors that reach a person: a message given as one text would show both languages. */
const ERROR_CLASSES = new Set(['UserError', 'NotFoundError', 'ImportError', 'IndicatorInputError', 'Error']);

const VIETNAMESE = /[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]/i;
/** Vietnamese before " / ", an English word after it (maybe after a quote or a placeholder). */
const VI_SLASH_EN = new RegExp(
  `${VIETNAMESE.source}[^/]*? / (?:[«»"'(\\[{\\s]|\\$\\{…\\})*[A-Za-z]{2,}(?=[\\s.,:;!?)»"'\\]…]|$)`,
  'i',
);
/** " / " with something on both sides (a lone ' / ' is a separator for a list, not two languages). */
const JOINED = /\S \/ \S/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** A string-like node's text, each `${…}` of a template as "${…}"; undefined for other nodes. */
function textOf(node: ts.Node): string | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node))
    return node.head.text + node.templateSpans.map((span) => '${…}' + span.literal.text).join('');
  return undefined;
}

/** The texts an error's argument can be: through `? :`, `( )`, `+` and `as`, not into objects. */
function argumentTexts(node: ts.Expression): string[] {
  const text = textOf(node);
  if (text !== undefined) return [text];
  if (ts.isParenthesizedExpression(node) || ts.isAsExpression(node)) return argumentTexts(node.expression);
  if (ts.isConditionalExpression(node)) return [...argumentTexts(node.whenTrue), ...argumentTexts(node.whenFalse)];
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const left = argumentTexts(node.left);
    const right = argumentTexts(node.right);
    return [[...left, '${…}'].join(''), [...left, ...right].join(''), ...left, ...right];
  }
  if (ts.isIdentifier(node) || ts.isCallExpression(node) || ts.isPropertyAccessExpression(node)) return ['${…}'];
  return [];
}

interface Finding {
  where: string;
  text: string;
}

/** The findings in one file's text; `file` is its path from the repository's root. */
function scanSource(file: string, code: string): { errors: Finding[]; texts: Finding[] } {
  const source = ts.createSourceFile(file, code, ts.ScriptTarget.Latest, true);
  const at = (node: ts.Node) => `${file}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`;
  const errors: Finding[] = [];
  const texts: Finding[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isNewExpression(node) || ts.isCallExpression(node)) &&
      ts.isIdentifier(node.expression) &&
      ERROR_CLASSES.has(node.expression.text) &&
      node.arguments?.[0]
    ) {
      const ours = node.expression.text !== 'Error';
      for (const text of argumentTexts(node.arguments[0]))
        if ((JOINED.test(text) && (ours || VIETNAMESE.test(text))) || (ours && VIETNAMESE.test(text)))
          errors.push({ where: at(node), text });
    }
    const text = textOf(node);
    if (text !== undefined && VI_SLASH_EN.test(text) && !(file in NOT_PERSON_FACING))
      texts.push({ where: at(node), text });
    // A template's parts are read whole above; its `${…}` expressions are visited on their own.
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { errors, texts };
}

const findings = sourceFiles(srcDir).map((path) =>
  scanSource(relative(root, path).split(sep).join('/'), readFileSync(path, 'utf8')),
);
const show = (list: Finding[]) => list.map((f) => `${f.where}: ${f.text.slice(0, 140)}`);

describe('no "vi / en" text in code', () => {
  it('reads the source files', () => {
    expect(findings.length).toBeGreaterThan(100);
  });

  it('no error of ours is given one text joining two languages, or one in Vietnamese only', () => {
    expect(show(findings.flatMap((f) => f.errors))).toEqual([]);
  });

  it('no text of a page, reply or notice joins Vietnamese and English with " / "', () => {
    expect(show(findings.flatMap((f) => f.texts))).toEqual([]);
  });

  it('each place left out says why, and still exists', () => {
    for (const [file, reason] of Object.entries(NOT_PERSON_FACING)) {
      expect(reason.length, file).toBeGreaterThan(10);
      expect(() => readFileSync(join(root, file)), file).not.toThrow();
    }
  });

  it('catches the shapes it is meant to catch', () => {
    const probe = (code: string) => {
      const found = scanSource('src/probe.ts', code);
      return found.errors.length + found.texts.length > 0;
    };
    expect(probe("throw new UserError('Đã xong / Already done.')")).toBe(true);
    expect(probe('throw new UserError(`Không có ${x} / no ${x}`)')).toBe(true);
    expect(probe("throw new UserError(ok ? 'Có. / Yes.' : 'Không. / No.')")).toBe(true);
    expect(probe("throw new UserError('Quá dài / ' + 'too long')")).toBe(true);
    expect(probe('throw new UserError(`${vi} / ${en}`)')).toBe(true);
    expect(probe("const x = 'Kế hoạch / plan';")).toBe(true);
    expect(probe('const x = `Ngày «${d}» sai / «${d}» is wrong`;')).toBe(true);
    expect(probe("throw new UserError({ vi: 'Đã xong.', en: 'Already done.' })")).toBe(false);
    expect(probe("throw new UserError(t('Đã xong.', 'Already done.'))")).toBe(false);
    expect(probe("throw new NotFoundError('Không tìm thấy kế hoạch này.')")).toBe(true);
    expect(probe("throw new Error('the plan reader failed')")).toBe(false);
    expect(probe("throw new UserError('--limit: 1…1000')")).toBe(false);
    expect(probe("const x = t('Kế hoạch', 'Plan'); const y = list.join(' / ');")).toBe(false);
    expect(probe("const x = 'ngày 12/2026 / 13';")).toBe(false);
  });
});
