import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = fileURLToPath(new URL('./src/', import.meta.url));
const jobs = fileURLToPath(new URL('./jobs/', import.meta.url));

export default defineConfig({
  resolve: {
    // `#root/x.js` (package.json "imports") → src/x.ts, as tsx resolves it at run time.
    alias: [
      { find: /^#root\/(.*)\.js$/, replacement: `${src}$1.ts` },
      { find: /^#jobs\/(.*)\.js$/, replacement: `${jobs}$1.ts` },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
