import { CommanderError } from 'commander';
import { ConfigError } from '#root/config.js';
import { UserError } from '#root/errors/index.js';
import { ImportError } from '#root/import/errors.js';
import { buildProgram } from './commands.js';
import { createCliContext } from './context.js';

/**
 * The `dondoc` command line. Bad input prints a clear message (Vietnamese, then English) and exits
 * with status 1, having changed nothing; an unexpected error prints its stack and exits with 2.
 */
async function main(argv: string[]): Promise<number> {
  // `dondoc run [--role <name>]`: the program itself, with some roles (the same as ROLES=<name>).
  if (argv[2] === 'run') {
    const i = argv.indexOf('--role');
    if (i > 0) {
      const role = argv[i + 1];
      if (!role) {
        process.stderr.write('Lỗi / error: --role cần tên vai trò (scheduler, worker, web, all) / --role needs a role name\n');
        return 1;
      }
      process.env.ROLES = role;
    }
    await import('../main.js');
    return new Promise<number>(() => undefined); // main.ts owns the process from here on
  }
  let ctx;
  try {
    ctx = createCliContext(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const program = buildProgram(ctx, (text) => process.stdout.write(`${text}\n`)).exitOverride();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    if (error instanceof UserError || error instanceof ImportError) {
      process.stderr.write(`Lỗi / error: ${error.message}\n`);
      return 1;
    }
    if (error instanceof Error && /Database `[^`]*` does not exist|table `[^`]*` does not exist|relation "[^"]*" does not exist/i.test(error.message)) {
      process.stderr.write(
        'Cơ sở dữ liệu chưa được tạo hoặc chưa cập nhật; chạy `npm run db:migrate` (hoặc `npm start`) / the database is missing or not migrated; run `npm run db:migrate` (or `npm start`)\n',
      );
      return 2;
    }
    if (error instanceof Error && /ECONNREFUSED|ENOTFOUND|Connection terminated|timeout exceeded when trying to connect/i.test(error.message)) {
      process.stderr.write(`Không kết nối được cơ sở dữ liệu / cannot reach the database: ${error.message}\n`);
      return 2;
    }
    throw error;
  } finally {
    await ctx.close();
  }
}

/**
 * Exits once stdout and stderr are flushed: writes to a pipe are asynchronous, and a plain
 * process.exit() would cut a long `--json` answer short for whoever reads it.
 */
function exitAfterFlush(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

main(process.argv).then(exitAfterFlush, (error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  exitAfterFlush(2);
});
