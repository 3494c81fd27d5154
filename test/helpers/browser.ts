import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); playwright-core downloads no browser. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const browserAvailable = existsSync(CHROMIUM_PATH);
/** CI sets DONDOC_REQUIRE_BROWSER=1: there, a missing browser fails the tests instead of skipping them. */
export const browserRequired = process.env.DONDOC_REQUIRE_BROWSER === '1';
export const NO_BROWSER = `Chromium không có ở ${CHROMIUM_PATH}: các kiểm thử trình duyệt bị bỏ qua; cài bằng "apt-get install chromium" / no Chromium at ${CHROMIUM_PATH}: browser tests skipped; install it with "apt-get install chromium"`;

/** Where the browser tests leave their screenshots (test artefacts, not committed). */
export const SCREENSHOT_DIR = fileURLToPath(new URL('../artifacts/screenshots/', import.meta.url));

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return path.join(SCREENSHOT_DIR, `${name}.png`);
}

/**
 * Headless Chromium as this machine runs it: no sandbox (root in a container), and no background
 * networking, whose connections the closed network would refuse by the dozen.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}
