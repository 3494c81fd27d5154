#!/usr/bin/env node
// The installed `dondoc` command: runs the TypeScript CLI through tsx (no build step).
import v8 from 'node:v8';
import { register } from 'tsx/esm/api';

// A command is short-lived: Prisma's query compiler (WebAssembly) is compiled once by the baseline
// compiler, not again by the optimising one, which cost each command ~40 MB and a few hundred ms.
// `dondoc run` is the long-running program: it keeps V8's defaults.
if (process.argv[2] !== 'run') v8.setFlagsFromString('--liftoff-only');
register();
await import('../cli/index.ts');
