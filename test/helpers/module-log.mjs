// `node --import ./test/helpers/module-log.mjs …`: appends the URL of every module the process
// resolves through the ES module loader (its own imports, dynamic ones, and the packages they name)
// to the file named by MODULE_LOG, one a line. For tests that check what a role loads.
import { register } from 'node:module';

if (process.env.MODULE_LOG) register('./module-log-hooks.mjs', import.meta.url);
