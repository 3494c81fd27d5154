// The entry of the worker thread that reads uploaded plans (src/import/off-thread.ts). There is no
// build step: tsx is registered here, as in src/bin/dondoc.mjs, whatever the parent was run with.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

// pdf.js (3 MB of JavaScript) is loaded before tsx is registered: through tsx's loader it takes
// seconds to load, natively a few hundred milliseconds. Loaded once, it is the module later imports
// get; its worker code runs in this thread (src/import/pdf.ts).
const head = workerData?.data
  ? Buffer.from(workerData.data.buffer, workerData.data.byteOffset, Math.min(1024, workerData.data.byteLength))
  : null;
if (head?.includes('%PDF-')) {
  await import('pdfjs-dist/legacy/build/pdf.mjs');
  globalThis.pdfjsWorker = await import('pdfjs-dist/legacy/build/pdf.worker.mjs');
}

register();
await import('./parse-worker-main.ts');
