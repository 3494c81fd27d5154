import { CommanderError, type Command } from 'commander';
import { buildProgram } from '#root/cli/commands.js';
import { createCliContext } from '#root/cli/context.js';
import { cliLang } from '#root/cli/run.js';
import { messageIn, UserError } from '#root/errors/index.js';
import { ImportError } from '#root/import/errors.js';
import { serviceWordsIn } from '#root/messages/service-words.js';
import type { CliResult } from './run-cli.js';

/**
 * Runs `dondoc <args>` inside the test's process: the same program, context and error mapping as
 * src/cli/index.ts (bad input: status 1 and its message on stderr), without starting a Node
 * process per command — whose start-up takes seconds on a loaded machine. `now` fixes the
 * command's clock. Use {@link runCli} where the process itself is under test.
 */
export async function runCliInProcess(
  args: string[],
  env: Record<string, string>,
  options: { now?: Date } = {},
): Promise<CliResult> {
  const lang = cliLang(args, env);
  const ctx = createCliContext({ LOG_LEVEL: 'silent', ...env }, lang);
  if (options.now) {
    const at = options.now;
    ctx.now = () => new Date(at);
  }
  let stdout = '';
  let stderr = '';
  const program = buildProgram(ctx, (text) => (stdout += `${text}\n`));
  // Every command, not only the root: a subcommand's usage error must throw here, never exit the test's process.
  const override = (c: Command): void => {
    c.exitOverride().configureOutput({ writeErr: (text) => (stderr += text) });
    c.commands.forEach(override);
  };
  override(program);
  try {
    await program.parseAsync(['node', 'dondoc', ...args]);
    return { code: 0, stdout, stderr: '' };
  } catch (error) {
    if (error instanceof CommanderError) return { code: error.exitCode, stdout, stderr: stderr || error.message };
    if (error instanceof UserError || error instanceof ImportError)
      return {
        code: 1,
        stdout,
        stderr: `${serviceWordsIn('cli', lang)('error', { message: messageIn(error, lang) })}\n`,
      };
    throw error;
  } finally {
    await ctx.close();
  }
}
