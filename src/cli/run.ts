import { CommanderError, type Command } from 'commander';
import { ConfigError } from '#root/config.js';
import type { Lang } from '#root/domain/wording.js';
import { messageIn, UserError } from '#root/errors/index.js';
import { ImportError } from '#root/import/errors.js';
import { chooseLang, UnknownLangError } from '#root/messages/lang-choice.js';
import { serviceWordsIn } from '#root/messages/service-words.js';
import { buildProgram } from './commands.js';
import { createCliContext } from './context.js';

/** Where one run of the command line reads its settings and writes its output. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  /** Standard output: results. */
  out(text: string): void;
  /** Standard error: messages about bad input and failures. */
  err(text: string): void;
}

/**
 * The `--lang` typed (`--lang en`, `--lang=en`), read before the program is built: its help is
 * in that language. `--lang` without a value is an unknown language (""). Nothing after `--`.
 */
export function langArg(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return undefined;
    if (a === '--lang') return args[i + 1] ?? '';
    if (a.startsWith('--lang=')) return a.slice('--lang='.length);
  }
  return undefined;
}

/** The language of one run: `--lang`, else DONDOC_LANG, else the locale variables; may throw {@link UnknownLangError}. */
export const cliLang = (args: readonly string[], env: NodeJS.ProcessEnv): Lang => chooseLang(env, langArg(args));

/** Every command of the tree: commander hands settings down only to commands created after them. */
function* allCommands(command: Command): Generator<Command> {
  yield command;
  for (const sub of command.commands) yield* allCommands(sub);
}

/**
 * Runs one `dondoc` command — `args` are what follows the program's name — and returns its exit
 * status: 0 done; 1 bad input, with a clear message in the run's language ({@link cliLang}) and
 * nothing changed; 2 an unexpected error (its stack) or a database that is missing or out of reach. Never
 * exits the process nor touches its streams: `src/cli/index.ts` does that, and tests call this
 * in their own process.
 */
export async function runDondoc(args: string[], io: CliIo): Promise<number> {
  let lang: Lang;
  try {
    lang = cliLang(args, io.env);
  } catch (error) {
    if (error instanceof UnknownLangError) {
      io.err(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const t = serviceWordsIn('cli', lang);
  let ctx;
  try {
    ctx = createCliContext(io.env, lang);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(`${error.message}\n`);
      return 1;
    }
    io.err(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 2;
  }
  const program = buildProgram(ctx, (text) => io.out(`${text}\n`));
  // Commander's own errors (an unknown option, a missing argument) and its help are answers too:
  // thrown to here, written to `io`, rather than process.exit() from inside a subcommand.
  for (const command of allCommands(program)) command.exitOverride().configureOutput({ writeErr: (s) => io.err(s) });
  try {
    await program.parseAsync(args, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof UserError || error instanceof ImportError) {
      io.err(`${t('error', { message: messageIn(error, lang) })}\n`);
      return 1;
    }
    if (
      error instanceof Error &&
      /Database `[^`]*` does not exist|table `[^`]*` does not exist|relation "[^"]*" does not exist/i.test(
        error.message,
      )
    ) {
      io.err(`${t('dbMissing')}\n`);
      return 2;
    }
    if (
      error instanceof Error &&
      /ECONNREFUSED|ENOTFOUND|Connection terminated|timeout exceeded when trying to connect/i.test(error.message)
    ) {
      io.err(`${t('dbUnreachable', { message: error.message })}\n`);
      return 2;
    }
    io.err(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 2;
  } finally {
    await ctx.close();
  }
}
