/**
 * Mustache templates rendered from their parsed tokens by a smaller interpreter than mustache.js's
 * own, with its results: every message the worker sends renders two to four templates, and most of
 * mustache.js's cost is its rendering context (a context object and a name cache per value pushed,
 * a cache write per name looked up). The rules are mustache.js 4.2's (`Writer.renderTokens` and
 * `Context.lookup`), for what a template of dondoc's can hold: text, `{{name}}`, `{{&name}}` and
 * `{{{name}}}`, sections and inverted sections (of lists, objects, texts, numbers, booleans), dotted
 * names, `{{.}}`, comments, changed delimiters. A template with a partial (`{{>name}}`) is not
 * compiled, and a section given a function (a lambda: never in dondoc's views) stops the
 * rendering: the caller then renders with mustache.js itself (see src/messages/templates.ts).
 */

/** How a value is escaped for its target (mustache.js's `config.escape`). */
export type Escaper = (value: unknown) => string;

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'value'; name: Name; escaped: boolean }
  | { kind: 'section'; name: Name; inverted: boolean; children: Node[] };

/** A name as looked up: `.`, a plain name, or the parts of a dotted one. */
type Name = { kind: 'self' } | { kind: 'plain'; name: string } | { kind: 'dotted'; names: string[] };

/** A template ready to render; see {@link compileTokens}. */
export interface CompiledTemplate {
  readonly nodes: readonly Node[];
}

/** Thrown when a section meets a function: the caller renders the template with mustache.js. */
export class LambdaInTemplate extends Error {
  override name = 'LambdaInTemplate';
}

/** mustache.js's parsed tokens (`Writer.parse`), as they come: `[type, value, start, end, children?]`. */
type Token = unknown[];

/** The template of mustache.js's tokens, or null when it holds what only mustache.js renders (a partial). */
export function compileTokens(tokens: readonly Token[]): CompiledTemplate | null {
  const nodes = compileList(tokens);
  return nodes ? { nodes } : null;
}

function compileList(tokens: readonly Token[]): Node[] | null {
  const nodes: Node[] = [];
  for (const token of tokens) {
    const type = token[0];
    if (type === 'text') nodes.push({ kind: 'text', text: String(token[1]) });
    else if (type === 'name' || type === '&')
      nodes.push({ kind: 'value', name: nameOf(String(token[1])), escaped: type === 'name' });
    else if (type === '#' || type === '^') {
      const children = compileList(token[4] as Token[]);
      if (!children) return null;
      nodes.push({ kind: 'section', name: nameOf(String(token[1])), inverted: type === '^', children });
    }
    // Comments and changed delimiters render nothing (as in renderTokens); anything else (a partial)
    // is left to mustache.js.
    else if (type !== '!' && type !== '=') return null;
  }
  return nodes;
}

/** As `Context.lookup` reads a name: `.` is the view itself; a name with a dot past its first character is a path. */
function nameOf(name: string): Name {
  if (name === '.') return { kind: 'self' };
  return name.indexOf('.') > 0 ? { kind: 'dotted', names: name.split('.') } : { kind: 'plain', name };
}

/** The views pushed so far, the innermost last (mustache.js's chain of contexts). */
type Stack = unknown[];

/** `hasProperty` of mustache.js: an object (or array) having the property, its prototypes included. */
const hasProperty = (obj: unknown, name: string): boolean =>
  obj != null && typeof obj === 'object' && name in (obj as object);

/** `primitiveHasOwnProperty` of mustache.js: a text or number having the property itself (`length`). */
function primitiveHasOwnProperty(value: unknown, name: string): boolean {
  if (value == null || typeof value === 'object') return false;
  const own = (value as { hasOwnProperty?: (name: string) => boolean }).hasOwnProperty;
  return Boolean(own) && Boolean(own!.call(value, name));
}

/** `Context.lookup`: the innermost view that has the name answers; a function found is called on the innermost view. */
function lookup(stack: Stack, name: Name): unknown {
  const top = stack[stack.length - 1];
  let value: unknown;
  if (name.kind === 'self') value = top;
  else {
    for (let i = stack.length - 1; i >= 0; i--) {
      const view = stack[i];
      if (name.kind === 'plain') {
        const found = (view as Record<string, unknown>)[name.name];
        if (hasProperty(view, name.name)) {
          value = found;
          break;
        }
      } else {
        const { names } = name;
        let at: unknown = view;
        let hit = false;
        for (let k = 0; at != null && k < names.length; k++) {
          if (k === names.length - 1) hit = hasProperty(at, names[k]!) || primitiveHasOwnProperty(at, names[k]!);
          at = (at as Record<string, unknown>)[names[k]!];
        }
        if (hit) {
          value = at;
          break;
        }
      }
    }
  }
  return typeof value === 'function' ? (value as (this: unknown) => unknown).call(top) : value;
}

function renderNodes(nodes: readonly Node[], stack: Stack, escape: Escaper, plainEscape: boolean): string {
  let out = '';
  for (const node of nodes) {
    if (node.kind === 'text') out += node.text;
    else if (node.kind === 'value') {
      const value = lookup(stack, node.name);
      if (value == null) continue;
      if (!node.escaped) out += value as string;
      // mustache.js leaves numbers unescaped only with its own escaper.
      else out += typeof value === 'number' && plainEscape ? String(value) : escape(value);
    } else {
      const value = lookup(stack, node.name);
      if (node.inverted) {
        if (!value || (Array.isArray(value) && value.length === 0))
          out += renderNodes(node.children, stack, escape, plainEscape);
      } else if (!value) continue;
      else if (Array.isArray(value)) {
        for (const item of value) {
          stack.push(item);
          out += renderNodes(node.children, stack, escape, plainEscape);
          stack.pop();
        }
      } else if (typeof value === 'object' || typeof value === 'string' || typeof value === 'number') {
        stack.push(value);
        out += renderNodes(node.children, stack, escape, plainEscape);
        stack.pop();
      } else if (typeof value === 'function') throw new LambdaInTemplate('a section of a template is a function');
      else out += renderNodes(node.children, stack, escape, plainEscape);
    }
  }
  return out;
}

/**
 * Renders `template` with `view`, values escaped by `escape`; `mustacheEscape` is mustache.js's own
 * escaper (with it, numbers are not escaped). Throws {@link LambdaInTemplate} when a section meets a
 * function.
 */
export function renderCompiled(
  template: CompiledTemplate,
  view: unknown,
  escape: Escaper,
  mustacheEscape: Escaper,
): string {
  const stack: Stack = [view];
  return renderNodes(template.nodes, stack, escape, escape === mustacheEscape);
}
