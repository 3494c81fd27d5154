import { CommanderError, type Command } from 'commander';
import { ConfigError } from '#root/config.js';
import { UserError } from '#root/errors/index.js';
import { ImportError } from '#root/import/errors.js';
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

/** Every command of the tree: commander hands settings down only to commands created after them. */
function* allCommands(command: Command): Generator<Command> {
  yield command;
  for (const sub of command.commands) yield* allCommands(sub);
}

/**
 * Runs one `dondoc` command — `args` are what follows the program's name — and returns its exit
 * status: 0 done; 1 bad input, with a clear message (Vietnamese, then English) and nothing
 * changed; 2 an unexpected error (its stack) or a database that is missing or out of reach. Never
 * exits the process nor touches its streams: `src/cli/index.ts` does that, and tests call this
 * in their own process.
 */
export async function runDondoc(args: string[], io: CliIo): Promise<number> {
  let ctx;
  try {
    ctx = createCliContext(io.env);
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
      io.err(`Lỗi / error: ${error.message}\n`);
      return 1;
    }
    if (
      error instanceof Error &&
      /Database `[^`]*` does not exist|table `[^`]*` does not exist|relation "[^"]*" does not exist/i.test(
        error.message,
      )
    ) {
      io.err(
        'Cơ sở dữ liệu chưa được tạo hoặc chưa cập nhật; chạy `npm run db:migrate` (hoặc `npm start`) / the database is missing or not migrated; run `npm run db:migrate` (or `npm start`)\n',
      );
      return 2;
    }
    if (
      error instanceof Error &&
      /ECONNREFUSED|ENOTFOUND|Connection terminated|timeout exceeded when trying to connect/i.test(error.message)
    ) {
      io.err(`Không kết nối được cơ sở dữ liệu / cannot reach the database: ${error.message}\n`);
      return 2;
    }
    io.err(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return 2;
  } finally {
    await ctx.close();
  }
}
