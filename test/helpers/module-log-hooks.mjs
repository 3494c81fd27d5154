// The loader hooks of module-log.mjs (they run on the loader's thread).
import { appendFileSync } from 'node:fs';

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.MODULE_LOG, `${resolved.url}\n`);
  return resolved;
}
