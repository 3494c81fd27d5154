import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runDondoc } from '#root/cli/run.js';
import { onText } from './processes.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment a command sees: only what is given, logs silenced, as {@link runCli} starts it. */
const cliEnv = (env: Record<string, string>) => ({
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '/tmp',
  LOG_LEVEL: 'silent',
  ...env,
});

/**
 * A test's time limit for `processes` runs of {@link runCli}: each compiles the program as it
 * starts (tsx), which took up to 18 s on a loaded 2-core machine — more than vitest's 30 s for two.
 */
export const cliTimeout = (processes: number) => 30_000 + processes * 60_000;

/**
 * Runs the real `dondoc` command line as a separate process, as an administrator would. Slow to
 * start (see {@link cliTimeout}): for many commands in one test, {@link runCliInProcess}.
 */
export function runCli(args: string[], env: Record<string, string>, stdin?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['src/bin/dondoc.mjs', ...args], {
      cwd: root,
      env: cliEnv(env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    onText(child.stdout, (d) => (stdout += d));
    onText(child.stderr, (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

/**
 * Runs one `dondoc` command in this process: what the command line's process runs (`runDondoc`),
 * without a process start-up (seconds on a loaded machine) — for tests that run many commands.
 * The exit status is the one the process would exit with.
 */
export async function runCliInProcess(args: string[], env: Record<string, string>): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runDondoc(args, {
    env: cliEnv(env),
    out: (text) => (stdout += text),
    err: (text) => (stderr += text),
  });
  return { code, stdout, stderr };
}
