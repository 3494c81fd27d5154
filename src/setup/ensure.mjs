#!/usr/bin/env node
// Makes a fresh clone runnable: installs dependencies when package-lock.json changed and generates
// the Prisma client when prisma/schema.prisma changed. Plain Node (runs before node_modules exists).
// Used by `npm start`, `npm test` and `npm run bench` (their pre-scripts), so each command installs
// what it needs.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const stamp = path.join(root, 'node_modules', '.dondoc-ensure.json');
const hash = (file) =>
  createHash('sha256')
    .update(readFileSync(path.join(root, file)))
    .digest('hex');
const readStamp = () => {
  try {
    return JSON.parse(readFileSync(stamp, 'utf8'));
  } catch {
    return {};
  }
};
const run = (cmd, args, env = process.env) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env });
  if (r.status !== 0) {
    console.error(`dondoc: "${cmd} ${args.join(' ')}" thất bại / failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
};

const state = readStamp();
const lock = hash('package-lock.json');
// `--generate-only` (the image's build, `npm run db:generate`): the dependencies are installed
// already (`npm ci`); only the Prisma client is made.
const generateOnly = process.argv.includes('--generate-only');
if (!generateOnly && (!existsSync(path.join(root, 'node_modules', '.bin', 'tsx')) || state.lock !== lock)) {
  console.error('dondoc: cài đặt thư viện / installing dependencies…');
  // `npm install`, not `npm ci`: the registry mirror lacks some optional platform packages that
  // `npm ci` insists on finding in the lock file; install follows the lock file all the same.
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error']);
  state.lock = hash('package-lock.json');
  delete state.schema;
}

const schema = hash('prisma/schema.prisma');
if (!existsSync(path.join(root, 'src', 'generated', 'prisma', 'client.ts')) || state.schema !== schema) {
  console.error('dondoc: tạo Prisma client / generating the Prisma client…');
  const env = { ...process.env };
  // The CLI fetches its schema engine at start even for `generate`, which needs none. Without
  // network, point it at a placeholder unless a real engine is configured.
  if (!env.PRISMA_SCHEMA_ENGINE_BINARY) {
    const dir = path.join(root, 'node_modules', '.cache', 'dondoc');
    mkdirSync(dir, { recursive: true });
    const placeholder = path.join(dir, 'schema-engine');
    writeFileSync(placeholder, '#!/bin/sh\necho "schema engine not installed" >&2\nexit 1\n');
    chmodSync(placeholder, 0o755);
    env.PRISMA_SCHEMA_ENGINE_BINARY = placeholder;
  }
  env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
  run(path.join(root, 'node_modules', '.bin', 'prisma'), ['generate', '--schema', 'prisma/schema.prisma'], env);
  state.schema = schema;
}

// `--browser` (npm test): the browser tests drive Debian's Chromium. Installed here when missing
// and this user may (root with apt-get, as in CI); otherwise those tests say how to install it.
if (process.argv.includes('--browser')) {
  const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(chromium) && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    console.error(
      "dondoc: cài Chromium của Debian cho các kiểm thử trình duyệt / installing Debian's chromium for the browser tests…",
    );
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const first = spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'ignore', env });
    if (first.status !== 0) {
      spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
      run('apt-get', ['install', '-y', '-qq', 'chromium'], env);
    }
  }
}

writeFileSync(stamp, JSON.stringify(state));
