import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '#root/cli/commands.js';
import { createCliContext } from '#root/cli/context.js';

/** Every command of the program, its subcommands after it. */
const commandsOf = (c: Command): Command[] => [c, ...c.commands.flatMap(commandsOf)];

/**
 * The command line's help is in the run's language (Vietnamese unless asked). "sandbox" is the
 * stored name of the channel used without credentials (an English word): the Vietnamese help says
 * "hộp thư thử" or "kênh thử", as the channel's label does; the name stays what an administrator
 * types (in the English help's lists of channel names, and as an argument).
 */
describe('the command line’s help in Vietnamese', () => {
  it('names the sandbox channel in words, never by its stored name', async () => {
    // Nothing is asked of the database: the pool connects on a first query only.
    const ctx = createCliContext({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/unused', LOG_LEVEL: 'silent' });
    try {
      const commands = commandsOf(buildProgram(ctx, () => undefined));
      const texts = commands.flatMap((c) => [
        { where: c.name(), text: c.description() },
        ...c.options.map((o) => ({ where: `${c.name()} ${o.flags}`, text: o.description })),
      ]);
      const vietnamese = texts.map(({ where, text }) => ({ where, text: text.split(' / ')[0]! }));
      expect(vietnamese.filter(({ text }) => /sandbox/i.test(text))).toEqual([]);
      // The commands about it do speak of it, in words.
      const said = (name: string) => vietnamese.find((t) => t.where === name)?.text ?? '';
      expect(said('outbox')).toMatch(/hộp thư thử/);
      expect(said('seed-demo')).toMatch(/hộp thư thử/);
    } finally {
      await ctx.close();
    }
  });
});
