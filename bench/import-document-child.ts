/**
 * The child process of the `import` bench (bench/import-documents.ts): reads one plan file the way
 * the CLI and the web upload do — in the plan-reading worker thread, with its heap ceiling — and
 * prints how long the reading took, how many duties it gave and the process's peak resident set.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parsePlanOffThread } from '#root/import/off-thread.js';
import { memoryOf } from './util.js';

const file = process.argv[2]!;
const data = readFileSync(file);
const started = performance.now();
const draft = await parsePlanOffThread({ data, name: path.basename(file) }, { defaultDue: '11-15' });
const ms = performance.now() - started;
console.log(
  JSON.stringify({
    ms,
    duties: draft.duties.length,
    flags: draft.flags.length,
    peakMb: memoryOf(process.pid).peak,
  }),
);
