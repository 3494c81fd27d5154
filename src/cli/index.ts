import { loadEnvFile } from '#root/config.js';
import { UnknownLangError } from '#root/messages/lang-choice.js';
import { serviceWordsIn } from '#root/messages/service-words.js';
import { cliLang, langArg, runDondoc } from './run.js';

/**
 * The `dondoc` command line (see {@link runDondoc}): its process. Bad input prints a clear message
 * in the person's language and exits with status 1, having changed nothing; an unexpected error
 * prints its stack and exits with 2.
 */
async function main(argv: string[]): Promise<number> {
  // `.env` of the working directory, as the program reads it (the environment's own values win).
  loadEnvFile();
  // `dondoc run [--role <name>]`: the program itself, with some roles (the same as ROLES=<name>).
  if (argv[2] === 'run') {
    let lang;
    try {
      lang = cliLang(argv.slice(2), process.env);
    } catch (error) {
      if (!(error instanceof UnknownLangError)) throw error;
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    // The program's own start-up messages (src/main.ts) in the same language.
    if (langArg(argv.slice(2)) !== undefined) process.env.DONDOC_LANG = lang;
    const i = argv.indexOf('--role');
    if (i > 0) {
      const role = argv[i + 1];
      if (!role) {
        const t = serviceWordsIn('cli', lang);
        process.stderr.write(`${t('error', { message: t('roleMissing') })}\n`);
        return 1;
      }
      process.env.ROLES = role;
    }
    await import('../main.js');
    return new Promise<number>(() => undefined); // main.ts owns the process from here on
  }
  return runDondoc(argv.slice(2), {
    env: process.env,
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  });
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
