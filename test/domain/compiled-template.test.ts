import Mustache from 'mustache';
import { describe, expect, it } from 'vitest';
import { CHANNEL_NAMES, escaperFor } from '#root/channels/registry.js';
import { compileTokens, LambdaInTemplate, renderCompiled, type Escaper } from '#root/messages/compiled-template.js';
import { loadTemplates, MESSAGES, PARTS, renderSource, type MessageName } from '#root/messages/templates.js';
import { seededRandom } from '../helpers/random.js';

/** What mustache.js renders: the reference the compiled templates must match byte for byte. */
const byMustache = (source: string, view: unknown, escape: Escaper) =>
  new Mustache.Writer().render(source, view, {}, { escape });

function byCompiled(source: string, view: unknown, escape: Escaper): string {
  const compiled = compileTokens(new Mustache.Writer().parse(source) as unknown[][]);
  if (!compiled) throw new Error('not compiled');
  return renderCompiled(compiled, view, escape, Mustache.escape);
}

const telegramLike: Escaper = (v) => String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;');
const ESCAPERS: [string, Escaper][] = [
  ['mustache.js', Mustache.escape],
  ['HTML of a channel', telegramLike],
  ['plain', (v) => String(v)],
];

/** A value of every kind a view may hold, and some it never does. */
function valueOf(random: () => number, depth: number, fields: readonly string[]): unknown {
  const pick = Math.floor(random() * 12);
  switch (pick) {
    case 0:
      return '';
    case 1:
      return 0;
    case 2:
      return 42;
    case 3:
      return 'Báo cáo <b>quý</b> & "năm" > 3';
    case 4:
      return undefined;
    case 5:
      return true;
    case 6:
      return false;
    case 7:
      return [];
    case 8:
    case 9:
      return depth > 2
        ? 'x'
        : Array.from({ length: 1 + Math.floor(random() * 3) }, () => viewOf(random, depth + 1, fields));
    case 10:
      return depth > 2 ? null : viewOf(random, depth + 1, fields);
    default:
      return `giá trị ${Math.floor(random() * 1000)}`;
  }
}

function viewOf(random: () => number, depth: number, fields: readonly string[]): Record<string, unknown> {
  const view: Record<string, unknown> = {};
  for (const f of fields) if (random() < (depth ? 0.3 : 0.8)) view[f] = valueOf(random, depth, fields);
  return view;
}

/** A view of a message's own fields and lists, values of every kind, some missing. */
function messageView(message: MessageName, random: () => number): Record<string, unknown> {
  const spec = MESSAGES[message];
  const lists = spec.lists as Record<string, readonly string[]>;
  const all = [...spec.fields, ...Object.keys(lists), ...Object.values(lists).flat()];
  return viewOf(random, 0, [...new Set(all)]);
}

describe('a compiled template', () => {
  it('renders every template file as mustache.js does, with views of every kind of value', () => {
    const templates = loadTemplates();
    let compared = 0;
    for (const message of Object.keys(MESSAGES) as MessageName[])
      for (const channel of CHANNEL_NAMES)
        for (const part of PARTS[channel])
          for (const lang of ['vi', 'en'] as const) {
            const source = templates.source(message, channel, part, lang);
            if (source === undefined) continue;
            for (let seed = 1; seed <= 6; seed++) {
              const view = messageView(message, seededRandom(seed * 31 + compared));
              for (const [, escape] of [...ESCAPERS, ['channel', escaperFor(channel, part)] as const])
                expect(byCompiled(source, view, escape)).toBe(byMustache(source, view, escape));
              compared++;
            }
          }
    expect(compared).toBeGreaterThan(500);
  });

  const TRICKY: [string, string, unknown][] = [
    [
      'a name of a parent view, inside a list',
      '{{#items}}{{name}} of {{owner}}; {{/items}}',
      { owner: 'A', items: [{ name: 'x' }, { name: 'y', owner: 'B' }] },
    ],
    [
      'a name a view has as undefined (not looked up in its parent)',
      '{{#items}}[{{owner}}]{{/items}}',
      { owner: 'A', items: [{ owner: undefined }, {}] },
    ],
    [
      'dotted names, a text’s length',
      '{{a.b.c}}|{{a.b}}|{{s.length}}|{{a.x.y}}|{{#a.b}}{{c}}{{/a.b}}',
      { a: { b: { c: '<1>' } }, s: 'abc' },
    ],
    [
      'a dotted name missing in the child, found in the parent',
      '{{#list}}{{a.b}}{{/list}}',
      { a: { b: 'up' }, list: [{ a: null }, { a: { b: 'own' } }, 1] },
    ],
    [
      'a text, a number and true as sections; {{.}}',
      '{{#s}}<{{.}}>{{length}}{{/s}}{{#n}}[{{.}}]{{/n}}{{#t}}yes{{.}}{{/t}}{{#z}}never{{/z}}',
      { s: 'a&b', n: 7, t: true, z: 0, length: 'L' },
    ],
    [
      'inverted sections: empty lists, zero, empty text, missing',
      '{{^a}}A{{/a}}{{^b}}B{{/b}}{{^c}}C{{/c}}{{^d}}D{{/d}}{{^e}}E{{/e}}',
      { a: [], b: 0, c: '', e: [0] },
    ],
    ['a list of texts and numbers', '{{#xs}}({{.}}){{/xs}}', { xs: ['<a>', 2, 0, '', null] }],
    [
      'unescaped values, a list and an object unescaped',
      '{{&a}}|{{{a}}}|{{a}}|{{&xs}}|{{&o}}|{{&n}}',
      { a: '<i>', xs: [1, 'b'], o: {}, n: 0 },
    ],
    ['comments and changed delimiters', 'a{{! a comment }}b{{=<% %>=}}<%x%>{{x}}<%={{ }}=%>{{x}}', { x: '<y>' }],
    [
      'a function’s value, called on the innermost view',
      '{{f}}|{{#list}}{{f}}{{/list}}',
      {
        f(this: { v?: string }) {
          return `v=${this.v}`;
        },
        v: 'top',
        list: [{ v: 'in' }],
      },
    ],
    [
      'a getter of a class, on its prototype',
      '{{#items}}{{url}}|{{/items}}',
      {
        items: [
          new (class {
            readonly id = 'a';
            get url() {
              return `/c/${this.id}`;
            }
          })(),
        ],
      },
    ],
    ['standalone section lines', 'a\n{{#x}}\n  b\n{{/x}}\n{{^x}}\n  c\n{{/x}}\nd', { x: [1, 2] }],
  ];
  for (const [what, source, view] of TRICKY)
    it(`renders ${what} as mustache.js does`, () => {
      for (const [, escape] of ESCAPERS)
        expect(byCompiled(source, view, escape)).toBe(byMustache(source, view, escape));
    });

  it('leaves a template with a partial to mustache.js', () => {
    expect(compileTokens(new Mustache.Writer().parse('a {{> other}} b') as unknown[][])).toBeNull();
    expect(renderSource('a {{> other}} b', 'sandbox', 'txt', {})).toBe(byMustache('a {{> other}} b', {}, String));
  });

  it('gives a section that is a function (a lambda) to mustache.js', () => {
    const source = '{{#wrap}}Hi {{name}}{{/wrap}}';
    const view = { name: 'B', wrap: () => (text: string, render: (t: string) => string) => `<b>${render(text)}</b>` };
    expect(() => byCompiled(source, view, String)).toThrow(LambdaInTemplate);
    expect(renderSource(source, 'sandbox', 'txt', view as never)).toBe('<b>Hi B</b>');
  });
});
