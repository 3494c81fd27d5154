import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/**
 * The layers, as `no-restricted-imports` patterns: what a folder of src/ must not import. A
 * pattern covers both spellings of an import (`#root/…` and relative); type-only imports count
 * too, since they tie the layers as much as values do. The patterns are gitignore patterns, where
 * a leading `#` starts a comment: it is escaped.
 */
const layer = (names, message) => ({ group: names.flatMap((n) => [`\\#root/${n}/*`, `**/${n}/*`]), message });
const JOBS = {
  group: ['\\#jobs/*', '**/jobs/*'],
  message: 'services and the domain do not import jobs: the caller passes in what queues work',
};

export default tseslint.config(
  { ignores: ['node_modules/', 'src/generated/', 'storage/', 'bench/results/', 'test/artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Type-aware rules: a promise is awaited, handled or explicitly let go (`void`, with a reason).
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    // No import cycles: no module reaches itself through its imports (type-only imports are erased and do not count).
    files: ['**/*.ts', '**/*.js', '**/*.mjs'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      // `#root/x.js` and `./x.js` name the TypeScript file x.ts (NodeNext), as tsc resolves them.
      'import-x/resolver-next': [
        createNodeResolver({ extensions: ['.ts', '.js', '.mjs'], extensionAlias: { '.js': ['.ts', '.js'] } }),
      ],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    // Domain logic is pure: it never imports storage, queues, bots or mail.
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '@prisma/*',
                '\\#root/generated/*',
                'bullmq',
                'ioredis',
                'grammy',
                '@grammyjs/*',
                'nodemailer',
                'pg',
              ],
              message: 'src/domain must stay pure',
            },
            JOBS,
            layer(
              ['db', 'services', 'commands', 'channels', 'bot', 'web', 'cli', 'import'],
              'src/domain must stay pure',
            ),
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'Domain code takes `now` as an argument',
        },
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'Domain code takes `now` as an argument',
        },
      ],
    },
  },
  {
    // Services are called by the web pages, the bot, the CLI and the jobs; they call none of them.
    files: ['src/services/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            JOBS,
            layer(
              ['web', 'cli', 'bot', 'commands'],
              'services do not import the layers that call them (web, cli, bot, commands)',
            ),
          ],
        },
      ],
    },
  },
  {
    // A channel carries messages; what to say and what it means is decided above it (src/bot, services, commands).
    files: ['src/channels/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            layer(
              ['services', 'commands', 'bot', 'web', 'cli'],
              'channels do not import services, commands or the layers above them',
            ),
          ],
        },
      ],
    },
  },
  {
    // The web pages share nothing with the command line but what lives in a neutral module (src/lib).
    files: ['src/web/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [layer(['cli'], 'web does not import cli: shared code belongs in src/lib or src/domain')] },
      ],
    },
  },
  {
    // Only src/config.ts reads the environment.
    files: ['src/**/*.ts'],
    ignores: ['src/config.ts', 'src/main.ts', 'src/cli/index.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration from Config (src/config.ts)' },
      ],
    },
  },
);
