// The entry of the worker thread that reads uploaded plans (src/import/off-thread.ts). There is no
// build step: tsx is registered here, as in src/bin/dondoc.mjs, whatever the parent was run with.
import { register } from 'tsx/esm/api';

register();
await import('./parse-worker-main.ts');
