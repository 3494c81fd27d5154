/**
 * Reading an uploaded plan away from the event loop. The readers (src/import/spreadsheet.ts) are
 * synchronous for seconds on a large workbook, and ExcelJS holds the whole workbook in memory: run
 * on the server's thread, one upload stalls every request. Here each file is read in a worker
 * thread with a memory ceiling and a time limit, a few at a time.
 */
import { Worker } from 'node:worker_threads';
import { createSemaphore } from '#root/lib/semaphore.js';
import type { Logger } from '#root/logger.js';
import type { Words } from '#root/errors/index.js';
import { ImportError } from './errors.js';
import { EMPTY_FILE, type ParseOptions, type PlanDraft } from './draft.js';
import { isZip, readZipDirectory } from './zip-guard.js';
import { serviceWords } from '#root/messages/service-words.js';

const importWords = serviceWords('import');

/** What the worker is given. */
export interface ParseRequest {
  data: Uint8Array;
  name: string | null;
  options: ParseOptions;
}

/** What the worker answers: the draft, the reader's message for a file it refuses, or a bug. */
export type ParseResponse =
  { ok: true; draft: PlanDraft } | { ok: false; importError: Words } | { ok: false; error: string };

/** Bounds of one reading. */
export interface ParseLimits {
  /** The worker is stopped past this (default 30 s). */
  timeoutMs: number;
  /** Its heap ceiling (V8's old generation), in MB (default 256). */
  maxHeapMb: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = {
  timeoutMs: 30_000,
  maxHeapMb: 256,
};

/** At most two readings at once in a process: the third waits (each may use up to its ceiling). */
const slots = createSemaphore(2);

const WORKER_URL = new URL('./parse-worker.mjs', import.meta.url);

const tooSlow = (ms: number) => new ImportError(importWords('readTooLong', { seconds: Math.round(ms / 1000) }));
const tooMuchMemory = () => new ImportError(importWords('readTooMuchMemory'));

/**
 * Reads an uploaded plan ({@link parsePlanUpload}'s rules) in a worker thread, and answers its draft.
 *
 * 1. A zip's central directory is checked here first (cheap): a zip bomb or an encrypted zip is
 *    refused without starting a worker.
 * 2. A worker thread reads the file, with `resourceLimits` (its heap ceiling) and a timer: past
 *    `timeoutMs` it is terminated. The event loop only copies the bytes in and the draft out.
 * 3. Its answer becomes the draft, or an ImportError with the reader's message; running out of
 *    memory or time is an ImportError too (nothing was written).
 *
 * @throws ImportError for every file that cannot be imported; Error for a bug in the reader.
 */
export async function parsePlanOffThread(
  input: { data: Buffer; name: string | null },
  options: ParseOptions,
  context: { limits?: Partial<ParseLimits>; logger?: Logger } = {},
): Promise<PlanDraft> {
  const limits = { ...DEFAULT_PARSE_LIMITS, ...context.limits };
  // Refused here, without starting a worker: an empty file, a zip bomb or an encrypted zip.
  if (input.data.length === 0) throw new ImportError(EMPTY_FILE, input.name ?? undefined);
  if (isZip(input.data)) readZipDirectory(input.data);
  return slots.run(async () => {
    const started = performance.now();
    const request: ParseRequest = {
      data: input.data,
      name: input.name,
      options,
    };
    const worker = new Worker(WORKER_URL, {
      workerData: request,
      // Its own loader (the .mjs registers tsx), not the parent's flags (vitest's, tsx's).
      execArgv: [],
      resourceLimits: {
        maxOldGenerationSizeMb: limits.maxHeapMb,
        maxYoungGenerationSizeMb: 16,
      },
    });
    const response = await new Promise<ParseResponse>((resolve, reject) => {
      let settled = false;
      const done = (f: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        f();
      };
      const timer = setTimeout(() => {
        done(() => reject(tooSlow(limits.timeoutMs)));
        void worker.terminate();
      }, limits.timeoutMs);
      worker.once('message', (m: ParseResponse) => done(() => resolve(m)));
      worker.once('error', (e: NodeJS.ErrnoException) =>
        done(() => reject(e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? tooMuchMemory() : e)),
      );
      worker.once('exit', (code) =>
        done(() => reject(new Error(`the plan reader stopped (exit code ${code}) without an answer`))),
      );
    });
    void worker.terminate();
    const ms = Math.round(performance.now() - started);
    if (response.ok) {
      context.logger?.info(
        {
          bytes: input.data.length,
          format: response.draft.format,
          duties: response.draft.duties.length,
          ms,
        },
        'plan file read',
      );
      return response.draft;
    }
    if ('importError' in response) {
      context.logger?.info({ bytes: input.data.length, ms }, 'plan file refused');
      throw new ImportError(response.importError);
    }
    throw new Error(`the plan reader failed: ${response.error}`);
  });
}
