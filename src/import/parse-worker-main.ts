/**
 * The body of the plan-reading worker thread: reads the file it was given (src/import/spreadsheet.ts)
 * and posts back the draft, or the reader's message when the file cannot be imported.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ImportError } from './errors.js';
import type { ParseRequest, ParseResponse } from './off-thread.js';
import { checkXlsx, isZip } from './zip-guard.js';

const request = workerData as ParseRequest;
let response: ParseResponse;
try {
  const data = Buffer.from(request.data.buffer, request.data.byteOffset, request.data.byteLength);
  // A workbook past the bounds is refused before the readers (and ExcelJS) are even loaded.
  if (isZip(data)) checkXlsx(data);
  const { parsePlanUpload } = await import('./spreadsheet.js');
  response = {
    ok: true,
    draft: await parsePlanUpload(data, request.options, request.name),
  };
} catch (e) {
  response =
    e instanceof ImportError
      ? { ok: false, importError: e.words ?? { vi: e.message, en: e.message } }
      : {
          ok: false,
          error: e instanceof Error ? (e.stack ?? e.message) : String(e),
        };
}
parentPort!.postMessage(response);
