import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Figure } from './run.js';
import { round } from './util.js';

const root = fileURLToPath(new URL('../', import.meta.url));

/** Runs the child that reads `file`, and answers what it printed and its wall time. */
function readInChild(
  file: string,
): Promise<{ ms: number; duties: number; flags: number; peakMb: number; wallMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/import-document-child.ts', file], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`the import child exited ${code}: ${err}`));
      resolve({
        ...(JSON.parse(out) as { ms: number; duties: number; flags: number; peakMb: number }),
        wallMs: performance.now() - started,
      });
    });
  });
}

/**
 * `import`: a plan of 100 PDF pages (test/fixtures/import/kh-100-pages.pdf: 1,195 duties in a ruled
 * table, its header repeated on each page, rows cut by page breaks) read as the CLI and the web
 * upload read it — in the plan-reading worker thread — in a process of its own, so that its peak
 * resident set (the kernel's high-water mark) is the reading's: pdf.js, the table rebuilding and the
 * interpreter, with Node and tsx. Targets (issue 13): under 10 s, under 300 MB.
 */
export async function benchImportDocuments(): Promise<Figure[]> {
  const file = 'test/fixtures/import/kh-100-pages.pdf';
  const r = await readInChild(file);
  return [
    {
      bench: 'import',
      figure: '100-page PDF read (worker thread)',
      value: round(r.ms / 1000),
      unit: 's',
      target: '< 10 s',
      ok: r.ms < 10_000,
    },
    {
      bench: 'import',
      figure: '100-page PDF: duties read',
      value: r.duties,
      unit: 'duties',
      target: '= 1195',
      ok: r.duties === 1195,
    },
    {
      bench: 'import',
      figure: '100-page PDF: peak resident set of the process',
      value: round(r.peakMb, 0),
      unit: 'MB',
      target: '< 300 MB',
      ok: r.peakMb < 300,
    },
    { bench: 'import', figure: '100-page PDF: process start to exit', value: round(r.wallMs / 1000), unit: 's' },
  ];
}
